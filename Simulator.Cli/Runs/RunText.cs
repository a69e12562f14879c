using System.Globalization;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tcp;

namespace Zombiesim.Cli.Runs;

/// <summary>A run as people read it: the timeline, the summary, the expectations and the command that reproduces it.</summary>
public static class RunText
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Write(TextWriter o, RunOutcome outcome, RunRecorder rec, string reproduce, int limit)
    {
        var s = outcome.Scenario;
        o.WriteLine($"{s.Name}: seed {outcome.Seed}, horizon {DurationText.Format(s.Horizon)}, {outcome.Events:N0} events");
        if (s.Description is { } d)
            o.WriteLine(d.Trim());
        o.WriteLine();
        var lines = Timeline(rec).ToList();
        o.WriteLine("timeline");
        foreach (var line in lines.Take(limit))
            o.WriteLine("  " + line);
        if (lines.Count > limit || rec.Dropped > 0)
            o.WriteLine($"  ... more lines not shown (--timeline-lines N shows more; --out DIR writes trace.jsonl)");
        o.WriteLine();
        WriteSummary(o, outcome.Summary);
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

    private static string Seconds(TimeSpan t) => RunFiles.Seconds(t) + "s";

    private static IEnumerable<string> Timeline(RunRecorder rec)
    {
        var items = new List<(TimeSpan T, int Order, string Who, string What)>();
        int n = 0;
        foreach (var l in rec.Lifecycle)
            items.Add((l.T, n++, l.Environment, l.Event.Name() + (l.Detail is null ? "" : $" ({l.Detail})")));
        foreach (var x in rec.Notes)
            items.Add((x.T, n++, x.Who, x.Text));
        foreach (var t in rec.Transitions)
        {
            if (t.Cause is TcpCause.ActiveOpen or TcpCause.PassiveOpen or TcpCause.RcvSyn or TcpCause.RcvSynAck or TcpCause.RcvAckOfSyn)
                continue; // handshakes are routine; the trace has them
            items.Add((t.T, n++, t.Host, $"{t.Connection} {t.From.Name()} -> {t.To.Name()} ({t.Cause.Name()})"));
        }
        foreach (var r in rec.Requests)
            items.Add((r.T, n++, r.Function, Request(r)));
        return items.OrderBy(i => i.T).ThenBy(i => i.Order).Select(i => $"{Seconds(i.T),16}  {i.Who,-12} {i.What}");
    }

    private static string Request(RequestRecord r)
    {
        string on = r.Connection is null ? "" : $" on {r.Connection}";
        string latency = r.LatencyMs.ToString("0.###", Inv);
        string what = r.Ok
            ? $"request ok in {latency} ms{on} ({r.Environment})"
            : $"request FAILED {r.Outcome.Name()} ({r.Origin?.Name()}){Said(r)} after {latency} ms{on} ({r.Environment})"
                + (r.Cause is null ? "" : ": " + r.Cause.Text());
        return r.Retries > 0 ? what + $", after {r.Retries} retries" : what;
    }

    /// <summary>The error as the client library words it, quoted, when it has words of its own.</summary>
    private static string Said(RequestRecord r) => r.Message is null ? "" : $" \"{r.Message}\"";

    private static void WriteSummary(TextWriter o, RunSummary s)
    {
        o.WriteLine("summary");
        o.WriteLine($"  requests     {s.Requests:N0}: {string.Join(", ", s.Outcomes.Select(kv => $"{kv.Key.Name()} {kv.Value:N0}"))}");
        string errors = s.Errors == 0 ? "none"
            : string.Join(", ", s.ErrorsByErrnoAndOrigin.Select(kv =>
                $"{RunSummary.ErrorName(kv.Key.Outcome, kv.Key.Origin)} {kv.Value:N0}"));
        o.WriteLine($"  errors       {errors}");
        if (s.Latency.Count > 0)
            o.WriteLine($"  latency ok   p50 {s.Latency.Quantile(0.5).ToString("0.###", Inv)} ms, "
                + $"p99 {s.Latency.Quantile(0.99).ToString("0.###", Inv)} ms");
        o.WriteLine($"  environments {s.ColdStarts:N0} cold starts, {s.Destroyed:N0} destroyed");
        if (s.Final is { } f)
        {
            o.WriteLine($"  server peak  {Counts(s.PeakServer)}");
            o.WriteLine($"  server final {Counts(f.Server)}");
            o.WriteLine($"  client final {Counts(f.Client)}");
            o.WriteLine($"  zombies      peak {s.PeakZombies}, {s.ZombieSeconds.ToString("0.#", Inv)} zombie-seconds; "
                + $"rejections {f.Rejections}, evictions {f.Evictions}, throttles {f.Throttles}");
        }
    }

    private static string Counts(IReadOnlyDictionary<string, int> counts)
    {
        var nonZero = counts.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value}").ToList();
        return nonZero.Count == 0 ? "none" : string.Join(", ", nonZero);
    }
}
