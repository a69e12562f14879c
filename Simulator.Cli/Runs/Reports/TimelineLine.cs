using Zombiesim.Core.Observation;
using Zombiesim.Tcp;

namespace Zombiesim.Cli.Runs.Reports;

/// <summary>A record as one line of the text timeline: "  95.000000s  hello        request FAILED ...".</summary>
public static class TimelineLine
{
    /// <summary>Whether the timeline shows the record (handshakes are routine; the trace has them).</summary>
    public static bool Shown(TransitionRecord t) =>
        t.Cause is not (TcpCause.ActiveOpen or TcpCause.PassiveOpen or TcpCause.RcvSyn or TcpCause.RcvSynAck or TcpCause.RcvAckOfSyn);

    /// <summary>The instant of a request (when it ended: after what made it fail), transition, lifecycle record or note.</summary>
    public static TimeSpan At(object record) => record switch
    {
        RequestRecord r => r.End,
        TransitionRecord t => t.T,
        LifecycleRecord l => l.T,
        NoteRecord n => n.T,
        _ => throw new ArgumentException("not a record", nameof(record)),
    };

    public static string Of(object record)
    {
        var (who, what) = record switch
        {
            RequestRecord r => (r.Function, Request(r)),
            TransitionRecord t => (t.Host, $"{t.Connection} {t.From.Name()} -> {t.To.Name()} ({t.Cause.Name()})"),
            LifecycleRecord l => (l.Environment, l.Event.Name() + (l.Detail is null ? "" : $" ({l.Detail})")),
            NoteRecord n => (n.Who, n.Text),
            _ => throw new ArgumentException("not a record", nameof(record)),
        };
        return $"{RunFiles.Seconds(At(record)) + "s",16}  {who,-12} {what}";
    }

    private static string Request(RequestRecord r)
    {
        string on = r.Connection is null ? "" : $" on {r.Connection}";
        string latency = RunText.Ms(r.LatencyMs);
        string what = r.Ok
            ? $"request ok in {latency} ms{on} ({r.Environment})"
            : $"request FAILED {r.Outcome.Name()} ({r.Origin?.Name()}){Said(r)} after {latency} ms{on} ({r.Environment})"
                + (r.Cause is null ? "" : ": " + r.Cause.Text());
        return r.Retries > 0 ? what + $", after {r.Retries} retries" : what;
    }

    /// <summary>The error as the client library words it, quoted, when it has words of its own.</summary>
    internal static string Said(RequestRecord r) => r.Message is null ? "" : $" \"{r.Message}\"";
}
