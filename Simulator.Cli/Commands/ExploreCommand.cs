using System.CommandLine;
using System.Text.Json.Nodes;
using Zombiesim.Cli.Explorations;
using Zombiesim.Cli.Runs;
using Zombiesim.Core.Checks;
using Zombiesim.Core.Explore;
using Zombiesim.Core.Files;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Traffic;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Cli.Commands;

/// <summary>`zombiesim explore` and `zombiesim replay`: Coyote searches the schedules; a trace replays one.</summary>
public static class ExploreCommand
{
    public static Command Build()
    {
        var file = new Argument<string>("FILE") { Description = "The scenario (YAML)." };
        var iterations = Flags.Int("--iterations", "Schedules to explore", "a number of iterations", 1, 100_000_000, 1000);
        var strategy = Flags.Choice("--strategy", "random, prioritization, probabilistic or portfolio (Coyote's tuned mix).", "a strategy",
            "portfolio", [.. ExploreOptions.Strategies]);
        var seed = Flags.Seed("--seed", "Seed of Coyote's strategy: the same seed explores the same schedules (default 1).", uint.MaxValue);
        var invariant = new Option<string[]>("--invariant")
        {
            Description = $"Invariants to check (repeatable): {Invariant.Syntax}. Default: the scenario's expect, or else no-errors.",
        };
        var resolution = new Option<string>("--resolution")
        {
            Description = "Grid on which drawn durations are explored (ends always included).", DefaultValueFactory = _ => "1s",
        };
        var maxSteps = Flags.Int("--max-steps", "Choices one iteration may make; reaching it fails the exploration", "a number of choices",
            1, 100_000_000, 200_000);
        var workers = Flags.Int("--workers", "Explorations running at once (default: all cores). Results do not depend on it",
            "a number of workers", 1, 4096, System.Environment.ProcessorCount);
        var set = new Option<string[]>("--set") { Description = "Override a scenario value: path=value. Repeatable." };
        var outDir = new Option<string>("--out")
        {
            Description = "Where traces and timelines of violations go.", DefaultValueFactory = _ => "zombiesim-explore",
        };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("explore",
            "Let Coyote search the drawn values and the order of simultaneous events for a schedule that breaks an invariant.")
        {
            file, iterations, strategy, seed, invariant, resolution, maxSteps, workers, set, outDir, json,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            string path = parse.GetValue(file)!;
            string[] sets = parse.GetValue(set) ?? [];
            var scenario = ScenarioLoader.LoadFile(path, sets);
            var invariants = (parse.GetValue(invariant) ?? []).Select(Invariant.Parse).ToList();
            string resolutionText = parse.GetValue(resolution)!;
            if (!DurationText.TryParse(resolutionText, out var res, out _) || res <= TimeSpan.Zero)
                throw new UsageException("--resolution", $"'{resolutionText}' is not a resolution (a positive duration, like 1s or 100ms)");
            string strat = parse.GetValue(strategy)!;
            uint coyoteSeed = (uint)(parse.GetValue(seed) ?? 1);
            var options = new ExploreOptions(parse.GetValue(iterations), strat, coyoteSeed, invariants, res.TotalSeconds,
                parse.GetValue(maxSteps));
            string dir = parse.GetValue(outDir)!;
            OutputDirectory.Check(dir);
            if (WorkEstimate.Warning(scenario, options.Iterations, "exploration", "--iterations 100") is { } warning)
                error.WriteLine($"warning: {warning}");
            var result = Explorer.Explore(scenario, options, parse.GetValue(workers), m => error.WriteLine(m));
            var saved = ExploreFiles.Save(result, scenario, sets, options, dir, path);
            ExploreText.Write(result, scenario, options, saved, parse.GetValue(json), output);
            return result.Violations.Count > 0 || result.ExplorationFailure is not null ? ExitCodes.Violated : ExitCodes.Ok;
        });
        return command;
    }

    public static Command BuildReplay()
    {
        var file = new Argument<string>("FILE") { Description = "The scenario the trace was explored on." };
        var trace = new Argument<string>("TRACE") { Description = "A .trace file written by `zombiesim explore`." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document, as `run --json`." };
        var limit = Flags.Int("--timeline-lines", "At most this many timeline lines in text output", "a number of lines",
            0, 10_000_000, 400);
        var command = new Command("replay", "Run exactly the schedule of a trace again and show its timeline, as `run` does.")
        {
            file, trace, json, limit,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var t = ExploreTrace.Read(parse.GetValue(trace)!);
            var scenario = ScenarioLoader.LoadFile(parse.GetValue(file)!, t.Sets);
            var recorder = new RunRecorder();
            var (outcome, breaches) = Explorer.Replay(scenario, t, recorder);
            string reproduce = $"zombiesim replay {parse.GetValue(file)} {parse.GetValue(trace)}";
            if (parse.GetValue(json))
            {
                var doc = RunJson.Write(outcome, recorder, reproduce);
                doc["violations"] = new JsonArray(breaches.Select(b => (JsonNode)b).ToArray());
                output.WriteLine(doc.ToJsonString(JsonOptions.Indented));
            }
            else
            {
                RunText.Write(output, outcome, recorder, reproduce, parse.GetValue(limit));
                output.WriteLine();
                output.WriteLine(breaches.Count == 0 ? "invariants: all held" : "invariants violated:");
                foreach (var b in breaches)
                    output.WriteLine($"  {b}");
            }
            return breaches.Count > 0 || !outcome.ExpectationsMet ? ExitCodes.Violated : ExitCodes.Ok;
        });
        return command;
    }
}
