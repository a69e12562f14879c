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

    /// <summary>The errno the failing socket call returned, when the outcome is one.</summary>
    public string? Errno => Outcome.Errno();
}

/// <summary>A socket changed state. Host is "server" or the environment's name.</summary>
public sealed record TransitionRecord(TimeSpan T, string Host, string Connection, TcpState From, TcpState To, TcpCause Cause);

/// <summary>An execution environment's life: cold-start, frozen, thawed, destroyed (with why, and
/// for a reaped one after how long idle).</summary>
public sealed record LifecycleRecord(TimeSpan T, string Environment, LifecycleEvent Event, DestroyReason? Reason = null,
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

/// <summary>Something a server or the world did that explains later errors (idle close, eviction, rejection, restart, partition).</summary>
public sealed record NoteRecord(TimeSpan T, string Who, string Text);

/// <summary>Counts at one instant.</summary>
public sealed record Sample(
    TimeSpan T,
    CategoryCounts Server,
    CategoryCounts Client,
    int EnvironmentsBusy,
    int EnvironmentsIdle,
    int EnvironmentsFrozen,
    long Rejections,
    long Evictions,
    long Throttles)
{
    /// <summary>Server-side categories, in stacking order: ESTABLISHED split into in use, idle and zombie.</summary>
    public static readonly string[] ServerCategories =
        ["established-in-use", "established-idle", "zombie", "SYN_RECEIVED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",
            "LAST_ACK", "TIME_WAIT"];

    public static readonly string[] ClientCategories =
        ["SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"];
}
