using System.Globalization;
using System.Text.Json.Nodes;
using Zombiesim.Core.Explore;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Cli.Explorations;

/// <summary>An exploration as people (text) and programs (JSON) read it: outcome classes, violations and how to replay them.</summary>
public static class ExploreText
{
    private static JsonNode Json(SavedExample v) => new JsonObject
    {
        ["iteration"] = v.Example.Iteration, ["outcomes"] = v.Example.Signature, ["message"] = v.Example.Breach,
        ["trace"] = v.Trace, ["timeline"] = v.Timeline, ["replay"] = v.Replay,
    };

    public static void Write(ExploreResult r, Scenario scenario, ExploreOptions options, List<SavedExample> saved, bool asJson,
        TextWriter o)
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
        string seconds = r.Seconds.ToString("0.0", CultureInfo.InvariantCulture);
        o.WriteLine($"{scenario.Name}: {r.Iterations:N0} iterations ({options.Strategy}, seed {options.Seed}) in {seconds} s, "
            + $"{r.IterationsPerSecond:N0} iterations/s");
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
