using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Zombiesim.Core.Files;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Search;

namespace Zombiesim.Cli.Searches;

/// <summary>
/// What a search found, as search.json, search.csv and `search --json` give it: every point with its
/// failure rate and interval, the boundary, the recommendation and the warnings. Built from a
/// <see cref="SearchResult"/> in memory, or read back from search.json for `plot`.
/// </summary>
public sealed record SearchReport(
    string Scenario,
    IReadOnlyList<(string Path, int Values)> Vary,
    int Replications,
    string Goal,
    double Confidence,
    Objective Objective,
    SearchStrategy Strategy,
    IReadOnlyList<ReportPoint> Points,
    IReadOnlyList<string>? Boundary,
    IReadOnlyList<string>? Recommended,
    string Recommendation,
    IReadOnlyList<string> Warnings)
{
    public const string JsonFile = "search.json", CsvFile = "search.csv";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static SearchReport From(SearchResult r, string scenario)
    {
        var spec = r.Spec;
        var points = r.Points.Select((p, i) =>
        {
            var (lo, hi) = Wilson.Interval(p.Failures, p.Runs, spec.Goal.Confidence);
            double rate = Math.Round((double)p.Failures / p.Runs, 6);
            return new ReportPoint(p.Values, p.Runs, p.Failures, rate, Math.Round(lo, 6), Math.Round(hi, 6), r.Safe[i], p.Outcomes,
                p.Metrics, p.Cause);
        }).ToList();
        return new SearchReport(scenario, spec.Vary.Select(v => (v.Path, v.Values.Count)).ToList(), spec.Replications, spec.Goal.Text,
            spec.Goal.Confidence, spec.Objective, spec.Strategy, points, r.Boundary?.Values, r.Recommended?.Values, r.Recommendation,
            r.Warnings);
    }

    // ---------------------------------------------------------------- search.json

    public JsonObject ToJson()
    {
        JsonObject Values(IReadOnlyList<string> values)
        {
            var o = new JsonObject();
            for (int k = 0; k < Vary.Count; k++) o[Vary[k].Path] = values[k];
            return o;
        }
        JsonObject Point(ReportPoint p)
        {
            var outcomes = new JsonObject();
            foreach (var (k, v) in p.Outcomes) outcomes[k.Name()] = v;
            var metrics = new JsonObject();
            foreach (var m in MetricNames.ByName.Where(p.Metrics.ContainsKey)) metrics[m.Name()] = p.Metrics[m];
            return new JsonObject
            {
                ["values"] = Values(p.Values), ["runs"] = p.Runs, ["failures"] = p.Failures,
                ["failureRate"] = p.FailureRate, ["low"] = p.Low, ["high"] = p.High,
                ["safe"] = p.Safe, ["outcomes"] = outcomes, ["metrics"] = metrics, ["cause"] = p.Cause,
            };
        }
        return new JsonObject
        {
            ["scenario"] = Scenario,
            ["vary"] = new JsonArray(Vary.Select(v => (JsonNode)new JsonObject { ["path"] = v.Path, ["values"] = v.Values }).ToArray()),
            ["replications"] = Replications,
            ["goal"] = Goal,
            ["confidence"] = Confidence,
            ["objective"] = Objective.Text,
            ["strategy"] = Strategy.ToString().ToLowerInvariant(),
            ["points"] = new JsonArray(Points.Select(p => (JsonNode)Point(p)).ToArray()),
            ["boundary"] = Boundary is null ? null : Values(Boundary),
            ["recommendation"] = new JsonObject
            {
                ["values"] = Recommended is null ? null : Values(Recommended),
                ["text"] = Recommendation,
            },
            ["warnings"] = new JsonArray(Warnings.Select(w => (JsonNode)w).ToArray()),
        };
    }

    public string JsonText() => ToJson().ToJsonString(JsonOptions.Indented);

    /// <summary>search.json read back.</summary>
    public static SearchReport Read(string path)
    {
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new FormatException("not a JSON object");
            var vary = o["vary"]!.AsArray().Select(v => (v!["path"]!.GetValue<string>(), v["values"]!.GetValue<int>())).ToList();
            IReadOnlyList<string>? Values(JsonNode? node) =>
                node is JsonObject values ? vary.Select(v => values[v.Item1]!.GetValue<string>()).ToList() : null;
            var points = o["points"]!.AsArray().Select(x =>
            {
                var p = x!.AsObject();
                return new ReportPoint(Values(p["values"])!, p["runs"]!.GetValue<int>(), p["failures"]!.GetValue<int>(),
                    p["failureRate"]!.GetValue<double>(), p["low"]!.GetValue<double>(), p["high"]!.GetValue<double>(),
                    p["safe"]!.GetValue<bool>(), PointStore.ReadOutcomes(p["outcomes"]!.AsObject()),
                    PointStore.ReadMetrics(p["metrics"]!.AsObject()), p["cause"]?.GetValue<string>());
            }).ToList();
            string strategy = o["strategy"]!.GetValue<string>();
            var paths = vary.Select(v => new Parameter(v.Item1, [])).ToList();
            var objective = Objective.Parse(o["objective"]!.GetValue<string>(), paths, path);
            return new SearchReport(o["scenario"]!.GetValue<string>(), vary, o["replications"]!.GetValue<int>(),
                o["goal"]!.GetValue<string>(), o["confidence"]!.GetValue<double>(), objective,
                strategy switch
                {
                    "grid" => SearchStrategy.Grid,
                    "bisect" => SearchStrategy.Bisect,
                    _ => throw new FormatException($"'{strategy}' is not a strategy"),
                },
                points, Values(o["boundary"]), Values(o["recommendation"]?["values"]), o["recommendation"]!["text"]!.GetValue<string>(),
                o["warnings"]!.AsArray().Select(w => w!.GetValue<string>()).ToList());
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException
            or KeyNotFoundException)
        {
            throw new ScenarioException(path, 1, 1, $"not as `zombiesim search --out` writes it: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException(path, $"cannot read the file: {e.Message}");
        }
    }

    // ---------------------------------------------------------------- search.csv

    public string Csv()
    {
        var outcomeNames = Points.SelectMany(p => p.Outcomes.Keys).Where(k => k != Outcome.Ok).Distinct().Select(k => k.Name())
            .Order(StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        sb.Append(string.Join(',', Vary.Select(v => v.Path))).Append(",runs,failures,failure_rate,low,high,safe,")
          .Append(string.Join(',', outcomeNames.Select(o => "requests_" + o))).Append(outcomeNames.Count > 0 ? "," : "")
          .Append(string.Join(',', MetricNames.All.Select(m => m.Name()))).Append(",cause\n");
        foreach (var p in Points)
        {
            var byName = p.Outcomes.ToDictionary(kv => kv.Key.Name(), kv => kv.Value);
            sb.Append(string.Join(',', p.Values)).Append(',').Append(p.Runs).Append(',').Append(p.Failures).Append(',')
              .Append(F(p.FailureRate)).Append(',').Append(F(p.Low)).Append(',').Append(F(p.High)).Append(',')
              .Append(p.Safe ? "true" : "false").Append(',')
              .Append(string.Join(',', outcomeNames.Select(o => byName.GetValueOrDefault(o).ToString(Inv))))
              .Append(outcomeNames.Count > 0 ? "," : "")
              .Append(string.Join(',', MetricNames.All.Select(m => F(p.Metrics[m])))).Append(',')
              .Append(p.Cause is null ? "" : "\"" + p.Cause.Replace("\"", "\"\"") + "\"").Append('\n');
        }
        return sb.ToString();
    }

    private static string F(double x) => Math.Round(x, 6).ToString("0.######", Inv);

    /// <summary>search.csv read back: the varied paths and the points as the table has them (the ok count,
    /// which the table leaves out, is absent from each point's outcomes).</summary>
    public static (IReadOnlyList<string> Paths, IReadOnlyList<ReportPoint> Points) ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        int line = 1;
        try
        {
            var header = lines.Length > 0 ? lines[0].Split(',') : throw new FormatException("empty");
            int runs = Array.IndexOf(header, "runs");
            if (runs < 1 || header[^1] != "cause")
                throw new FormatException("expected the varied paths, runs, ..., cause");
            var outcomes = header.Where(h => h.StartsWith("requests_", StringComparison.Ordinal))
                .Select(h => OutcomeNames.TryParse(h["requests_".Length..], out Outcome o) ? o : throw new FormatException($"'{h}'"))
                .ToList();
            int firstOutcome = runs + 6, firstMetric = firstOutcome + outcomes.Count;
            var points = new List<ReportPoint>();
            for (line = 2; line <= lines.Length; line++)
            {
                if (lines[line - 1].Length == 0)
                    continue;
                var f = lines[line - 1].Split(',', header.Length);
                double D(int i) => double.Parse(f[i], Inv);
                var counts = new SortedDictionary<Outcome, long>(PointResult.OutcomeOrder);
                for (int k = 0; k < outcomes.Count; k++)
                    counts[outcomes[k]] = long.Parse(f[firstOutcome + k], Inv);
                var metrics = MetricNames.All.Select((m, k) => (m, k)).ToDictionary(x => x.m, x => D(firstMetric + x.k));
                string c = f[^1];
                string? cause = c.Length == 0 ? null
                    : c.Length >= 2 && c[0] == '"' && c[^1] == '"' ? c[1..^1].Replace("\"\"", "\"")
                    : throw new FormatException("the cause is not quoted");
                points.Add(new ReportPoint(f[..runs], int.Parse(f[runs], Inv), int.Parse(f[runs + 1], Inv), D(runs + 2), D(runs + 3),
                    D(runs + 4), f[runs + 5] == "true", counts, metrics, cause));
            }
            return (header[..runs], points);
        }
        catch (Exception e) when (e is FormatException or IndexOutOfRangeException or OverflowException)
        {
            throw new ScenarioException(path, line, 1, $"not as `zombiesim search --out` writes it: {e.Message}");
        }
    }

    /// <summary>Writes search.json and search.csv into <paramref name="dir"/>, each atomically.</summary>
    public void Save(string dir)
    {
        AtomicFile.WriteAllText(Path.Combine(dir, JsonFile), JsonText() + "\n");
        AtomicFile.WriteAllText(Path.Combine(dir, CsvFile), Csv());
    }
}

/// <summary>One point of a <see cref="SearchReport"/>: its values, runs, failures, failure rate with
/// its interval (rounded to six decimals, as written), whether it is safe, outcomes, metrics and typical cause.</summary>
public sealed record ReportPoint(
    IReadOnlyList<string> Values,
    int Runs,
    int Failures,
    double FailureRate,
    double Low,
    double High,
    bool Safe,
    IReadOnlyDictionary<Outcome, long> Outcomes,
    IReadOnlyDictionary<Metric, double> Metrics,
    string? Cause);
