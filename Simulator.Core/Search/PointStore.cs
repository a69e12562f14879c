using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Zombiesim.Core.Files;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Search;

/// <summary>
/// points.jsonl: a header line that pins the search, then one JSON line per finished point. It is a
/// journal: a new or resumed store is written atomically, then each finished point is appended as a
/// whole line and flushed, so that an interrupted search resumes from what it finished (a line cut
/// short by a kill is run again). Merged shards are written atomically in one go.
/// </summary>
public sealed class PointStore
{
    public const string FileName = "points.jsonl";

    private readonly string? _path;
    private readonly Dictionary<string, PointResult> _points = new();
    private readonly object _gate = new();

    private PointStore(string? path, SearchHeader header)
    {
        _path = path;
        Header = header;
    }

    public SearchHeader Header { get; }
    public IReadOnlyCollection<PointResult> Points => _points.Values;

    /// <summary>A new store at <paramref name="path"/> (replacing any file there), or the existing one when resuming.</summary>
    public static PointStore Open(string path, SearchHeader header, bool resume)
    {
        var store = new PointStore(path, header);
        if (resume && File.Exists(path))
        {
            var lines = File.ReadAllLines(path);
            if (lines.Length == 0 || lines[0] != header.ToJson())
                throw new UsageException(path, "this file belongs to a different search (scenario, --set, parameters, replications or goal "
                    + "differ): resume the same search, or start without --resume");
            store.Add(lines, path, lastMayBeCut: true); // a line cut short by an interruption: that point runs again
        }
        Write(path, header, store._points.Values);
        return store;
    }

    /// <summary>Writes a whole store atomically (a new search, a resumed one cleaned of a cut line, merged shards).</summary>
    public static void Write(string path, SearchHeader header, IEnumerable<PointResult> points) =>
        AtomicFile.Write(path, f =>
        {
            f.Writer.Write(header.ToJson() + "\n");
            foreach (var p in points)
                f.Writer.Write(Line(p) + "\n");
        });

    /// <summary>Reads a finished store (for merge).</summary>
    public static PointStore Read(string path)
    {
        var lines = ScenarioLoader.ReadFile(path).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
            throw new UsageException(path, "empty: not a search's points.jsonl");
        var store = new PointStore(null, SearchHeader.Parse(lines[0], path));
        store.Add(lines, path, lastMayBeCut: false);
        return store;
    }

    /// <summary>Adds the point records of <paramref name="lines"/> after the header line; a line that is
    /// not a record is an error at its line, except the last when it may have been cut short.</summary>
    private void Add(string[] lines, string path, bool lastMayBeCut)
    {
        for (int i = 1; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
                continue;
            try
            {
                var p = Parse(lines[i]);
                _points[p.Key] = p;
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                if (!lastMayBeCut || i != lines.Length - 1)
                    throw new ScenarioException(path, i + 1, 1, $"not a point record: {e.Message}");
            }
        }
    }

    public PointResult? TryGet(IReadOnlyList<string> values) =>
        _points.TryGetValue(string.Join('\u001f', values), out var p) ? p : null;

    /// <summary>Keeps a finished point and appends its line to the journal.</summary>
    public void Append(PointResult p)
    {
        lock (_gate)
        {
            _points[p.Key] = p;
            if (_path is null)
                return;
            try
            {
                File.AppendAllText(_path, Line(p) + "\n");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new OutputException(_path, $"cannot append to '{_path}': {e.Message}; the points finished before were kept "
                    + "(--resume continues from them)", e);
            }
        }
    }

    public static string Line(PointResult p) => new JsonObject
    {
        ["kind"] = "point",
        ["values"] = new JsonArray(p.Values.Select(v => (JsonNode)v).ToArray()),
        ["runs"] = p.Runs,
        ["failures"] = p.Failures,
        ["outcomes"] = Obj(p.Outcomes.Select(kv => (kv.Key.Name(), (JsonNode)kv.Value))),
        ["metrics"] = Obj(MetricNames.ByName.Where(p.Metrics.ContainsKey).Select(m => (m.Name(), (JsonNode)p.Metrics[m]))),
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
            ReadOutcomes(o["outcomes"]!.AsObject()),
            ReadMetrics(o["metrics"]!.AsObject()),
            o["cause"]?.GetValue<string>());
    }

    /// <summary>Requests by outcome as a point's JSON writes them (outcome names), typed.</summary>
    public static SortedDictionary<Outcome, long> ReadOutcomes(JsonObject o)
    {
        var outcomes = new SortedDictionary<Outcome, long>(PointResult.OutcomeOrder);
        foreach (var (k, v) in o)
            outcomes[OutcomeNames.TryParse(k, out Outcome oc) ? oc : throw new FormatException($"'{k}' is not an outcome")] =
                v!.GetValue<long>();
        return outcomes;
    }

    /// <summary>Metrics as a point's JSON writes them (metric names), typed.</summary>
    public static Dictionary<Metric, double> ReadMetrics(JsonObject o)
    {
        var metrics = new Dictionary<Metric, double>();
        foreach (var (k, v) in o)
            metrics[MetricNames.TryParse(k, out Metric m) ? m : throw new FormatException($"'{k}' is not a metric")] =
                v!.GetValue<double>();
        return metrics;
    }
}

/// <summary>
/// The first line of points.jsonl: everything the points and their conclusion depend on (a hash of
/// the scenario's text, the --set values, the search) and the scenario's name. A resumed or merged
/// search must have the same header.
/// </summary>
public sealed record SearchHeader(string ScenarioHash, IReadOnlyList<string> Sets, SearchSpec Spec, string Name)
{
    public static SearchHeader For(string yaml, IReadOnlyList<string> sets, SearchSpec spec, string name) =>
        new(Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(yaml)))[..16], sets, spec, name);

    public string ToJson() => new JsonObject
    {
        ["kind"] = "search",
        ["scenarioHash"] = ScenarioHash,
        ["sets"] = new JsonArray(Sets.Select(s => (JsonNode)s).ToArray()),
        ["vary"] = new JsonArray(Spec.Vary.Select(p => (JsonNode)new JsonObject
        {
            ["path"] = p.Path, ["values"] = new JsonArray(p.Values.Select(v => (JsonNode)v).ToArray()),
        }).ToArray()),
        ["replications"] = Spec.Replications,
        ["goal"] = Spec.Goal.Text,
        ["name"] = Name,
        ["objective"] = Spec.Objective.Text,
        ["strategy"] = Spec.Strategy.ToString().ToLowerInvariant(),
        ["marginSteps"] = Spec.MarginSteps,
    }.ToJsonString();

    /// <summary>Reads a header line back; <paramref name="file"/> names the file in errors.</summary>
    public static SearchHeader Parse(string line, string file)
    {
        try
        {
            var h = JsonNode.Parse(line)!.AsObject();
            if (h["kind"]?.GetValue<string>() != "search")
                throw new FormatException("not a search's header (written by `zombiesim search --out`)");
            var vary = h["vary"]!.AsArray().Select(v => new Parameter(v!["path"]!.GetValue<string>(),
                v["values"]!.AsArray().Select(x => x!.GetValue<string>()).ToList())).ToList();
            string strategy = h["strategy"]!.GetValue<string>();
            var spec = new SearchSpec(vary, h["replications"]!.GetValue<int>(), Goal.Parse(h["goal"]!.GetValue<string>(), file),
                Objective.Parse(h["objective"]!.GetValue<string>(), vary, file),
                strategy switch
                {
                    "grid" => SearchStrategy.Grid,
                    "bisect" => SearchStrategy.Bisect,
                    _ => throw new FormatException($"'{strategy}' is not a strategy"),
                },
                h["marginSteps"]!.GetValue<int>());
            return new SearchHeader(h["scenarioHash"]!.GetValue<string>(), h["sets"]!.AsArray().Select(x => x!.GetValue<string>()).ToList(),
                spec, h["name"]!.GetValue<string>());
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException)
        {
            throw new ScenarioException(file, 1, 1, $"not a search's header: {e.Message}");
        }
    }
}
