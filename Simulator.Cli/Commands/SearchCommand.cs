using System.CommandLine;
using Zombiesim.Cli.Charts;
using Zombiesim.Cli.Searches;
using Zombiesim.Core.Files;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Traffic;
using Zombiesim.Core.Search;

namespace Zombiesim.Cli.Commands;

/// <summary>`zombiesim search` and `zombiesim merge`: which settings avoid client errors, with evidence.</summary>
public static class SearchCommand
{
    public static Command Build()
    {
        var file = new Argument<string>("FILE")
        {
            Description = "The scenario (YAML); its `search:` section gives defaults for the flags below.",
        };
        var vary = new Option<string[]>("--vary")
        {
            Description = "PATH=FROM..TO[:STEP] or PATH=a,b,c, e.g. server.idleTimeout=60s..400s:10s. Repeatable.",
        };
        var replications = Flags.OptionalInt("--replications", "Runs per point; replication i uses seed + i at every point",
            "a number of runs per point", 1, MaxReplications, "100, or the scenario's search.replications");
        var goal = new Option<string?>("--goal")
        {
            Description = "'no EOF,ECONNRESET,EPIPE,ETIMEDOUT' or 'errors <= 1% at 95%' (default: no errors).",
        };
        var objective = new Option<string?>("--objective")
        {
            Description = $"'min PATH', 'max PATH' (a varied path), or min/max of {MetricNames.List} "
                + "(default: min of the first varied path).",
        };
        var strategy = new Option<string?>("--strategy")
        {
            Description = "bisect (one monotone parameter; the default for one) or grid (the default for several).",
        };
        var margin = Flags.OptionalInt("--margin-steps", "Steps above the boundary to recommend", "a number of steps",
            0, 1000, "1, or the scenario's search.marginSteps");
        var workers = Flags.Int("--workers", "Parallel runs (default: all cores). Results do not depend on it", "a number of workers",
            1, 4096, System.Environment.ProcessorCount);
        var set = new Option<string[]>("--set") { Description = "Override a scenario value for every run: path=value. Repeatable." };
        var outDir = new Option<string?>("--out")
        {
            Description = "Write points.jsonl (one line per finished point), search.json, search.csv and the chart here.",
        };
        var json = new Option<bool>("--json") { Description = "Print JSON (at least points and recommendation)." };
        var resume = new Option<bool>("--resume") { Description = "Continue the search whose points.jsonl is in --out." };
        var shard = new Option<string?>("--shard")
        {
            Description = "I/N: run only part I of a grid split in N, I from 0 to N-1 (a Kubernetes Indexed Job's "
                + "$JOB_COMPLETION_INDEX, a Slurm array's $SLURM_ARRAY_TASK_ID with --array=0-(N-1)); needs --out. "
                + "Combine the parts' directories with `zombiesim merge`.",
        };
        var command = new Command("search",
            "Find the settings that avoid client errors: vary parameters, replicate, and recommend with evidence.")
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
            if (n > 1 && dir is null)
                throw new UsageException("--shard", "a shard needs --out DIR: each shard writes its own directory for `zombiesim merge`");
            PointStore? store = null;
            if (dir is not null)
            {
                OutputDirectory.Ensure(dir);
                var header = SearchHeader.For(yaml, sets, spec, scenario.Name);
                store = PointStore.Open(Path.Combine(dir, PointStore.FileName), header, parse.GetValue(resume));
            }
            var searcher = new Searcher(yaml, path, sets, spec, parse.GetValue(workers), m => error.WriteLine(m), store);
            // The grid's size times the replications (bisection runs fewer: an upper bound), saturating.
            double runs = spec.Vary.Aggregate((double)spec.Replications, (n, v) => n * v.Values.Count);
            if (WorkEstimate.Warning(scenario, runs, "search", "--replications 10") is { } warning)
                error.WriteLine($"warning: {warning}");
            var result = searcher.Run(i, n);
            return Report(result, scenario.Name, dir, parse.GetValue(json), output);
        });
        return command;
    }

    /// <summary>The most runs per point, as a scenario's search.replications allows.</summary>
    public const int MaxReplications = 1_000_000;

    public static Command BuildMerge()
    {
        var dirs = new Argument<string[]>("DIR") { Description = "The --out directories of the shards.", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string>("--out")
        {
            Description = "Where to write the merged points.jsonl, search.json, search.csv and the chart.", Required = true,
        };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("merge", "Combine the shards of a grid search into one result.") { dirs, outDir, json };
        command.SetAction(parse =>
        {
            var stores = parse.GetValue(dirs)!.Select(d => PointStore.Read(Path.Combine(d, PointStore.FileName))).ToList();
            var header = stores[0].Header;
            if (stores.Any(s => s.Header.ToJson() != header.ToJson()))
                throw new UsageException("merge", "the shards belong to different searches (their points.jsonl headers differ)");
            var points = stores.SelectMany(s => s.Points).GroupBy(p => p.Key).Select(g => g.First()).ToList();
            var have = points.Select(p => p.Key).ToHashSet();
            var missing = header.Spec.GridPoints().Where(v => !have.Contains(string.Join('\u001f', v))).ToList();
            if (missing.Count > 0)
                throw new UsageException("merge", $"{missing.Count} of the grid's points are in none of the directories, like "
                    + string.Join(", ", header.Spec.Vary.Select((v, k) => $"{v.Path}={missing[0][k]}"))
                    + ": a shard's directory is missing or its search did not finish (run it again with --resume)");
            string dir = parse.GetValue(outDir)!;
            OutputDirectory.Ensure(dir);
            var ordered = SearchConclusion.Conclude(header.Spec, points);
            PointStore.Write(Path.Combine(dir, PointStore.FileName), header, ordered.Points);
            return Report(ordered, header.Name, dir, parse.GetValue(json), parse.InvocationConfiguration.Output);
        });
        return command;
    }

    internal static SearchSpec Resolve(SearchSection? section, string[] vary, int? replications, string? goal, string? objective,
        string? strategy, int? margin)
    {
        var parameters = vary.Length > 0
            ? vary.Select((v, k) => Parameter.Parse(v, $"--vary #{k + 1}")).ToList()
            : section?.Vary.Select(v => new Parameter(v.Path, v.Values)).ToList() ?? [];
        if (parameters.Count == 0)
            throw new UsageException("--vary",
                "nothing to vary: give --vary PATH=FROM..TO[:STEP] (like server.idleTimeout=60s..400s:10s) or a `search: vary:` section");
        if (parameters.Select(p => p.Path).Distinct().Count() != parameters.Count)
            throw new UsageException("--vary", "a path is varied twice");
        string goalText = goal ?? section?.Goal ?? "no errors";
        var g = Goal.Parse(goalText, goal is null ? "search.goal" : "--goal");
        // The file's objective applies only to what is varied now (--vary may replace the file's parameters).
        string? fileObjective = section?.Objective is { } fo && (vary.Length == 0 || MetricNames.TryParse(fo.Split(' ').Last(), out _)
                || parameters.Any(p => fo.EndsWith(" " + p.Path, StringComparison.Ordinal))) ? fo : null;
        var o = Objective.Parse(objective ?? fileObjective ?? $"min {parameters[0].Path}", parameters,
            objective is null ? "search.objective" : "--objective");
        string s = strategy ?? section?.Strategy ?? (parameters.Count == 1 ? "bisect" : "grid");
        var st = s switch
        {
            "bisect" => SearchStrategy.Bisect,
            "grid" => SearchStrategy.Grid,
            _ => throw new UsageException(strategy is null ? "search.strategy" : "--strategy", $"'{s}' is not a strategy (bisect or grid)"),
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
        if (parts.Length != 2 || !int.TryParse(parts[0], out int i) || !int.TryParse(parts[1], out int n) || n < 1 || i < 0 || i >= n)
            throw new UsageException("--shard", $"'{text}' is not I/N with 0 <= I < N, like 0/4 (the first of four shards)");
        return (i, n);
    }

    private static int Report(SearchResult result, string name, string? dir, bool asJson, TextWriter output)
    {
        var report = SearchReport.From(result, name);
        if (dir is not null)
        {
            report.Save(dir);
            SearchChart.Draw(report).Save(Path.Combine(dir, "search"), ChartFormat.Both, ChartStyle.DefaultWidth, ChartStyle.DefaultHeight);
        }
        if (asJson)
            output.WriteLine(report.JsonText());
        else
            SearchText.Write(result, name, output);
        return ExitCodes.Ok;
    }
}
