using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Observation;

/// <summary>The outcome of one invocation, as the caller saw it; <see cref="Message"/> is the error as the client
/// library words it (null when it has no words of its own).</summary>
public sealed record RequestRecord(
    TimeSpan T,
    string Function,
    string Environment,
    string? Connection,
    Outcome Outcome,
    Origin? Origin,
    double LatencyMs,
    int Retries,
    Cause? Cause,
    string? Message = null)
{
    public bool Ok => Outcome == Outcome.Ok;

    /// <summary>When it ended: its arrival plus its latency (a failure is seen then, after what caused it).</summary>
    public TimeSpan End => T + TimeSpan.FromTicks((long)Math.Round(LatencyMs * TimeSpan.TicksPerMillisecond));

    /// <summary>The errno the failing socket call returned, when the outcome is one.</summary>
    public string? Errno => Outcome.Errno();
}

/// <summary>A socket changed state. Host is "server" or the environment's name.</summary>
public sealed record TransitionRecord(TimeSpan T, string Host, string Connection, TcpState From, TcpState To, TcpCause Cause);

/// <summary>An execution environment's life: cold-start, frozen, thawed, destroyed (with why, and
/// for a reaped one after how long idle). A value: a fleet's environments freeze and thaw at every request, and
/// most observers only count these.</summary>
public readonly record struct LifecycleRecord(TimeSpan T, string Environment, LifecycleEvent Event, DestroyReason? Reason = null,
    TimeSpan? IdleFor = null)
{
    /// <summary>Why it was destroyed, in words.</summary>
    public string? Detail => Reason switch
    {
        DestroyReason.Reaped => $"reaped after {DurationText.Format(IdleFor!.Value)} idle",
        DestroyReason.Redeploy => "abandoned by a redeploy",
        DestroyReason.MaxLifetime => "recycled at its maximum lifetime",
        _ => null,
    };
}

/// <summary>Something a server or the world did that explains later errors (idle close, eviction, rejection, restart, partition).
/// <paramref name="Who"/> is the server's, pooler's or function's name, or "network"; <paramref name="Connection"/> the
/// connection it concerns, if one.</summary>
public sealed record NoteRecord(TimeSpan T, string Who, string Text, NoteKind Kind = NoteKind.Other, string? Connection = null);

/// <summary>What a note is about, so that programs need not read its words.</summary>
public enum NoteKind
{
    Other,
    /// <summary>A server or pooler refused a connection.</summary>
    Refusal,
    /// <summary>A server or pooler closed a connection (idle timeout, eviction, KILL, its limits).</summary>
    Close,
    /// <summary>A server answered a KILL.</summary>
    Kill,
    /// <summary>A pooler pinned a client to its server connection.</summary>
    Pin,
    /// <summary>A driver's heartbeat failed.</summary>
    Heartbeat,
    /// <summary>A scripted server restart began.</summary>
    Restart,
    /// <summary>A scripted failover: the old node failed, or the standby was promoted.</summary>
    Failover,
    /// <summary>A scripted partition began.</summary>
    Partition,
    /// <summary>A partition healed.</summary>
    PartitionHealed,
    /// <summary>A scripted redeploy of a function.</summary>
    Redeploy,
}

public static class NoteKinds
{
    /// <summary>The kind in traces: "refusal", "close", "partition-healed".</summary>
    public static string Name(this NoteKind k) => k switch
    {
        NoteKind.PartitionHealed => "partition-healed",
        _ => k.ToString().ToLowerInvariant(),
    };

    public static NoteKind? Parse(string name) =>
        Enum.GetValues<NoteKind>().Where(k => k.Name() == name).Select(k => (NoteKind?)k).FirstOrDefault();

    /// <summary>Whether the note is a scripted event of the scenario's (a restart, failover, partition or redeploy).</summary>
    public static bool Scripted(this NoteKind k) =>
        k is NoteKind.Restart or NoteKind.Failover or NoteKind.Partition or NoteKind.PartitionHealed or NoteKind.Redeploy;
}

/// <summary>Counts at one instant. <paramref name="Repeated"/>: no event ran since the sample before, whose counts these
/// are (an observer may skip what it did with them).</summary>
public readonly record struct Sample(
    TimeSpan T,
    CategoryCounts Server,
    CategoryCounts Client,
    int EnvironmentsBusy,
    int EnvironmentsIdle,
    int EnvironmentsFrozen,
    long Rejections,
    long Evictions,
    long Throttles,
    FunctionCounts? Functions = null,
    ServerCounts? Servers = null,
    bool Repeated = false)
{
    /// <summary>Server-side categories, in stacking order: ESTABLISHED split into in use, idle and zombie.</summary>
    public static readonly string[] ServerCategories =
        ["established-in-use", "established-idle", "zombie", "SYN_RECEIVED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",
            "LAST_ACK", "TIME_WAIT"];

    /// <summary>The interval between samples of a run: a whole number of seconds, at least 1, such that a run
    /// takes at most about 2,000 samples.</summary>
    public static TimeSpan Interval(TimeSpan horizon)
    {
        long step = Math.Max(TimeSpan.TicksPerSecond, horizon.Ticks / 2000);
        return TimeSpan.FromTicks((step + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond);
    }

    public static readonly string[] ClientCategories =
        ["SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"];
}

/// <summary>With several servers (a pooler and the server behind it, say), each one's connections at one
/// instant: every socket on its port but the listener and TIME_WAIT, in the scenario's order. A pooler's
/// connections to its upstream count on the upstream.</summary>
public sealed record ServerCounts(IReadOnlyList<string> Names, int[] Open);

/// <summary>Server connections by the function whose environment holds the other end, at one instant:
/// held (every server socket but TIME_WAIT) and zombies, indexed as the scenario lists its functions.</summary>
public sealed record FunctionCounts(int[] Held, int[] Zombies);
