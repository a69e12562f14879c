using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json;
using Zombiesim.Core.Checks;
using Zombiesim.Core.Explore;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Cli.Commands;

/// <summary>`zombiesim explore` and `zombiesim replay`: Coyote searches the schedules; a trace replays one.</summary>
public static class ExploreCommand
{
    private const int MaxSavedViolations = 20;

    public static Command Build()
    {
        var file = new Argument<string>("FILE") { Description = "The scenario (YAML)." };
        var iterations = new Option<int>("--iterations") { Description = "Schedules to explore.", DefaultValueFactory = _ => 1000 };
        var strategy = new Option<string>("--strategy") { Description = "random, prioritization, probabilistic or portfolio (Coyote's tuned mix).", DefaultValueFactory = _ => "portfolio" };
        var seed = new Option<uint>("--seed") { Description = "Seed of Coyote's strategy: the same seed explores the same schedules.", DefaultValueFactory = _ => 1 };
        var invariant = new Option<string[]>("--invariant") { Description = $"Invariants to check (repeatable): {Invariant.Syntax}. Default: the scenario's expect, or else no-errors." };
        var resolution = new Option<string>("--resolution") { Description = "Grid on which drawn durations are explored (ends always included).", DefaultValueFactory = _ => "1s" };
        var maxSteps = new Option<int>("--max-steps") { Description = "Choices one iteration may make; reaching it fails the exploration.", DefaultValueFactory = _ => 200_000 };
        var set = new Option<string[]>("--set") { Description = "Override a scenario value: path=value. Repeatable." };
        var outDir = new Option<string>("--out") { Description = "Where traces and timelines of violations go.", DefaultValueFactory = _ => "zombiesim-explore" };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("explore", "Let Coyote search the drawn values and the order of simultaneous events for a schedule that breaks an invariant.")
        {
            file, iterations, strategy, seed, invariant, resolution, maxSteps, set, outDir, json,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            string path = parse.GetValue(file)!;
            string[] sets = parse.GetValue(set) ?? [];
            var scenario = ScenarioLoader.LoadFile(path, sets);
            var invariants = (parse.GetValue(invariant) ?? []).Select(Invariant.Parse).ToList();
            if (!DurationText.TryParse(parse.GetValue(resolution), out var res, out var resError) || res <= TimeSpan.Zero)
                throw new UsageException("--resolution", resError ?? "the resolution must be positive, like 1s or 100ms");
            if (parse.GetValue(iterations) < 1 || parse.GetValue(maxSteps) < 1)
                throw new UsageException("--iterations", "--iterations and --max-steps must be at least 1");
            string strat = parse.GetValue(strategy)!;
            if (!ExploreOptions.Strategies.Contains(strat))
                throw new UsageException("--strategy", $"'{strat}' is not a strategy: expected {string.Join(", ", ExploreOptions.Strategies)}");
            var options = new ExploreOptions(parse.GetValue(iterations), strat, parse.GetValue(seed), invariants, res.TotalSeconds, parse.GetValue(maxSteps));
            var result = Explorer.Explore(scenario, options, m => error.WriteLine(m));
            string dir = parse.GetValue(outDir)!;
            var saved = Save(result, scenario, sets, options, dir, path);
            Report(result, scenario, options, saved, parse.GetValue(json), output);
            return result.Violations.Count > 0 || result.ExplorationFailure is not null ? ExitCodes.Violated : ExitCodes.Ok;
        });
        return command;
    }

    public static Command BuildReplay()
    {
        var file = new Argument<string>("FILE") { Description = "The scenario the trace was explored on." };
        var trace = new Argument<string>("TRACE") { Description = "A .trace file written by `zombiesim explore`." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document, as `run --json`." };
        var limit = new Option<int>("--timeline-lines") { Description = "At most this many timeline lines in text output.", DefaultValueFactory = _ => 400 };
        var command = new Command("replay", "Run exactly the schedule of a trace again and show its timeline, as `run` does.") { file, trace, json, limit };
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
                var doc = RunCommand.ToJson(outcome, recorder, reproduce);
                doc["violations"] = new JsonArray(breaches.Select(b => (JsonNode)b).ToArray());
                output.WriteLine(doc.ToJsonString(JsonOptions.Indented));
            }
            else
            {
                RunCommand.WriteText(output, outcome, recorder, reproduce, parse.GetValue(limit));
                output.WriteLine();
                output.WriteLine(breaches.Count == 0 ? "invariants: all held" : "invariants violated:");
                foreach (var b in breaches)
                    output.WriteLine($"  {b}");
            }
            return breaches.Count > 0 || !outcome.ExpectationsMet ? ExitCodes.Violated : ExitCodes.Ok;
        });
        return command;
    }

    private sealed record Saved(Example Example, string Trace, string Timeline, string Replay);

    /// <summary>Each outcome class (violating ones first): the trace of its first iteration, and
    /// the timeline of its replay. The first violation's file also carries Coyote's trace.</summary>
    private static List<Saved> Save(ExploreResult result, Scenario scenario, string[] sets, ExploreOptions options, string dir, string file)
    {
        var saved = new List<Saved>();
        Directory.CreateDirectory(dir);
        int violations = 0, others = 0;
        foreach (var v in result.Examples.OrderBy(e => e.Breach is null).ThenBy(e => e.Iteration).Take(MaxSavedViolations))
        {
            string name = v.Breach is null ? $"outcome-{++others}" : $"violation-{++violations}";
            var trace = new ExploreTrace(scenario.Name, scenario.Identity, sets, options.Resolution, options.Invariants.Select(i => i.Text).ToList(), v.Choices, v.Breach ?? "",
                violations == 1 && v.Breach is not null ? result.CoyoteTrace : null);
            string tracePath = Path.Combine(dir, $"{name}.trace");
            File.WriteAllText(tracePath, trace.ToJson() + "\n");
            string replay = $"zombiesim replay {file} {tracePath}";
            var recorder = new RunRecorder();
            var (outcome, breaches) = Explorer.Replay(scenario, trace, recorder);
            var text = new StringWriter { NewLine = "\n" };
            RunCommand.WriteText(text, outcome, recorder, replay, int.MaxValue);
            text.WriteLine();
            foreach (var b in breaches)
                text.WriteLine($"violation: {b}");
            string timelinePath = Path.Combine(dir, $"{name}.timeline.txt");
            File.WriteAllText(timelinePath, text.ToString());
            saved.Add(new Saved(v, tracePath, timelinePath, replay));
        }
        return saved;
    }

    private static JsonNode Json(Saved v) => new JsonObject
    {
        ["iteration"] = v.Example.Iteration, ["outcomes"] = v.Example.Signature, ["message"] = v.Example.Breach,
        ["trace"] = v.Trace, ["timeline"] = v.Timeline, ["replay"] = v.Replay,
    };

    private static void Report(ExploreResult r, Scenario scenario, ExploreOptions options, List<Saved> saved, bool asJson, TextWriter o)
    {
        var invariants = Explorer.DefaultInvariants(scenario, options.Invariants).Select(i => i.Text).ToList();
        if (scenario.Expect.Count > 0)
            invariants.Add("expect");
        if (asJson)
        {
            var classes = new JsonObject();
            foreach (var (k, v) in r.OutcomeClasses) classes[k] = v;
            o.WriteLine(new JsonObject
            {
                ["scenario"] = scenario.Name,
                ["strategy"] = options.Strategy,
                ["seed"] = options.Seed,
                ["invariants"] = new JsonArray(invariants.Select(i => (JsonNode)i).ToArray()),
                ["iterations"] = r.Iterations,
                ["iterationsPerSecond"] = Math.Round(r.IterationsPerSecond, 1),
                ["outcomeClasses"] = classes,
                ["violatingIterations"] = r.ViolatingIterations,
                ["violations"] = new JsonArray(saved.Where(v => v.Example.Breach is not null).Select(Json).ToArray()),
                ["examples"] = new JsonArray(saved.Where(v => v.Example.Breach is null).Select(Json).ToArray()),
                ["explorationFailure"] = r.ExplorationFailure,
            }.ToJsonString(JsonOptions.Indented));
            return;
        }
        o.WriteLine($"{scenario.Name}: {r.Iterations:N0} iterations ({options.Strategy}, seed {options.Seed}) in {r.Seconds.ToString("0.0", CultureInfo.InvariantCulture)} s, {r.IterationsPerSecond:N0} iterations/s");
        o.WriteLine($"invariants: {string.Join(", ", invariants)}");
        o.WriteLine();
        o.WriteLine($"outcome classes (request outcomes in order; ! marks a violation): {r.OutcomeClasses.Count}");
        foreach (var (k, v) in r.OutcomeClasses.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var example = saved.FirstOrDefault(s => s.Example.Signature == k);
            o.WriteLine($"  {v,8:N0}  {(k.Length == 0 ? "(no request)" : k)}{(example is null ? "" : $"   replay: {example.Replay}")}");
        }
        o.WriteLine();
        if (r.ExplorationFailure is not null)
            o.WriteLine($"exploration FAILED: {r.ExplorationFailure}");
        var violations = saved.Where(s => s.Example.Breach is not null).ToList();
        if (violations.Count == 0)
        {
            o.WriteLine(r.ExplorationFailure is null ? "no violation found (evidence, not proof)" : "");
            return;
        }
        o.WriteLine($"violations: {r.ViolatingIterations:N0} iterations, {r.Violations.Count} outcome class(es)");
        foreach (var v in violations)
        {
            o.WriteLine($"  first in iteration {v.Example.Iteration}: {v.Example.Breach}");
            o.WriteLine($"    timeline: {v.Timeline}");
            o.WriteLine($"    replay:   {v.Replay}");
        }
    }
}
