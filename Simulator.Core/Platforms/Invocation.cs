using Zombiesim.Core.Connections;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Platforms;

/// <summary>What an invocation ended with.</summary>
internal readonly record struct Result(Outcome Outcome, Origin? Origin, string? Connection, Cause? Cause)
{
    /// <summary>The socket call that failed, as Node names it in its errors.</summary>
    public Clients.Syscall Call { get; init; }

    public static Result Ok(string? connection) => new(Outcome.Ok, null, connection, null);
}

/// <summary>One invocation in flight. Its number, given by its environment, stamps the timers set
/// for it, so that they do nothing once it has finished.</summary>
internal sealed class Invocation(TimeSpan arrived, Action<Result>? done)
{
    public TimeSpan Arrived { get; } = arrived;
    public Action<Result>? Done { get; } = done;
    public long Number;
    public int Retries;
    /// <summary>Its function-timeout timer (its environment's deadline alarm, stamped with its number).</summary>
    public TimerHandle Deadline;
    public bool Finished;
    /// <summary>A pool keeps the connection of its first command for it until it finishes, whatever the
    /// pool's hold (a client session a proxy pinned).</summary>
    public bool KeepsConnection;

    /// <summary>Whether a timer stamped <paramref name="stamp"/> belongs to this invocation, still running.</summary>
    public bool Owns(long stamp) => !Finished && Number == stamp;
}
