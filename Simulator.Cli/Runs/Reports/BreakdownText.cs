using Zombiesim.Core.Observation;

namespace Zombiesim.Cli.Runs.Reports;

/// <summary>The per-function and per-strategy lines of a run's text.</summary>
public static class BreakdownText
{
    public static void Write(TextWriter o, Breakdown b, int functions)
    {
        o.WriteLine();
        o.WriteLine("by function");
        foreach (var row in b.Functions)
            o.WriteLine($"  {row.Name} ({row.Strategy}): {Line(row)}");
        if (b.Strategies.Count < functions)
        {
            o.WriteLine("by strategy (its functions together)");
            foreach (var row in b.Strategies)
                o.WriteLine($"  {row.Name}: {Line(row)}");
        }
    }

    private static string Line(BreakdownRow r)
    {
        string outcomes = r.Requests == 0 ? "" : ": " + string.Join(", ", r.Outcomes.Select(kv => $"{kv.Key} {kv.Value:N0}"));
        string latency = r.Latency.Count == 0 ? ""
            : $"; latency ok p50 {RunText.Ms(r.Latency.Quantile(0.5))} ms, p99 {RunText.Ms(r.Latency.Quantile(0.99))} ms";
        return $"{r.Requests:N0} requests{outcomes}{latency}; server connections held peak {Peak(r.PeakHeld)}, zombies peak "
            + Peak(r.PeakZombies);
    }

    private static string Peak((int Value, TimeSpan At) p) => p.Value == 0 ? "0" : $"{p.Value:N0} at {Instant.Format(p.At)}";
}
