using System.Globalization;
using System.Text.Json.Nodes;

namespace Zombiesim.Cli.Verify;

/// <summary>The diff for people (each event's model and real instants side by side) and for programs (`--json`).</summary>
public static class DiffReport
{
    public static void WriteText(TextWriter w, string scenario, RealFacts facts, Tolerance tol, IReadOnlyList<DiffLine> lines)
    {
        w.WriteLine($"verify: {scenario} on {facts.Kernel}, server {facts.Server}");
        if (facts.TimeScale != 1)
            w.WriteLine($"time scale {Num(facts.TimeScale)}: model and reality both ran the scenario with these clocks divided by "
                + $"{Num(facts.TimeScale)}: {string.Join(", ", facts.ScaledClocks)}; kernel timers, client timeouts, the cold start and "
                + "the shutdown phase are not scaled. Instants below are of the scaled run; multiply a scaled clock's span by the "
                + "scale to map it back.");
        w.WriteLine($"tolerance: {tol.Describe()}");
        foreach (var group in lines.GroupBy(l => l.Kind))
        {
            w.WriteLine();
            w.WriteLine(group.Key switch
            {
                "request" => "requests (end instant; outcome, origin, environment and connection must match exactly)",
                "transition" => "socket transitions (model instant, first real poll that saw the state)",
                "segment" => "segments at the server's interface (model: when it left or reached the server; "
                    + "real: when the capture saw it; direction and flags must match)",
                _ => "platform actions (the model's decisions, replayed: inputs)",
            });
            w.WriteLine($"  {"",-24} {"",-44} {"model s",12} {"real s",12} {"delta ms",10} {"tol ms",9}  verdict");
            foreach (var l in group)
            {
                w.WriteLine($"  {l.Subject,-24} {l.What,-44} {Sec(l.Model),12} {Sec(l.Real),12} {Ms(l.Delta),10} "
                    + $"{l.Tolerance * 1000,9:0.0}  "
                    + Word(l.Verdict) + (l.Note is null ? "" : $": {l.Note}"));
            }
        }
        w.WriteLine();
        w.WriteLine(Summary(lines));
    }

    public static string Summary(IReadOnlyList<DiffLine> lines)
    {
        int Count(string kind) => lines.Count(l => l.Kind == kind);
        int unobservable = lines.Count(l => l.Verdict == Verdict.Unobservable);
        int disagree = lines.Count(l => l.Verdict == Verdict.Disagree);
        string counts = $"{Count("request")} requests, {Count("transition")} transitions ({unobservable} too short to see by polling), "
            + $"{Count("platform")} platform actions" + (Count("segment") > 0 ? $", {Count("segment")} segments" : "");
        return disagree == 0 ? $"AGREE: {counts}" : $"DISAGREE on {disagree}: {counts}";
    }

    public static JsonObject Json(string scenario, RealFacts facts, Tolerance tol, IReadOnlyList<DiffLine> lines) => new()
    {
        ["scenario"] = scenario,
        ["agree"] = RunDiff.Agrees(lines),
        ["summary"] = Summary(lines),
        ["tolerance"] = tol.Describe(),
        ["timeScale"] = facts.TimeScale,
        ["hz"] = facts.Hz,
        ["events"] = new JsonArray(lines.Select(l => (JsonNode)new JsonObject
        {
            ["kind"] = l.Kind, ["subject"] = l.Subject, ["what"] = l.What, ["model"] = l.Model, ["real"] = l.Real,
            ["deltaMs"] = l.Delta is { } d ? Math.Round(d * 1000, 3) : null, ["toleranceMs"] = Math.Round(l.Tolerance * 1000, 3),
            ["verdict"] = Word(l.Verdict), ["note"] = l.Note,
        }).ToArray()),
    };

    private static string Word(Verdict v) => v switch
    {
        Verdict.Agree => "agree",
        Verdict.Disagree => "DISAGREE",
        Verdict.Unobservable => "unobservable",
        _ => "input",
    };

    private static string Sec(double? s) => s is { } v ? v.ToString("0.000000", CultureInfo.InvariantCulture) : "-";

    private static string Ms(double? s) => s is { } v ? (v * 1000).ToString("+0.000;-0.000", CultureInfo.InvariantCulture) : "-";

    private static string Num(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
}
