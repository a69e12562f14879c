using System.Text.Json;
using System.Text.Json.Nodes;
using Zombiesim.Cli.Runs;
using Zombiesim.Core.Observation;
using Zombiesim.Tcp;

namespace Zombiesim.Cli.Verify;

/// <summary>The facts a real run's tolerance rests on: the kernel's HZ (measured), the polling interval, the time scale,
/// the server that ran, and the clocks the scale divided.</summary>
public sealed record RealFacts(int Hz, bool HzMeasured, double PollMs, double TimeScale, string Kernel, string Server,
    IReadOnlyList<string> ScaledClocks, double UnemulatedLatencyMs = 0, double SchedulingMs = 10);

/// <summary>A transition as the diff reads it, from either side (the real side's cause is "observed").</summary>
public sealed record DocTransition(double T, string Host, string Connection, string From, string To, string Cause, double? Since = null);

/// <summary>
/// `run --json` documents and the real run's document (`verify --out DIR`'s real.json), read the same way: requests,
/// transitions and lifecycle, with instants in seconds. The real document has the same keys as `run --json`, a
/// transition's cause being "observed" (polling sees a state, not why), and a `verify` section with its facts. Either
/// may have "segments" (`run --json --segments`; the real run's packet capture at the server).
/// </summary>
public sealed record VerifyDocument(
    string Scenario,
    IReadOnlyList<RequestRecord> Requests,
    IReadOnlyList<DocTransition> Transitions,
    IReadOnlyList<LifecycleRecord> Lifecycle,
    RealFacts? Facts,
    IReadOnlyList<SegmentRecord>? Segments = null)
{
    /// <summary>The real run's document; "segments" only when it captured them.</summary>
    public static JsonObject WriteReal(string scenario, ulong seed, RealResult r, RealFacts facts)
    {
        var o = Real(scenario, seed, r, facts);
        if (r.Segments is { } segments)
            o.Insert(o.IndexOf("summary"), "segments", new JsonArray(segments.Select(x => (JsonNode)RecordJson.Segment(x)).ToArray()));
        return o;
    }

    private static JsonObject Real(string scenario, ulong seed, RealResult r, RealFacts facts) => new()
    {
        ["scenario"] = scenario,
        ["seed"] = seed,
        ["reproduce"] = "",
        ["requests"] = new JsonArray(r.Requests.Select(x => (JsonNode)RecordJson.Request(x)).ToArray()),
        ["transitions"] = new JsonArray(r.Transitions.Select(t => (JsonNode)new JsonObject
        {
            ["t"] = Math.Round(t.T, 6), ["host"] = t.Host, ["connection"] = t.Connection, ["from"] = t.From.Name(), ["to"] = t.To.Name(),
            ["cause"] = t.Cause, ["since"] = Math.Round(t.Since, 6),
        }).ToArray()),
        ["lifecycle"] = new JsonArray(r.Lifecycle.Select(l => (JsonNode)RecordJson.Lifecycle(l with
        {
            T = TimeSpan.FromTicks((long)Math.Round(l.T.Ticks / 10.0) * 10),
        })).ToArray()),
        ["notes"] = new JsonArray(),
        ["summary"] = new JsonObject
        {
            ["requests"] = r.Requests.Count,
            ["errors"] = r.Requests.Count(x => !x.Ok),
        },
        ["verify"] = new JsonObject
        {
            ["hz"] = facts.Hz, ["hzMeasured"] = facts.HzMeasured, ["pollMs"] = facts.PollMs, ["timeScale"] = facts.TimeScale,
            ["kernel"] = facts.Kernel, ["server"] = facts.Server, ["unemulatedLatencyMs"] = facts.UnemulatedLatencyMs,
            ["schedulingMs"] = facts.SchedulingMs,
            ["scaledClocks"] = new JsonArray(facts.ScaledClocks.Select(c => (JsonNode)c!).ToArray()),
        },
    };

    public static VerifyDocument Read(string json, string file)
    {
        try
        {
            var o = JsonNode.Parse(json)?.AsObject() ?? throw new JsonException("not a JSON object");
            JsonArray All(string key) => o[key] as JsonArray ?? throw new FormatException($"no '{key}'");
            var requests = All("requests").Select(x => RecordJson.ReadRequest(x!.AsObject()).Record).ToList();
            var transitions = All("transitions").Select(x => x!.AsObject()).Select(t => new DocTransition(
                t["t"]!.GetValue<double>(), t["host"]!.GetValue<string>(), t["connection"]!.GetValue<string>(),
                t["from"]!.GetValue<string>(), t["to"]!.GetValue<string>(), t["cause"]!.GetValue<string>(),
                t["since"]?.GetValue<double>())).ToList();
            var lifecycle = All("lifecycle").Select(x => RecordJson.ReadLifecycle(x!.AsObject())).ToList();
            RealFacts? facts = null;
            if (o["verify"] is JsonObject v)
            {
                facts = new RealFacts(v["hz"]!.GetValue<int>(), v["hzMeasured"]!.GetValue<bool>(), v["pollMs"]!.GetValue<double>(),
                    v["timeScale"]!.GetValue<double>(), v["kernel"]!.GetValue<string>(), v["server"]!.GetValue<string>(),
                    (v["scaledClocks"] as JsonArray ?? []).Select(c => c!.GetValue<string>()).ToList(),
                    v["unemulatedLatencyMs"]?.GetValue<double>() ?? 0,
                    v["schedulingMs"]?.GetValue<double>() ?? 10);
            }
            var segments = o["segments"] is JsonArray wire ? wire.Select(x => RecordJson.ReadSegment(x!.AsObject())).ToList() : null;
            return new VerifyDocument(o["scenario"]!.GetValue<string>(), requests, transitions, lifecycle, facts, segments);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException)
        {
            throw new VerifyException($"{file}: not a `run --json` or verify document: {e.Message}");
        }
    }
}
