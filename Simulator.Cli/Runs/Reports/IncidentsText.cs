using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Cli.Runs.Reports;

/// <summary>The incidents section of a run's text: first failures with their causes, limits first hit, peaks.</summary>
public static class IncidentsText
{
    public static void Write(TextWriter o, Incidents incidents, TimeSpan horizon)
    {
        o.WriteLine("incidents");
        foreach (var e in incidents.Events)
            o.WriteLine($"  scripted at {Instant.Format(e.T)}: {e.Who}: {e.Text}");
        if (incidents.EventCount > incidents.Events.Count)
            o.WriteLine($"  and {incidents.EventCount - incidents.Events.Count:N0} more scripted events");
        foreach (var f in incidents.Failures)
        {
            var r = f.Request;
            string on = r.Connection is null ? "" : $" on {r.Connection}";
            o.WriteLine($"  first {f.Kind}{TimelineLine.Said(r)} at {Instant.Format(r.End)}: {r.Function} request{on} ({r.Environment})"
                + $" after {RunText.Ms(r.LatencyMs)} ms"
                + (r.Cause is null ? "" : ": " + r.Cause.Text()) + $"; {f.Count:N0} in all");
        }
        foreach (var l in incidents.Limits)
            o.WriteLine($"  limit {l.Limit} first hit at {Instant.Format(l.At)}: {l.Detail}; {l.Count:N0} {l.Counted} in all");
        if (incidents.Failures.Count == 0 && incidents.Limits.Count == 0)
            o.WriteLine("  no request failed and no limit was hit");
        var (server, serverAt) = incidents.PeakServerConnections;
        var (zombies, zombiesAt) = incidents.PeakZombies;
        o.WriteLine($"  peaks: server connections {server:N0} at {Instant.Format(serverAt)}, zombies {zombies:N0}"
            + (zombies > 0 ? $" at {Instant.Format(zombiesAt)}" : "")
            + $" (counted every {DurationText.Format(Sample.Interval(horizon))})");
    }
}
