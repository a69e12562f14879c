using System.Globalization;
using Zombiesim.Cli.Runs.Reports;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Cli.Runs;

/// <summary>How much of the timeline the text of a run shows.</summary>
public enum TimelineMode
{
    /// <summary>Every line when they fit in the line limit, else the lines around the incidents.</summary>
    Auto,
    /// <summary>The lines around the incidents.</summary>
    Incidents,
    /// <summary>Every line.</summary>
    Full,
}

/// <summary>A run as people read it: the incidents first, then the timeline (whole, or around the
/// incidents), the summary and breakdowns, the expectations and the command that reproduces it.</summary>
public static class RunText
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The text of a run without a report (explore's and replay's timelines): every line up to the limit.</summary>
    public static void Write(TextWriter o, RunOutcome outcome, RunRecorder rec, string reproduce, int limit) =>
        Write(o, outcome, rec, null, TimelineMode.Auto, reproduce, limit);

    public static void Write(TextWriter o, RunOutcome outcome, RunRecorder rec, RunReport? report, TimelineMode mode, string reproduce,
        int limit)
    {
        var s = outcome.Scenario;
        o.WriteLine($"{s.Name}: seed {outcome.Seed}, horizon {DurationText.Format(s.Horizon)}, {outcome.Events:N0} events");
        if (s.Description is { } d)
            o.WriteLine(d.Trim());
        o.WriteLine();
        if (report is not null)
        {
            IncidentsText.Write(o, report.Incidents, s.Horizon);
            o.WriteLine();
        }
        var lines = Timeline(rec);
        bool all = mode == TimelineMode.Full || (mode == TimelineMode.Auto && lines.Count <= limit && rec.Dropped == 0);
        var windows = report?.Windows.Windows() ?? [];
        if (all || windows.Count == 0)
        {
            o.WriteLine("timeline");
            foreach (var line in all ? lines : lines.Take(limit))
                o.WriteLine("  " + line);
            if (!all)
                o.WriteLine("  ... more lines not shown (--timeline full shows every line; --out DIR --trace all writes every record)");
        }
        else
        {
            o.WriteLine("timeline around the incidents (--timeline full shows every line)");
            foreach (var (titles, around) in windows)
            {
                o.WriteLine("  -- " + string.Join("; ", titles));
                foreach (var line in around)
                    o.WriteLine("  " + line);
            }
        }
        o.WriteLine();
        WriteSummary(o, outcome.Summary, report);
        if (report is not null)
            BreakdownText.Write(o, report.Breakdown, s.Functions.Count);
        if (outcome.Expectations.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("expectations");
            foreach (var e in outcome.Expectations)
                o.WriteLine($"  {(e.Met ? "ok    " : "FAILED")} {e.Text}{(e.Met ? "" : $": got {e.Actual}")}");
        }
        o.WriteLine();
        o.WriteLine($"reproduce: {reproduce}");
    }

    /// <summary>Every shown record as a line, by instant; at one instant in the order the run emitted them.</summary>
    private static List<string> Timeline(RunRecorder rec) =>
        rec.Emitted().Where(x => x is not TransitionRecord t || TimelineLine.Shown(t)).OrderBy(TimelineLine.At)
            .Select(TimelineLine.Of).ToList();

    private static void WriteSummary(TextWriter o, RunSummary s, RunReport? report)
    {
        o.WriteLine("summary");
        o.WriteLine($"  requests     {s.Requests:N0}: {string.Join(", ", s.Outcomes.Select(kv => $"{kv.Key.Name()} {kv.Value:N0}"))}");
        string errors = s.Errors == 0 ? "none"
            : string.Join(", ", s.ErrorsByErrnoAndOrigin.Select(kv =>
                $"{RunSummary.ErrorName(kv.Key.Outcome, kv.Key.Origin)} {kv.Value:N0}"));
        o.WriteLine($"  errors       {errors}");
        if (s.Latency.Count > 0)
            o.WriteLine($"  latency ok   p50 {Ms(s.Latency.Quantile(0.5))} ms, p99 {Ms(s.Latency.Quantile(0.99))} ms");
        string between = string.Concat(s.Between.Select(kv => $", {kv.Value:N0} {kv.Key.Name()}"));
        o.WriteLine($"  environments {s.ColdStarts:N0} cold starts{between}, {s.Destroyed:N0} destroyed");
        if (s.Final is { } f)
        {
            o.WriteLine($"  server peak  {Counts(s.PeakServer)}");
            o.WriteLine($"  server final {Counts(f.Server)}");
            if (s.PerServer.Count > 0)
                o.WriteLine("  per server   " + string.Join("; ", s.PerServer.Select(x => $"{x.Name} peak {x.Peak:N0}, final {x.Final:N0}"))
                    + " (open connections)");
            o.WriteLine($"  client final {Counts(f.Client)}");
            o.WriteLine($"  zombies      peak {s.PeakZombies:N0}, {s.ZombieSeconds.ToString("#,0.#", Inv)} zombie-seconds");
            string idle = report is null ? "" : $", closed {report.Incidents.IdleCloses:N0} idle";
            o.WriteLine($"  server       refused {f.Rejections:N0} connections, evicted {f.Evictions:N0}{idle}");
            o.WriteLine($"  platform     refused {f.Throttles:N0} invocations at its limits (THROTTLED; a request of a caller "
                + "whose call was refused also ends THROTTLED)");
        }
    }

    /// <summary>Milliseconds for people: to the microsecond, thousands grouped (a fleet's waits run to 100,000 ms).</summary>
    internal static string Ms(double v) => v.ToString("#,0.###", Inv);

    private static string Counts(IReadOnlyDictionary<string, int> counts)
    {
        var nonZero = counts.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value:N0}").ToList();
        return nonZero.Count == 0 ? "none" : string.Join(", ", nonZero);
    }
}
