using System.Text.Json.Nodes;
using Zombiesim.Core.Observation;

namespace Zombiesim.Cli.Runs.Reports;

/// <summary>A run's report in summary.json: "incidents", "server", "byFunction" and "byStrategy".</summary>
public static class ReportJson
{
    public static void Add(JsonObject json, RunReport report)
    {
        var i = report.Incidents;
        json["incidents"] = new JsonObject
        {
            ["scripted"] = new JsonArray(i.Events.Select(e => (JsonNode)RecordJson.Note(e)).ToArray()),
            ["scriptedCount"] = i.EventCount,
            ["firstFailures"] = new JsonArray(i.Failures.Select(FirstFailure).ToArray()),
            ["limitsHit"] = new JsonArray(i.Limits.Select(l => (JsonNode)new JsonObject
            {
                ["limit"] = l.Limit, ["t"] = l.At.TotalSeconds, ["detail"] = l.Detail, ["count"] = l.Count, ["counted"] = l.Counted,
            }).ToArray()),
        };
        json["server"] = new JsonObject
        {
            ["peakConnections"] = Peak(i.PeakServerConnections),
            ["peakZombies"] = Peak(i.PeakZombies),
            ["connectionsRefused"] = json["connectionsRefused"]?.DeepClone(),
            ["connectionsEvicted"] = json["connectionsEvicted"]?.DeepClone(),
            ["connectionsClosedIdle"] = i.IdleCloses,
        };
        json["byFunction"] = Rows(report.Breakdown.Functions, strategy: true);
        json["byStrategy"] = Rows(report.Breakdown.Strategies, strategy: false);
    }

    private static JsonArray Rows(IEnumerable<BreakdownRow> rows, bool strategy) => new(rows.Select(r =>
    {
        var o = new JsonObject { ["name"] = r.Name };
        if (strategy)
            o["strategy"] = r.Strategy;
        o["requests"] = r.Requests;
        o["errors"] = r.Errors;
        o["outcomes"] = SummaryJson.Obj(r.Outcomes.Select(kv => (kv.Key, (JsonNode)kv.Value)));
        o["latencyMs"] = new JsonObject
        {
            ["p50"] = r.Latency.Quantile(0.5), ["p90"] = r.Latency.Quantile(0.9), ["p99"] = r.Latency.Quantile(0.99),
        };
        o["peakConnectionsHeld"] = Peak(r.PeakHeld);
        o["peakZombies"] = Peak(r.PeakZombies);
        return (JsonNode)o;
    }).ToArray());

    private static JsonObject Peak((int Value, TimeSpan At) p) => new() { ["value"] = p.Value, ["t"] = p.At.TotalSeconds };

    /// <summary>functions.csv: one row per function, then one per strategy (function column "*").</summary>
    public static string Csv(RunReport report)
    {
        var w = new System.Text.StringBuilder("function,strategy,requests,ok,errors,latency_ok_p50_ms,latency_ok_p90_ms,latency_ok_p99_ms,"
            + "peak_connections_held,peak_connections_held_t,peak_zombies,peak_zombies_t,outcomes\n");
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        void Row(string function, BreakdownRow r) => w.Append(string.Join(',', function, r.Strategy, r.Requests.ToString(inv),
            r.Outcomes.GetValueOrDefault("ok").ToString(inv), r.Errors.ToString(inv), Num(r.Latency.Quantile(0.5)),
            Num(r.Latency.Quantile(0.9)), Num(r.Latency.Quantile(0.99)), r.PeakHeld.Value.ToString(inv), RunFiles.Seconds(r.PeakHeld.At),
            r.PeakZombies.Value.ToString(inv), RunFiles.Seconds(r.PeakZombies.At),
            "\"" + string.Join("; ", r.Outcomes.Select(kv => $"{kv.Key} {kv.Value.ToString(inv)}")) + "\"")).Append('\n');
        foreach (var r in report.Breakdown.Functions)
            Row(r.Name, r);
        foreach (var r in report.Breakdown.Strategies)
            Row("*", r);
        return w.ToString();

        string Num(double v) => Math.Round(v, 6).ToString("0.######", inv);
    }

    /// <summary>A kind's first failure; the library's words ("message") only when it has some, as a request record has them.</summary>
    private static JsonNode FirstFailure(FirstFailure f)
    {
        var o = new JsonObject
        {
            ["kind"] = f.Kind, ["t"] = f.Request.T.TotalSeconds, ["function"] = f.Request.Function,
            ["environment"] = f.Request.Environment, ["connection"] = f.Request.Connection, ["cause"] = f.Request.Cause?.Text(),
            ["count"] = f.Count,
        };
        if (f.Request.Message is not null)
            o["message"] = f.Request.Message;
        return o;
    }
}
