using System.Text.Json.Nodes;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;

namespace Zombiesim.Cli.Runs;

/// <summary>
/// The JSON form of one record (request, transition, lifecycle event, note), as `run --json` and
/// trace.jsonl write it, and its reading back. A request's cause is text on disk: it is read back as
/// <see cref="ReadRequest"/>'s second value, not as a <see cref="Cause"/>.
/// </summary>
public static class RecordJson
{
    private static readonly Dictionary<string, TcpState> States = Enum.GetValues<TcpState>().ToDictionary(s => s.Name());
    private static readonly Dictionary<string, TcpCause> TcpCauses = Enum.GetValues<TcpCause>().ToDictionary(c => c.Name());
    private static readonly Dictionary<string, LifecycleEvent> Events = Enum.GetValues<LifecycleEvent>().ToDictionary(e => e.Name());

    public static JsonObject Request(RequestRecord r) => Request(r, r.Cause?.Text());

    /// <summary>A request with its cause given as text (what <see cref="ReadRequest"/> gives back).
    /// The library's words ("message") are written only when it has some.</summary>
    public static JsonObject Request(RequestRecord r, string? cause)
    {
        var o = new JsonObject
        {
            ["t"] = r.T.TotalSeconds, ["function"] = r.Function, ["environment"] = r.Environment, ["connection"] = r.Connection,
            ["outcome"] = r.Outcome.Name(), ["errno"] = r.Errno, ["origin"] = r.Origin?.Name(),
            ["latencyMs"] = Math.Round(r.LatencyMs, 6), ["retries"] = r.Retries, ["cause"] = cause,
        };
        if (r.Message is not null)
            o["message"] = r.Message;
        return o;
    }

    public static JsonObject Transition(TransitionRecord t) => new()
    {
        ["t"] = t.T.TotalSeconds, ["host"] = t.Host, ["connection"] = t.Connection, ["from"] = t.From.Name(), ["to"] = t.To.Name(),
        ["cause"] = t.Cause.Name(),
    };

    /// <summary>A segment: "ack" only with the ACK flag, "arrived" only when it arrived.</summary>
    public static JsonObject Segment(SegmentRecord s)
    {
        var o = new JsonObject
        {
            ["t"] = s.T.TotalSeconds, ["from"] = s.From, ["to"] = s.To, ["connection"] = s.Connection, ["flags"] = s.FlagText,
            ["seq"] = s.Seq,
        };
        if (s.Ack is { } ack)
            o["ack"] = ack;
        o["length"] = s.Length;
        o["fate"] = s.Fate.Name();
        if (s.Arrived is { } arrived)
            o["arrived"] = arrived.TotalSeconds;
        return o;
    }

    public static SegmentRecord ReadSegment(JsonObject o) =>
        new(Instant(Number(o, "t")), Text(o, "from"), Text(o, "to"), Text(o, "connection"),
            SegmentNames.ParseFlags(Text(o, "flags")) ?? throw new FormatException($"'{Text(o, "flags")}' are not TCP flags"),
            o["seq"]?.GetValue<uint>() ?? throw new FormatException("no 'seq'"), o["ack"]?.GetValue<uint>(),
            o["length"]?.GetValue<int>() ?? throw new FormatException("no 'length'"),
            SegmentNames.ParseOutcome(Text(o, "fate")) ?? throw new FormatException($"'{Text(o, "fate")}' is not a segment's fate"),
            o["arrived"] is null ? null : Instant(Number(o, "arrived")));

    public static JsonObject Lifecycle(LifecycleRecord l) => new()
    {
        ["t"] = l.T.TotalSeconds, ["environment"] = l.Environment, ["event"] = l.Event.Name(), ["detail"] = l.Detail,
    };

    /// <summary>A note: its kind and connection only when it has them.</summary>
    public static JsonObject Note(NoteRecord n)
    {
        var o = new JsonObject { ["t"] = n.T.TotalSeconds, ["who"] = n.Who, ["text"] = n.Text };
        if (n.Kind != NoteKind.Other)
            o["type"] = n.Kind.Name(); // "kind" is the trace line's
        if (n.Connection is not null)
            o["connection"] = n.Connection;
        return o;
    }

    /// <summary>An instant written as seconds (<see cref="TimeSpan.TotalSeconds"/>), back to its ticks.</summary>
    public static TimeSpan Instant(double seconds) => TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));

    public static (RequestRecord Record, string? Cause) ReadRequest(JsonObject o)
    {
        string outcome = Text(o, "outcome");
        if (!OutcomeNames.TryParse(outcome, out Outcome oc))
            throw new FormatException($"'{outcome}' is not an outcome");
        Origin? origin = null;
        if (o["origin"]?.GetValue<string>() is { } g)
            origin = OutcomeNames.TryParse(g, out Origin og) ? og : throw new FormatException($"'{g}' is not an origin");
        var record = new RequestRecord(Instant(Number(o, "t")), Text(o, "function"), Text(o, "environment"),
            o["connection"]?.GetValue<string>(), oc, origin, Number(o, "latencyMs"), o["retries"]?.GetValue<int>() ?? 0, null,
            o["message"]?.GetValue<string>());
        return (record, o["cause"]?.GetValue<string>());
    }

    public static TransitionRecord ReadTransition(JsonObject o) =>
        new(Instant(Number(o, "t")), Text(o, "host"), Text(o, "connection"), Lookup(States, Text(o, "from"), "TCP state"),
            Lookup(States, Text(o, "to"), "TCP state"), Lookup(TcpCauses, Text(o, "cause"), "transition cause"));

    public static LifecycleRecord ReadLifecycle(JsonObject o)
    {
        var e = Lookup(Events, Text(o, "event"), "lifecycle event");
        string? detail = o["detail"]?.GetValue<string>();
        var record = new LifecycleRecord(Instant(Number(o, "t")), Text(o, "environment"), e);
        return detail switch
        {
            null => record,
            "abandoned by a redeploy" => record with { Reason = DestroyReason.Redeploy },
            "recycled at its maximum lifetime" => record with { Reason = DestroyReason.MaxLifetime },
            _ when detail.StartsWith("reaped after ", StringComparison.Ordinal) && detail.EndsWith(" idle", StringComparison.Ordinal)
                && DurationText.TryParse(detail["reaped after ".Length..^" idle".Length], out var idle, out _)
                => record with { Reason = DestroyReason.Reaped, IdleFor = idle },
            _ => throw new FormatException($"'{detail}' is not a lifecycle detail"),
        };
    }

    public static NoteRecord ReadNote(JsonObject o)
    {
        var kind = NoteKind.Other;
        if (o["type"] is not null)
            kind = NoteKinds.Parse(Text(o, "type")) ?? throw new FormatException($"'{Text(o, "type")}' is not a note type");
        return new(Instant(Number(o, "t")), Text(o, "who"), Text(o, "text"), kind, o["connection"] is null ? null : Text(o, "connection"));
    }

    private static string Text(JsonObject o, string key) => o[key]?.GetValue<string>() ?? throw new FormatException($"no '{key}'");

    private static double Number(JsonObject o, string key) => o[key]?.GetValue<double>() ?? throw new FormatException($"no '{key}'");

    private static T Lookup<T>(Dictionary<string, T> names, string name, string what) =>
        names.TryGetValue(name, out var v) ? v : throw new FormatException($"'{name}' is not a {what}");
}
