using System.Text.Json.Nodes;
using Zombiesim.Cli.Runs.Reports;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Cli.Runs;

/// <summary>summary.json (and the `summary` of `run --json`): the run's totals, peaks and
/// expectations, with what charts need to read back (name, limits, strategies).</summary>
public static class SummaryJson
{
    /// <param name="outcome">The run.</param>
    /// <param name="report">Its incidents and breakdowns, when they were gathered.</param>
    /// <param name="outputs">What the files of `run --out` keep (their sampling), written as "outputs".</param>
    public static JsonObject Write(RunOutcome outcome, RunReport? report = null, JsonObject? outputs = null)
    {
        var s = outcome.Summary;
        var server = outcome.Scenario.Server;
        var json = new JsonObject
        {
            ["scenario"] = outcome.Scenario.Name,
            ["seed"] = outcome.Seed,
            ["horizonSeconds"] = outcome.Scenario.Horizon.TotalSeconds,
            ["limits"] = new JsonObject { ["soft"] = server.SoftLimit, ["hard"] = server.HardLimit, ["maxClients"] = server.MaxClients },
            ["strategies"] = Obj(outcome.Scenario.Functions.Select(f => (f.Name, (JsonNode)StrategyName(f.Strategy)))),
            ["events"] = outcome.Events,
            ["requests"] = s.Requests,
            ["errors"] = s.Errors,
            ["outcomes"] = Obj(s.Outcomes.Select(kv => (kv.Key.Name(), (JsonNode)kv.Value))),
            ["errorsByErrnoAndOrigin"] = Obj(s.ErrorsByErrnoAndOrigin.Select(kv =>
                (RunSummary.ErrorName(kv.Key.Outcome, kv.Key.Origin), (JsonNode)kv.Value))),
            ["latencyMs"] = new JsonObject { ["p50"] = s.Latency.Quantile(0.5), ["p99"] = s.Latency.Quantile(0.99) },
            ["coldStarts"] = s.ColdStarts,
            ["environmentsDestroyed"] = s.Destroyed,
            ["peakServer"] = Obj(s.PeakServer.Select(kv => (kv.Key, (JsonNode)kv.Value))),
            ["peakClient"] = Obj(s.PeakClient.Select(kv => (kv.Key, (JsonNode)kv.Value))),
            ["finalServer"] = s.Final is { } finalServer ? Obj(finalServer.Server.Select(kv => (kv.Key, (JsonNode)kv.Value))) : null,
            ["finalClient"] = s.Final is { } finalClient ? Obj(finalClient.Client.Select(kv => (kv.Key, (JsonNode)kv.Value))) : null,
            ["peakZombies"] = s.PeakZombies,
            ["zombieSeconds"] = Math.Round(s.ZombieSeconds, 3),
            ["connectionsRefused"] = s.Final?.Rejections ?? 0,
            ["connectionsEvicted"] = s.Final?.Evictions ?? 0,
            ["invocationsThrottled"] = s.Final?.Throttles ?? 0,
            ["sampleStepSeconds"] = Sample.Interval(outcome.Scenario.Horizon).TotalSeconds,
            ["expectations"] = new JsonArray(outcome.Expectations.Select(e => (JsonNode)new JsonObject
            {
                ["expectation"] = e.Text, ["met"] = e.Met, ["actual"] = e.Actual,
            }).ToArray()),
        };
        if (s.PerServer.Count > 0)
            json["servers"] = Obj(s.PerServer.Select(x => (x.Name, (JsonNode)new JsonObject { ["peak"] = x.Peak, ["final"] = x.Final })));
        if (report is not null)
            ReportJson.Add(json, report);
        if (outputs is not null)
            json["outputs"] = outputs;
        return json;
    }

    /// <summary>How a function's strategy is written.</summary>
    public static string StrategyName(Strategy s) => s switch
    {
        Strategy.Reuse => "reuse",
        Strategy.PerInvocation => "per-invocation",
        _ => "proxy",
    };

    /// <summary>What a chart needs of a summary read back: the run's name, limits and strategies.</summary>
    public static RunHeader ReadHeader(JsonObject summary)
    {
        var limits = summary["limits"] as JsonObject;
        return new RunHeader(
            summary["scenario"]?.GetValue<string>() ?? throw new FormatException("no 'scenario'"),
            limits?["soft"]?.GetValue<int>(), limits?["hard"]?.GetValue<int>(), limits?["maxClients"]?.GetValue<int>(),
            (summary["strategies"] as JsonObject)?.ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>())
                ?? new Dictionary<string, string>());
    }

    /// <summary>Each function's successful requests (byFunction's "ok" outcomes), or null for a summary without them.</summary>
    public static IReadOnlyDictionary<string, long>? ReadSuccesses(JsonObject summary) =>
        summary["byFunction"] is JsonArray rows
            ? rows.OfType<JsonObject>().ToDictionary(r => r["name"]!.GetValue<string>(),
                r => (r["outcomes"] as JsonObject)?["ok"]?.GetValue<long>() ?? 0, StringComparer.Ordinal)
            : null;

    public static RunHeader Header(Scenario s) => new(s.Name, s.Server.SoftLimit, s.Server.HardLimit, s.Server.MaxClients,
        s.Functions.ToDictionary(f => f.Name, f => StrategyName(f.Strategy)));

    internal static JsonObject Obj(IEnumerable<(string Key, JsonNode Value)> items)
    {
        var o = new JsonObject();
        foreach (var (k, v) in items) o[k] = v;
        return o;
    }
}
