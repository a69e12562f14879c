using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Search;

namespace Zombiesim.Cli.Commands;

/// <summary>`zombiesim search` and `zombiesim merge`: which settings avoid client errors, with evidence.</summary>
public static class SearchCommand
{
    public static Command Build()
    {
        var file = new Argument<string>("FILE") { Description = "The scenario (YAML); its `search:` section gives defaults for the flags below." };
        var vary = new Option<string[]>("--vary") { Description = "PATH=FROM..TO[:STEP] or PATH=a,b,c, e.g. server.idleTimeout=60s..400s:10s. Repeatable." };
        var replications = new Option<int?>("--replications") { Description = "Runs per point; replication i uses seed + i at every point (default 100)." };
        var goal = new Option<string?>("--goal") { Description = "'no EOF,ECONNRESET,EPIPE,ETIMEDOUT' or 'errors <= 1% at 95%' (default: no errors)." };
        var objective = new Option<string?>("--objective") { Description = "'min PATH', 'max PATH', 'min peakServerConnections', 'min zombieSeconds', 'min p99LatencyMs' (default: min of the first varied path)." };
        var strategy = new Option<string?>("--strategy") { Description = "bisect (one monotone parameter; the default for one) or grid (the default for several)." };
        var margin = new Option<int?>("--margin-steps") { Description = "Steps above the boundary to recommend (default 1)." };
        var workers = new Option<int>("--workers") { Description = "Parallel runs (default: all cores). Results do not depend on it.", DefaultValueFactory = _ => System.Environment.ProcessorCount };
        var set = new Option<string[]>("--set") { Description = "Override a scenario value for every run: path=value. Repeatable." };
        var outDir = new Option<string?>("--out") { Description = "Write points.jsonl (one line per finished point), search.json and search.csv here." };
        var json = new Option<bool>("--json") { Description = "Print JSON (at least points and recommendation)." };
        var resume = new Option<bool>("--resume") { Description = "Continue the search whose points.jsonl is in --out." };
        var shard = new Option<string?>("--shard") { Description = "I/N: run only the I-th of N parts of a grid (combine with `zombiesim merge`)." };
        var command = new Command("search", "Find the settings that avoid client errors: vary parameters, replicate, and recommend with evidence.")
        {
            file, vary, replications, goal, objective, strategy, margin, workers, set, outDir, json, resume, shard,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            string path = parse.GetValue(file)!;
            string yaml = ScenarioLoader.ReadFile(path);
            string[] sets = parse.GetValue(set) ?? [];
            var scenario = ScenarioLoader.Load(yaml, path, sets);
            var spec = Resolve(scenario.Search, parse.GetValue(vary) ?? [], parse.GetValue(replications), parse.GetValue(goal),
                parse.GetValue(objective), parse.GetValue(strategy), parse.GetValue(margin));
            var (i, n) = ParseShard(parse.GetValue(shard));
            string? dir = parse.GetValue(outDir);
            if (parse.GetValue(resume) && dir is null)
                throw new UsageException("--resume", "--resume needs --out DIR, where the interrupted search wrote points.jsonl");
            if (parse.GetValue(workers) < 1)
                throw new UsageException("--workers", "--workers must be at least 1");
            PointStore? store = null;
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
                store = PointStore.Open(Path.Combine(dir, "points.jsonl"), Header(yaml, scenario.Name, sets, spec), parse.GetValue(resume));
            }
            var searcher = new Searcher(yaml, path, sets, spec, parse.GetValue(workers), m => error.WriteLine(m), store);
            var result = searcher.Run(i, n);
            return Report(result, scenario.Name, dir, parse.GetValue(json), output);
        });
        return command;
    }

    public static Command BuildMerge()
    {
        var dirs = new Argument<string[]>("DIR") { Description = "The --out directories of the shards.", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string>("--out") { Description = "Where to write the merged points.jsonl, search.json and search.csv.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("merge", "Combine the shards of a grid search into one result.") { dirs, outDir, json };
        command.SetAction(parse =>
        {
            var stores = parse.GetValue(dirs)!.Select(d => PointStore.Read(Path.Combine(d, "points.jsonl"))).ToList();
            string header = stores[0].Header;
            if (stores.Any(s => s.Header != header))
                throw new UsageException("merge", "the shards belong to different searches (their points.jsonl headers differ)");
            var (spec, name) = FromHeader(header);
            var points = stores.SelectMany(s => s.Points).GroupBy(p => p.Key).Select(g => g.First()).ToList();
            string dir = parse.GetValue(outDir)!;
            Directory.CreateDirectory(dir);
            var ordered = Searcher.Conclude(spec, points);
            File.WriteAllLines(Path.Combine(dir, "points.jsonl"), [header, .. ordered.Points.Select(PointStore.Line)]);
            return Report(ordered, name, dir, parse.GetValue(json), parse.InvocationConfiguration.Output);
        });
        return command;
    }

    internal static SearchSpec Resolve(SearchSection? section, string[] vary, int? replications, string? goal, string? objective, string? strategy, int? margin)
    {
        var parameters = vary.Length > 0
            ? vary.Select((v, k) => Parameter.Parse(v, $"--vary #{k + 1}")).ToList()
            : section?.Vary.Select(v => new Parameter(v.Path, v.Values)).ToList() ?? [];
        if (parameters.Count == 0)
            throw new UsageException("--vary", "nothing to vary: give --vary PATH=FROM..TO[:STEP] (like server.idleTimeout=60s..400s:10s) or a `search: vary:` section");
        if (parameters.Select(p => p.Path).Distinct().Count() != parameters.Count)
            throw new UsageException("--vary", "a path is varied twice");
        string goalText = goal ?? section?.Goal ?? "no errors";
        var g = Goal.Parse(goalText, goal is null ? "search.goal" : "--goal");
        // The file's objective applies only to what is varied now (--vary may replace the file's parameters).
        string? fileObjective = section?.Objective is { } fo && (vary.Length == 0 || Objective.Metrics.Contains(fo.Split(' ').Last()) || parameters.Any(p => fo.EndsWith(" " + p.Path, StringComparison.Ordinal))) ? fo : null;
        var o = Objective.Parse(objective ?? fileObjective ?? $"min {parameters[0].Path}", parameters, objective is null ? "search.objective" : "--objective");
        string s = strategy ?? section?.Strategy ?? (parameters.Count == 1 ? "bisect" : "grid");
        var st = s switch
        {
            "bisect" => SearchStrategy.Bisect,
            "grid" => SearchStrategy.Grid,
            _ => throw new UsageException("--strategy", $"'{s}' is not a strategy: expected bisect or grid"),
        };
        if (st == SearchStrategy.Bisect && parameters.Count != 1)
            throw new UsageException("--strategy", $"bisect varies one parameter; {parameters.Count} are varied: use --strategy grid");
        return new SearchSpec(parameters, replications ?? section?.Replications ?? 100, g, o, st, margin ?? section?.MarginSteps ?? 1);
    }

    private static (int I, int N) ParseShard(string? text)
    {
        if (text is null)
            return (0, 1);
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int i) || !int.TryParse(parts[1], out int n) || n < 1 || i < 1 || i > n)
            throw new UsageException("--shard", $"'{text}' is not I/N with 1 <= I <= N, like 1/4");
        return (i - 1, n);
    }

    /// <summary>The store's header pins everything the points and their conclusion depend on.</summary>
    private static string Header(string yaml, string name, IReadOnlyList<string> sets, SearchSpec spec)
    {
        var h = JsonNode.Parse(PointStore.HeaderFor(yaml, sets, spec))!.AsObject();
        h["name"] = name;
        h["objective"] = spec.Objective.Text;
        h["strategy"] = spec.Strategy.ToString().ToLowerInvariant();
        h["marginSteps"] = spec.MarginSteps;
        return h.ToJsonString();
    }

    private static (SearchSpec Spec, string Name) FromHeader(string header)
    {
        var h = JsonNode.Parse(header)!.AsObject();
        var vary = h["vary"]!.AsArray().Select(v => new Parameter(v!["path"]!.GetValue<string>(), v["values"]!.AsArray().Select(x => x!.GetValue<string>()).ToList())).ToList();
        var spec = new SearchSpec(vary, h["replications"]!.GetValue<int>(), Goal.Parse(h["goal"]!.GetValue<string>(), "header"),
            Objective.Parse(h["objective"]!.GetValue<string>(), vary, "header"),
            h["strategy"]!.GetValue<string>() == "grid" ? SearchStrategy.Grid : SearchStrategy.Bisect, h["marginSteps"]!.GetValue<int>());
        return (spec, h["name"]!.GetValue<string>());
    }

    // ---------------------------------------------------------------- output

    private static int Report(SearchResult result, string name, string? dir, bool asJson, TextWriter output)
    {
        var doc = ToJson(result, name);
        if (dir is not null)
        {
            File.WriteAllText(Path.Combine(dir, "search.json"), doc.ToJsonString(JsonOptions.Indented) + "\n");
            File.WriteAllText(Path.Combine(dir, "search.csv"), Csv(result));
            Plots.Charts.Save(Plots.Charts.Search(doc), Path.Combine(dir, "search"), "both", PlotCommand.DefaultWidth, PlotCommand.DefaultHeight);
        }
        if (asJson)
            output.WriteLine(doc.ToJsonString(JsonOptions.Indented));
        else
            WriteText(result, name, output);
        return ExitCodes.Ok;
    }

    private static JsonObject ToJson(SearchResult r, string name)
    {
        var spec = r.Spec;
        JsonObject Values(PointResult p)
        {
            var o = new JsonObject();
            for (int k = 0; k < spec.Vary.Count; k++) o[spec.Vary[k].Path] = p.Values[k];
            return o;
        }
        JsonObject Point(PointResult p, bool safe)
        {
            var (lo, hi) = Wilson.Interval(p.Failures, p.Runs, spec.Goal.Confidence);
            var outcomes = new JsonObject();
            foreach (var (k, v) in p.Outcomes) outcomes[k] = v;
            var metrics = new JsonObject();
            foreach (var (k, v) in p.Metrics) metrics[k] = v;
            return new JsonObject
            {
                ["values"] = Values(p), ["runs"] = p.Runs, ["failures"] = p.Failures,
                ["failureRate"] = Math.Round((double)p.Failures / p.Runs, 6), ["low"] = Math.Round(lo, 6), ["high"] = Math.Round(hi, 6),
                ["safe"] = safe, ["outcomes"] = outcomes, ["metrics"] = metrics, ["cause"] = p.Cause,
            };
        }
        return new JsonObject
        {
            ["scenario"] = name,
            ["vary"] = new JsonArray(spec.Vary.Select(p => (JsonNode)new JsonObject { ["path"] = p.Path, ["values"] = p.Values.Count }).ToArray()),
            ["replications"] = spec.Replications,
            ["goal"] = spec.Goal.Text,
            ["confidence"] = spec.Goal.Confidence,
            ["objective"] = spec.Objective.Text,
            ["strategy"] = spec.Strategy.ToString().ToLowerInvariant(),
            ["points"] = new JsonArray(r.Points.Select((p, i) => (JsonNode)Point(p, r.Safe[i])).ToArray()),
            ["boundary"] = r.Boundary is null ? null : Values(r.Boundary),
            ["recommendation"] = new JsonObject
            {
                ["values"] = r.Recommended is null ? null : Values(r.Recommended),
                ["text"] = r.Recommendation,
            },
            ["warnings"] = new JsonArray(r.Warnings.Select(w => (JsonNode)w).ToArray()),
        };
    }

    private static string Csv(SearchResult r)
    {
        var spec = r.Spec;
        var outcomeNames = r.Points.SelectMany(p => p.Outcomes.Keys).Where(k => k != "ok").Distinct().Order(StringComparer.Ordinal).ToList();
        var sb = new StringBuilder();
        sb.Append(string.Join(',', spec.Vary.Select(v => v.Path))).Append(",runs,failures,failure_rate,low,high,safe,")
          .Append(string.Join(',', outcomeNames.Select(o => "requests_" + o))).Append(outcomeNames.Count > 0 ? "," : "")
          .Append(string.Join(',', Objective.Metrics)).Append(",cause\n");
        for (int i = 0; i < r.Points.Count; i++)
        {
            var p = r.Points[i];
            var (lo, hi) = Wilson.Interval(p.Failures, p.Runs, spec.Goal.Confidence);
            sb.Append(string.Join(',', p.Values)).Append(',').Append(p.Runs).Append(',').Append(p.Failures).Append(',')
              .Append(F((double)p.Failures / p.Runs)).Append(',').Append(F(lo)).Append(',').Append(F(hi)).Append(',').Append(r.Safe[i] ? "true" : "false").Append(',')
              .Append(string.Join(',', outcomeNames.Select(o => p.Outcomes.GetValueOrDefault(o).ToString(CultureInfo.InvariantCulture)))).Append(outcomeNames.Count > 0 ? "," : "")
              .Append(string.Join(',', Objective.Metrics.Select(m => F(p.Metrics[m])))).Append(',')
              .Append(p.Cause is null ? "" : "\"" + p.Cause.Replace("\"", "\"\"") + "\"").Append('\n');
        }
        return sb.ToString();
    }

    private static string F(double x) => Math.Round(x, 6).ToString("0.######", CultureInfo.InvariantCulture);

    private static void WriteText(SearchResult r, string name, TextWriter o)
    {
        var spec = r.Spec;
        o.WriteLine($"{name}: {spec.Strategy.ToString().ToLowerInvariant()} over {string.Join(", ", spec.Vary.Select(v => $"{v.Path} ({v.Values.Count} values)"))}; "
            + $"{spec.Replications} replications per point; goal '{spec.Goal.Text}' at {Searcher.Pct(spec.Goal.Confidence)}; objective '{spec.Objective.Text}'");
        o.WriteLine();
        var header = spec.Vary.Select(v => v.Path).Concat(["runs", "failed", "failure rate [interval]", "safe", "errors", spec.Objective.Metric.Contains('.') ? "" : spec.Objective.Metric, "typical cause"]).Where(h => h.Length > 0).ToList();
        var rows = new List<List<string>>();
        for (int i = 0; i < r.Points.Count; i++)
        {
            var p = r.Points[i];
            var (lo, hi) = Wilson.Interval(p.Failures, p.Runs, spec.Goal.Confidence);
            var row = p.Values.ToList();
            row.Add(p.Runs.ToString(CultureInfo.InvariantCulture));
            row.Add(p.Failures.ToString(CultureInfo.InvariantCulture));
            row.Add($"{Searcher.Pct((double)p.Failures / p.Runs)} [{Searcher.Pct(lo)}, {Searcher.Pct(hi)}]");
            row.Add(r.Safe[i] ? "yes" : "no");
            row.Add(string.Join(" ", p.Outcomes.Where(kv => kv.Key != "ok").Select(kv => $"{kv.Key}:{kv.Value}")));
            if (!spec.Objective.Metric.Contains('.'))
                row.Add(F(p.Metrics[spec.Objective.Metric]));
            row.Add(p.Cause is null ? "" : p.Cause.Length > 90 ? p.Cause[..87] + "..." : p.Cause);
            rows.Add(row);
        }
        var widths = header.Select((h, k) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(rw => rw[k].Length))).ToList();
        o.WriteLine(string.Join("  ", header.Select((h, k) => h.PadRight(widths[k]))).TrimEnd());
        foreach (var row in rows)
            o.WriteLine(string.Join("  ", row.Select((c, k) => c.PadRight(widths[k]))).TrimEnd());
        o.WriteLine();
        foreach (var w in r.Warnings)
            o.WriteLine($"warning: {w}");
        o.WriteLine($"recommendation: {r.Recommendation}");
    }
}
