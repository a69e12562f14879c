using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Core.Search;

/// <summary>The aggregate of one point's replications.</summary>
public sealed record PointResult(
    IReadOnlyList<string> Values,
    int Runs,
    int Failures,
    IReadOnlyDictionary<string, long> Outcomes,
    IReadOnlyDictionary<string, double> Metrics,
    string? Cause)
{
    public string Key => string.Join('\u001f', Values);
}

/// <summary>What a search concluded.</summary>
public sealed record SearchResult(
    SearchSpec Spec,
    IReadOnlyList<PointResult> Points,
    IReadOnlyList<bool> Safe,
    PointResult? Best,
    PointResult? Boundary,
    PointResult? Recommended,
    string Recommendation,
    IReadOnlyList<string> Warnings);

/// <summary>
/// Runs a search: every point of the varied parameters, each replicated with common random numbers
/// (replication i uses seed + i at every point), in parallel over runs, with results that do not
/// depend on the number of workers. Finished points are appended to a JSONL store so that an
/// interrupted search resumes where it stopped; grid searches can be split into shards.
/// </summary>
public sealed class Searcher
{
    private readonly string _yaml;
    private readonly string _file;
    private readonly IReadOnlyList<string> _sets;
    private readonly SearchSpec _spec;
    private readonly int _workers;
    private readonly Action<string>? _progress;
    private readonly PointStore? _store;
    private readonly ulong _seed;
    private long _runsDone;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public Searcher(string yaml, string file, IReadOnlyList<string> sets, SearchSpec spec, int workers, Action<string>? progress, PointStore? store)
    {
        _yaml = yaml;
        _file = file;
        _sets = sets;
        _spec = spec;
        _workers = Math.Max(1, workers);
        _progress = progress;
        _store = store;
        var scenario = ScenarioLoader.Load(yaml, file, sets); // validates the base scenario before any run
        _seed = scenario.Seed;
        foreach (var p in spec.Vary)
        {
            foreach (var v in p.Values.Take(1).Concat(p.Values.TakeLast(1)))
                ScenarioLoader.Load(yaml, file, [.. sets, $"{p.Path}={v}"]); // every varied path must exist and take its values
        }
    }

    public long RunsDone => Interlocked.Read(ref _runsDone);

    /// <summary>All points of the grid, in order (the first parameter varies slowest).</summary>
    public IReadOnlyList<IReadOnlyList<string>> GridPoints()
    {
        IEnumerable<IReadOnlyList<string>> points = [[]];
        foreach (var p in _spec.Vary)
            points = points.SelectMany(prefix => p.Values.Select(v => (IReadOnlyList<string>)[.. prefix, v]));
        return points.ToList();
    }

    public SearchResult Run(int shard = 0, int shards = 1)
    {
        if (_spec.Strategy == SearchStrategy.Grid || _spec.Vary.Count != 1)
        {
            var all = GridPoints();
            var mine = Enumerable.Range(0, all.Count).Where(i => i % shards == shard).Select(i => all[i]).ToList();
            var results = Evaluate(mine);
            return Conclude(_spec, results);
        }
        if (shards > 1)
            throw new UsageException("--shard", "bisection decides each point from the last one, so it cannot be split into shards: use --strategy grid");
        return Bisect();
    }

    private SearchResult Bisect()
    {
        var values = _spec.Vary[0].Values;
        var visited = new Dictionary<int, PointResult>();
        PointResult At(int i) => visited.TryGetValue(i, out var r) ? r : visited[i] = Evaluate([[values[i]]])[0];
        bool Safe(int i) => _spec.Goal.Met(At(i).Failures, At(i).Runs);

        int lo = 0, hi = values.Count - 1;
        bool safeLo = Safe(lo), safeHi = Safe(hi);
        if (safeLo != safeHi)
        {
            bool increasing = safeHi; // safe at the top: look for the first safe value
            while (hi - lo > 1)
            {
                int mid = lo + (hi - lo) / 2;
                if (Safe(mid) == increasing) hi = mid;
                else lo = mid;
            }
            int boundary = increasing ? hi : lo;
            for (int k = 1; k <= _spec.MarginSteps; k++)
            {
                int i = increasing ? boundary + k : boundary - k;
                if (i >= 0 && i < values.Count)
                    At(i);
            }
        }
        var points = visited.OrderBy(kv => kv.Key).Select(kv => kv.Value).ToList();
        return Conclude(_spec, points);
    }

    /// <summary>Evaluates points (each with all its replications), in parallel over every run.</summary>
    public IReadOnlyList<PointResult> Evaluate(IReadOnlyList<IReadOnlyList<string>> points)
    {
        var results = new PointResult?[points.Count];
        var todo = new List<int>();
        for (int i = 0; i < points.Count; i++)
        {
            if (_store?.TryGet(points[i]) is { } done)
                results[i] = done;
            else
                todo.Add(i);
        }
        if (todo.Count == 0)
            return results!;
        var scenarios = todo.ToDictionary(i => i, i => ScenarioLoader.Load(_yaml, _file, [.. _sets, .. _spec.Vary.Select((p, k) => $"{p.Path}={points[i][k]}")]));
        int n = _spec.Replications;
        var runs = new RunMetrics[todo.Count * n];
        var remaining = todo.ToDictionary(i => i, _ => n);
        int nextToWrite = 0;
        var gate = new object();
        Parallel.For(0, runs.Length, new ParallelOptions { MaxDegreeOfParallelism = _workers }, j =>
        {
            int t = j / n, rep = j % n;
            int point = todo[t];
            runs[j] = RunOnce(scenarios[point], _seed + (ulong)rep);
            Interlocked.Increment(ref _runsDone);
            lock (gate)
            {
                if (--remaining[point] > 0)
                    return;
                results[point] = Aggregate(points[point], runs.AsSpan(t * n, n));
                // Append finished points in order, so the store is the same whatever the workers.
                while (nextToWrite < todo.Count && results[todo[nextToWrite]] is { } r)
                {
                    _store?.Append(r);
                    nextToWrite++;
                    Report(todo.Count, nextToWrite, r);
                }
            }
        });
        return results!;
    }

    private void Report(int total, int done, PointResult r)
    {
        if (_progress is null)
            return;
        double rate = RunsDone / Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
        double left = (total - done) * _spec.Replications / Math.Max(rate, 1e-9);
        string batch = total > 1 ? $"; {done}/{total} points of this batch done, about {left:0} s left" : "";
        _progress($"point {string.Join(", ", _spec.Vary.Select((p, k) => $"{p.Path}={r.Values[k]}"))}: {r.Failures}/{r.Runs} runs failed; {rate:0} runs/s, {RunsDone} runs so far{batch}");
    }

    private readonly record struct RunMetrics(bool Failed, IReadOnlyDictionary<Outcome, long> Outcomes, int PeakServer, double ZombieSeconds, double P99, string? Cause);

    private RunMetrics RunOnce(Scenario scenario, ulong seed)
    {
        var failures = new FirstFailure(_spec.Goal);
        var outcome = Simulation.Run(scenario, seed, failures);
        var s = outcome.Summary;
        return new RunMetrics(failures.Failed, s.Outcomes, s.PeakServerConnections, s.ZombieSeconds, s.Latency.Quantile(0.99), failures.Cause);
    }

    private sealed class FirstFailure(Goal goal) : IRunObserver
    {
        public bool Failed;
        public string? Cause;

        public void OnRequest(RequestRecord r)
        {
            if (Failed || !goal.IsFailure(r.Outcome))
                return;
            Failed = true;
            // Without instants, so that the same cause groups across runs.
            Cause = $"{r.Outcome.Name()}{(r.Origin is null ? "" : $" ({r.Origin.Value.Name()})")}{(r.Cause is null ? "" : ": " + r.Cause.Text(instants: false))}";
        }
    }

    private static PointResult Aggregate(IReadOnlyList<string> values, ReadOnlySpan<RunMetrics> runs)
    {
        var outcomes = new SortedDictionary<string, long>(StringComparer.Ordinal);
        int failures = 0;
        double peak = 0, zombie = 0, p99 = 0;
        var causes = new Dictionary<string, int>();
        foreach (var r in runs)
        {
            if (r.Failed) failures++;
            foreach (var (k, v) in r.Outcomes) outcomes[k.Name()] = outcomes.GetValueOrDefault(k.Name()) + v;
            peak += r.PeakServer;
            zombie += r.ZombieSeconds;
            p99 += r.P99;
            if (r.Cause is { } c) causes[c] = causes.GetValueOrDefault(c) + 1;
        }
        int n = runs.Length;
        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["peakServerConnections"] = Math.Round(peak / n, 6),
            ["zombieSeconds"] = Math.Round(zombie / n, 6),
            ["p99LatencyMs"] = Math.Round(p99 / n, 6),
            ["errorRate"] = Math.Round((double)failures / n, 6),
        };
        string? cause = causes.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key).FirstOrDefault();
        return new PointResult(values, n, failures, outcomes, metrics, cause);
    }

    // ---------------------------------------------------------------- conclusions

    /// <summary>A pure function of the points: the unsharded run and merged shards agree.</summary>
    public static SearchResult Conclude(SearchSpec spec, IReadOnlyList<PointResult> points)
    {
        var ordered = OrderLikeGrid(spec, points);
        var safe = ordered.Select(p => spec.Goal.Met(p.Failures, p.Runs)).ToList();
        var warnings = new List<string>();
        PointResult? best = null;
        var safePoints = ordered.Where((p, i) => safe[i]).ToList();
        if (safePoints.Count > 0)
            best = spec.Objective.Minimize ? safePoints.MinBy(p => MetricOf(spec, p)) : safePoints.MaxBy(p => MetricOf(spec, p));

        PointResult? boundary = null, recommended = best;
        string text;
        if (spec.Vary.Count == 1)
        {
            // One parameter: where does safety switch, is it monotone, and how much margin is there?
            var values = spec.Vary[0].Values;
            var index = ordered.Select(p => IndexOf(values, p.Values[0])).ToList();
            int switches = 0;
            for (int i = 1; i < safe.Count; i++)
                if (safe[i] != safe[i - 1]) switches++;
            if (switches > 1)
                warnings.Add($"safety is not monotone in {spec.Vary[0].Path}: it switches {switches} times among the points run; use --strategy grid and read the table");
            // Failures should fall toward the safe side; a rise among the points run is a warning.
            int direction = safe.Count > 1 && safe[^1] && !safe[0] ? -1 : safe.Count > 1 && safe[0] && !safe[^1] ? 1 : 0;
            for (int i = 1; i < ordered.Count && direction != 0; i++)
            {
                double a = ordered[i - 1].Metrics["errorRate"], b = ordered[i].Metrics["errorRate"];
                if ((b - a) * direction < -1e-12)
                    warnings.Add($"the failure rate goes from {Pct(a)} at {ordered[i - 1].Values[0]} to {Pct(b)} at {ordered[i].Values[0]}, against the trend: the answer may not be monotone");
            }
            int firstSafe = safe.IndexOf(true);
            if (firstSafe > 0 && safe.Skip(firstSafe).All(x => x))
            {
                boundary = ordered[firstSafe];
                var lastUnsafe = ordered[firstSafe - 1];
                int b = index[firstSafe];
                var margin = ordered.Skip(firstSafe + 1).FirstOrDefault(p => IndexOf(values, p.Values[0]) == b + spec.MarginSteps);
                recommended = spec.Objective.Metric == spec.Vary[0].Path ? (margin ?? boundary) : best;
                text = $"{spec.Vary[0].Path}: unsafe at {lastUnsafe.Values[0]} and below ({Rate(spec, lastUnsafe)}{(lastUnsafe.Cause is null ? "" : $"; typically {lastUnsafe.Cause}")}); "
                    + $"safe from {boundary.Values[0]} ({Rate(spec, boundary)}). {boundary.Values[0]} is the boundary, with no margin"
                    + (recommended == margin && margin is not null ? $"; recommended {margin.Values[0]}, {MarginText(values, b, spec.MarginSteps)} above it ({Rate(spec, margin)})." : ".");
            }
            else if (firstSafe == 0 && safe.All(x => x))
            {
                text = $"every value of {spec.Vary[0].Path} run is safe; the {spec.Objective.Text} is {best!.Values[0]} ({Rate(spec, best)}).";
            }
            else if (firstSafe < 0)
            {
                var least = ordered.MinBy(p => p.Metrics["errorRate"])!;
                text = $"no value of {spec.Vary[0].Path} run meets the goal '{spec.Goal.Text}'; the fewest failures were at {least.Values[0]} ({Rate(spec, least)}{(least.Cause is null ? "" : $"; typically {least.Cause}")}).";
                recommended = null;
            }
            else
            {
                text = best is null ? "no safe point." : $"safe points are not contiguous; by {spec.Objective.Text}: {Describe(spec, best)} ({Rate(spec, best)}).";
            }
        }
        else if (spec.Vary.ToList().FindIndex(v => v.Path == spec.Objective.Metric) is var k and >= 0)
        {
            // The objective is a varied parameter: a value counts only if it is safe whatever the
            // other parameters are (each value's worst point decides).
            var others = string.Join(", ", spec.Vary.Where((_, j) => j != k).Select(v => v.Path));
            var byValue = ordered.Select((p, i) => (p, safe: safe[i])).GroupBy(x => x.p.Values[k])
                .Select(g => (Value: g.Key, Safe: g.All(x => x.safe), Worst: g.OrderByDescending(x => x.p.Failures).ThenBy(x => x.p.Key, StringComparer.Ordinal).First().p))
                .ToList();
            var robust = byValue.Where(v => v.Safe).ToList();
            var unsafeValues = byValue.Where(v => !v.Safe).ToList();
            if (robust.Count == 0)
            {
                recommended = null;
                text = $"no value of {spec.Vary[k].Path} is safe for every {others}.";
            }
            else
            {
                var chosen = spec.Objective.Minimize ? robust.MinBy(v => MetricOf(spec, v.Worst)) : robust.MaxBy(v => MetricOf(spec, v.Worst));
                recommended = chosen.Worst;
                text = $"{spec.Vary[k].Path} = {chosen.Value} is safe for every {others} (worst: {Rate(spec, chosen.Worst)})"
                    + (unsafeValues.Count == 0 ? "." : $"; unsafe for some {others}: {string.Join(", ", unsafeValues.Select(v => v.Value))} (worst: {Describe(spec, unsafeValues[0].Worst)}, {Rate(spec, unsafeValues[0].Worst)}{(unsafeValues[0].Worst.Cause is null ? "" : $"; typically {unsafeValues[0].Worst.Cause}")}).");
            }
        }
        else
        {
            text = best is null
                ? $"no point meets the goal '{spec.Goal.Text}'."
                : $"by {spec.Objective.Text}, the best safe point is {Describe(spec, best)} ({Rate(spec, best)}).";
        }
        return new SearchResult(spec, ordered, safe, best, boundary, recommended, text, warnings.Distinct().ToList());
    }

    private static List<PointResult> OrderLikeGrid(SearchSpec spec, IReadOnlyList<PointResult> points) =>
        points.OrderBy(p => p, Comparer<PointResult>.Create((a, b) =>
        {
            for (int k = 0; k < spec.Vary.Count; k++)
            {
                int c = IndexOf(spec.Vary[k].Values, a.Values[k]).CompareTo(IndexOf(spec.Vary[k].Values, b.Values[k]));
                if (c != 0) return c;
            }
            return 0;
        })).ToList();

    private static int IndexOf(IReadOnlyList<string> values, string v)
    {
        for (int i = 0; i < values.Count; i++)
            if (values[i] == v) return i;
        return -1;
    }

    private static double MetricOf(SearchSpec spec, PointResult p)
    {
        int k = spec.Vary.ToList().FindIndex(v => v.Path == spec.Objective.Metric);
        if (k < 0)
            return p.Metrics[spec.Objective.Metric];
        string v = p.Values[k];
        return DurationText.TryParse(v, out var d, out _) ? d.TotalSeconds
            : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) ? x : IndexOf(spec.Vary[k].Values, v);
    }

    private static string MarginText(IReadOnlyList<string> values, int boundary, int steps)
    {
        int m = boundary + steps;
        if (m >= values.Count) return $"{steps} step(s)";
        if (DurationText.TryParse(values[m], out var a, out _) && DurationText.TryParse(values[boundary], out var b, out _))
            return DurationText.Format(a - b);
        return $"{steps} step(s)";
    }

    public static string Describe(SearchSpec spec, PointResult p) => string.Join(", ", spec.Vary.Select((v, k) => $"{v.Path}={p.Values[k]}"));

    public static string Rate(SearchSpec spec, PointResult p)
    {
        var (lo, hi) = Wilson.Interval(p.Failures, p.Runs, spec.Goal.Confidence);
        return $"{p.Failures}/{p.Runs} runs failed, rate {Pct((double)p.Failures / p.Runs)} [{Pct(lo)}, {Pct(hi)}] at {Pct(spec.Goal.Confidence)}";
    }

    public static string Pct(double x) => (x * 100).ToString(x * 100 < 10 ? "0.##" : "0.#", CultureInfo.InvariantCulture) + "%";
}

/// <summary>
/// Finished points, one JSON line each after a header line that pins the search: a resumed or
/// merged search must be the same search (scenario text, overrides, parameters, replications, goal).
/// </summary>
public sealed class PointStore
{
    private readonly string? _path;
    private readonly Dictionary<string, PointResult> _points = new();
    private readonly object _gate = new();

    private PointStore(string? path, string header)
    {
        _path = path;
        Header = header;
    }

    public string Header { get; }
    public IReadOnlyCollection<PointResult> Points => _points.Values;

    public static string HeaderFor(string yaml, IReadOnlyList<string> sets, SearchSpec spec) =>
        new JsonObject
        {
            ["kind"] = "search",
            ["scenarioHash"] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(yaml)))[..16],
            ["sets"] = new JsonArray(sets.Select(s => (JsonNode)s).ToArray()),
            ["vary"] = new JsonArray(spec.Vary.Select(p => (JsonNode)new JsonObject
            {
                ["path"] = p.Path, ["values"] = new JsonArray(p.Values.Select(v => (JsonNode)v).ToArray()),
            }).ToArray()),
            ["replications"] = spec.Replications,
            ["goal"] = spec.Goal.Text,
        }.ToJsonString();

    /// <summary>A new store at <paramref name="path"/> (replacing any file there), or the existing one when resuming.</summary>
    public static PointStore Open(string path, string header, bool resume)
    {
        var store = new PointStore(path, header);
        if (resume && File.Exists(path))
        {
            var lines = File.ReadAllLines(path);
            if (lines.Length == 0 || lines[0] != header)
                throw new UsageException(path, "this file belongs to a different search (scenario, --set, parameters, replications or goal differ): resume the same search, or start without --resume");
            for (int i = 1; i < lines.Length; i++)
            {
                if (string.IsNullOrWhiteSpace(lines[i]))
                    continue;
                try
                {
                    var p = Parse(lines[i]);
                    store._points[p.Key] = p;
                }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    // A line cut short by an interruption: that point runs again.
                    if (i != lines.Length - 1)
                        throw new ScenarioException(path, i + 1, 1, $"not a point record: {e.Message}");
                }
            }
            File.WriteAllLines(path, [header, .. store._points.Values.Select(Line)]);
            return store;
        }
        File.WriteAllText(path, header + "\n");
        return store;
    }

    /// <summary>Reads a finished store (for merge).</summary>
    public static PointStore Read(string path)
    {
        var lines = ScenarioLoader.ReadFile(path).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
            throw new UsageException(path, "empty: not a search's points.jsonl");
        var store = new PointStore(null, lines[0]);
        for (int i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var p = Parse(lines[i]);
            store._points[p.Key] = p;
        }
        return store;
    }

    public PointResult? TryGet(IReadOnlyList<string> values) =>
        _points.TryGetValue(string.Join('\u001f', values), out var p) ? p : null;

    public void Append(PointResult p)
    {
        lock (_gate)
        {
            _points[p.Key] = p;
            if (_path is not null)
                File.AppendAllText(_path, Line(p) + "\n");
        }
    }

    public static string Line(PointResult p) => new JsonObject
    {
        ["kind"] = "point",
        ["values"] = new JsonArray(p.Values.Select(v => (JsonNode)v).ToArray()),
        ["runs"] = p.Runs,
        ["failures"] = p.Failures,
        ["outcomes"] = Obj(p.Outcomes.Select(kv => (kv.Key, (JsonNode)kv.Value))),
        ["metrics"] = Obj(p.Metrics.Select(kv => (kv.Key, (JsonNode)kv.Value))),
        ["cause"] = p.Cause,
    }.ToJsonString();

    private static JsonObject Obj(IEnumerable<(string, JsonNode)> items)
    {
        var o = new JsonObject();
        foreach (var (k, v) in items) o[k] = v;
        return o;
    }

    private static PointResult Parse(string line)
    {
        var o = JsonNode.Parse(line)!.AsObject();
        return new PointResult(
            o["values"]!.AsArray().Select(v => v!.GetValue<string>()).ToList(),
            o["runs"]!.GetValue<int>(),
            o["failures"]!.GetValue<int>(),
            new SortedDictionary<string, long>(o["outcomes"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<long>()), StringComparer.Ordinal),
            new SortedDictionary<string, double>(o["metrics"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>()), StringComparer.Ordinal),
            o["cause"]?.GetValue<string>());
    }
}
