using System.Diagnostics;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Core.Search;

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
    private readonly int _maxRunsPerBatch;
    private readonly ulong _seed;
    private long _runsDone;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public Searcher(string yaml, string file, IReadOnlyList<string> sets, SearchSpec spec, int workers, Action<string>? progress,
        PointStore? store, int maxRunsPerBatch = MaxRunsPerBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRunsPerBatch, 1);
        _maxRunsPerBatch = maxRunsPerBatch;
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

    public SearchResult Run(int shard = 0, int shards = 1)
    {
        if (_spec.Strategy == SearchStrategy.Grid || _spec.Vary.Count != 1)
        {
            var mine = _spec.ShardPoints(shard, shards);
            var results = Evaluate(mine);
            if (shards == 1)
                return SearchConclusion.Conclude(_spec, results);
            // A shard holds part of the points: a boundary or a best point among them would mislead.
            return SearchConclusion.Conclude(_spec, results) with
            {
                Best = null,
                Boundary = null,
                Recommended = null,
                Warnings = [],
                Recommendation = $"shard {shard}/{shards} holds {mine.Count} of the search's {_spec.GridPoints().Count} points "
                    + "and recommends nothing: merge the shards' directories with `zombiesim merge` for the conclusion",
            };
        }
        if (shards > 1)
            throw new UsageException("--shard",
                "bisection decides each point from the last one, so it cannot be split into shards: use --strategy grid");
        return Bisect();
    }

    /// <summary>Runs started for a point before the bisection needed it: the work done on guesses while
    /// cores would otherwise wait (0 with one worker, and for a grid).</summary>
    public long SpeculativeRuns { get; private set; }

    /// <summary>
    /// Evaluates both ends, bisects to the boundary between unsafe and safe, then the margin beyond it.
    /// While a point runs, the workers it leaves idle run the points the bisection will need next
    /// whichever way the point turns out (two levels ahead): the same points are evaluated, stored and
    /// reported in the same order as one at a time.
    /// </summary>
    private SearchResult Bisect()
    {
        var values = _spec.Vary[0].Values;
        var visited = new Dictionary<int, PointResult>();
        int n = _spec.Replications;
        // Guesses hold their runs like the needed points: at most the runs of a batch at once.
        int guesses = Math.Clamp(_maxRunsPerBatch / n - 1, 0, 6);
        using var runs = new SpeculativeRuns<RunMetrics>(n, _workers, i =>
        {
            var scenario = ScenarioLoader.Load(_yaml, _file, [.. _sets, $"{_spec.Vary[0].Path}={values[i]}"]);
            return (rep, storage) => RunOnce(scenario, _seed + (ulong)rep, storage);
        });
        bool Stored(int i) => _store?.TryGet([values[i]]) is not null;
        void Need(params int[] points) => runs.Need(points.Where(i => !visited.ContainsKey(i) && !Stored(i)).ToArray());
        void Guess(IEnumerable<int> points) =>
            runs.Speculate(points.Where(i => i >= 0 && !visited.ContainsKey(i) && !Stored(i)).Distinct().Take(guesses).ToList());
        PointResult At(int i)
        {
            if (visited.TryGetValue(i, out var known))
                return known;
            if (_store?.TryGet([values[i]]) is { } done)
                return visited[i] = done;
            var r = Aggregate([values[i]], runs.Wait(i));
            Interlocked.Add(ref _runsDone, n);
            _store?.Append(r);
            Report(1, 1, r);
            return visited[i] = r;
        }
        bool Safe(int i) => _spec.Goal.Met(At(i).Failures, At(i).Runs);

        int lo = 0, hi = values.Count - 1;
        Need(lo, hi);
        Guess([Mid(lo, hi), Mid(lo, Mid(lo, hi)), Mid(Mid(lo, hi), hi)]);
        bool safeLo = Safe(lo), safeHi = Safe(hi);
        if (safeLo != safeHi)
        {
            bool increasing = safeHi; // safe at the top: look for the first safe value
            while (hi - lo > 1)
            {
                int mid = Mid(lo, hi);
                Need(mid);
                Guess(NextPoints(lo, mid, hi, increasing, values.Count));
                if (Safe(mid) == increasing) hi = mid;
                else lo = mid;
            }
            var margin = MarginPoints(increasing ? hi : lo, increasing, values.Count).ToArray();
            for (int k = 0; k < margin.Length; k++)
            {
                Need(margin.Skip(k).Take(Math.Max(1, _maxRunsPerBatch / n)).ToArray()); // the margin's next points, a batch's runs at most
                At(margin[k]);
            }
        }
        SpeculativeRuns = runs.SpeculativeRunsStarted;
        var points = visited.OrderBy(kv => kv.Key).Select(kv => kv.Value).ToList();
        return SearchConclusion.Conclude(_spec, points);
    }

    private static int Mid(int lo, int hi) => lo + (hi - lo) / 2;

    /// <summary>The margin beyond a boundary: the points the bisection evaluates once it has found it.</summary>
    private IEnumerable<int> MarginPoints(int boundary, bool increasing, int count) =>
        Enumerable.Range(1, _spec.MarginSteps).Select(k => increasing ? boundary + k : boundary - k).Where(i => i >= 0 && i < count);

    /// <summary>The points the bisection needs after <paramref name="mid"/> of (lo, hi), for each way it
    /// can turn out and each way the next can, nearest first.</summary>
    private IEnumerable<int> NextPoints(int lo, int mid, int hi, bool increasing, int count)
    {
        IEnumerable<(int Lo, int Hi)> After((int Lo, int Hi) s, int m) => [(s.Lo, m), (m, s.Hi)];
        var level1 = After((lo, hi), mid).ToList();
        foreach (var s in level1)
            yield return Following(s);
        foreach (var s in level1.Where(s => s.Hi - s.Lo > 1))
        {
            foreach (var t in After(s, Mid(s.Lo, s.Hi)))
                yield return Following(t);
        }
        // The point asked for in (lo, hi): its middle, or once bisected the first margin point (-1: none).
        int Following((int Lo, int Hi) s) =>
            s.Hi - s.Lo > 1 ? Mid(s.Lo, s.Hi) : MarginPoints(increasing ? s.Hi : s.Lo, increasing, count).FirstOrDefault(-1);
    }

    /// <summary>The most runs held at once by default: points are evaluated in batches of at most this many runs
    /// (at least one point each), so that a large grid or many replications neither overflows nor fills memory.</summary>
    public const int MaxRunsPerBatch = 1 << 20;

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
        int perBatch = Math.Max(1, _maxRunsPerBatch / _spec.Replications);
        for (int from = 0; from < todo.Count; from += perBatch)
            EvaluateBatch(points, todo, from, Math.Min(perBatch, todo.Count - from), results);
        return results!;
    }

    /// <summary>Runs <paramref name="count"/> points of <paramref name="todo"/> from <paramref name="from"/>,
    /// every run in parallel, and appends the finished points to the store in order.</summary>
    private void EvaluateBatch(IReadOnlyList<IReadOnlyList<string>> points, List<int> todo, int from, int count, PointResult?[] results)
    {
        var batch = todo.GetRange(from, count);
        var scenarios = batch.ToDictionary(i => i,
            i => ScenarioLoader.Load(_yaml, _file, [.. _sets, .. _spec.Vary.Select((p, k) => $"{p.Path}={points[i][k]}")]));
        int n = _spec.Replications;
        var runs = new RunMetrics[batch.Count * n];
        var remaining = Enumerable.Repeat(n, batch.Count).ToArray(); // runs left per point of the batch
        int nextToWrite = 0;
        var gate = new object();
        using var storage = new ThreadLocal<RunStorage>(() => new RunStorage()); // each worker's, for its runs one after another
        Parallel.For(0, runs.Length, new ParallelOptions { MaxDegreeOfParallelism = _workers }, j =>
        {
            int t = j / n, rep = j % n;
            int point = batch[t];
            runs[j] = RunOnce(scenarios[point], _seed + (ulong)rep, storage.Value!);
            Interlocked.Increment(ref _runsDone);
            if (Interlocked.Decrement(ref remaining[t]) > 0)
                return;
            // The point's last run: aggregated outside the lock, so that the other workers' runs do not wait for it.
            var aggregate = Aggregate(points[point], runs.AsSpan(t * n, n));
            lock (gate)
            {
                results[point] = aggregate;
                // Append finished points in order, so the store is the same whatever the workers.
                while (nextToWrite < batch.Count && results[batch[nextToWrite]] is { } r)
                {
                    _store?.Append(r);
                    nextToWrite++;
                    Report(todo.Count, from + nextToWrite, r);
                }
            }
        });
    }

    private void Report(int total, int done, PointResult r)
    {
        if (_progress is null)
            return;
        double rate = RunsDone / Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
        double left = (total - done) * _spec.Replications / Math.Max(rate, 1e-9);
        string batch = total > 1 ? $"; {done}/{total} points of this batch done, about {left:0} s left" : "";
        _progress($"point {string.Join(", ", _spec.Vary.Select((p, k) => $"{p.Path}={r.Values[k]}"))}: {r.Failures}/{r.Runs} runs failed; "
            + $"{rate:0} runs/s, {RunsDone} runs so far{batch}");
    }

    private readonly record struct RunMetrics(bool Failed, IReadOnlyDictionary<Outcome, long> Outcomes, int PeakServer,
        double ZombieSeconds, double P99, string? Cause);

    /// <summary>One run, on the worker's <paramref name="storage"/>: what the point needs of it is read before the next.</summary>
    private RunMetrics RunOnce(Scenario scenario, ulong seed, RunStorage storage)
    {
        var failures = new FirstFailure(_spec.Goal);
        var outcome = Simulation.Run(scenario, seed, storage, failures);
        var s = outcome.Summary;
        return new RunMetrics(failures.Failed, s.Outcomes, s.PeakServerConnections, s.ZombieSeconds, s.Latency.Quantile(0.99),
            failures.Cause);
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
            string origin = r.Origin is null ? "" : $" ({r.Origin.Value.Name()})";
            Cause = $"{r.Outcome.Name()}{origin}{(r.Cause is null ? "" : ": " + r.Cause.Text(instants: false))}";
        }
    }

    private static PointResult Aggregate(IReadOnlyList<string> values, ReadOnlySpan<RunMetrics> runs)
    {
        var outcomes = new SortedDictionary<Outcome, long>(PointResult.OutcomeOrder);
        int failures = 0;
        double peak = 0, zombie = 0, p99 = 0;
        var causes = new Dictionary<string, int>();
        foreach (var r in runs)
        {
            if (r.Failed) failures++;
            foreach (var (k, v) in r.Outcomes) outcomes[k] = outcomes.GetValueOrDefault(k) + v;
            peak += r.PeakServer;
            zombie += r.ZombieSeconds;
            p99 += r.P99;
            if (r.Cause is { } c) causes[c] = causes.GetValueOrDefault(c) + 1;
        }
        int n = runs.Length;
        var metrics = new Dictionary<Metric, double>
        {
            [Metric.PeakServerConnections] = Math.Round(peak / n, 6),
            [Metric.ZombieSeconds] = Math.Round(zombie / n, 6),
            [Metric.P99LatencyMs] = Math.Round(p99 / n, 6),
            [Metric.ErrorRate] = Math.Round((double)failures / n, 6),
        };
        string? cause = causes.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key)
            .FirstOrDefault();
        return new PointResult(values, n, failures, outcomes, metrics, cause);
    }
}
