using Zombiesim.Core.Engine;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Clients;

/// <summary>One connection of a <see cref="PooledClient"/>: its socket, its age and last use, the
/// command on it if any, and its idle timer (stamped, so that a re-armed timer's earlier event is stale).</summary>
internal sealed class PooledConnection : EventReceiver
{
    private readonly Clock _clock;
    private readonly Action<PooledConnection, long> _onIdle;
    private TimerHandle _idle; // the latest idle timer, as an Alarm keeps it

    public PooledConnection(Clock clock, TcpConnection socket, Action<PooledConnection, long> onIdle)
    {
        _clock = clock;
        _onIdle = onIdle;
        Socket = socket;
        Created = clock.Now;
        LastUsed = clock.Now;
    }

    /// <summary>The idle timer fires at <paramref name="at"/> with <paramref name="stamp"/>; an earlier one is not cancelled.</summary>
    public void ArmIdle(TimeSpan at, long stamp) => _idle = _clock.At(at, this, stamp);

    /// <summary>Cancels the latest idle timer.</summary>
    public void CancelIdle() => _clock.Cancel(ref _idle);

    public override void OnEvent(long stamp) => _onIdle(this, stamp);

    public TcpConnection Socket { get; }
    public TimeSpan Created { get; }
    public TimeSpan LastUsed { get; set; }
    public TimeSpan IdleDeadline { get; set; }
    public long IdleStamp { get; set; }
    public PoolCall? Command { get; set; }

    /// <summary>The invocation that keeps it between its commands (a transaction), if any.</summary>
    public Platforms.Invocation? HeldBy { get; set; }
    public bool Connecting { get; set; }

    /// <summary>A pre-ping is on its way: its reply lets the command go, its failure replaces the connection.</summary>
    public bool Pinging { get; set; }

    /// <summary>How long the pool keeps it, drawn when it opened; null: for ever.</summary>
    public TimeSpan? Lifetime { get; init; }

    /// <summary>The pool's generation when it opened (a cleared pool does not reuse it).</summary>
    public int Generation { get; init; }

    /// <summary>The peer's FIN has reached the process.</summary>
    public bool PeerClosed { get; set; }

    /// <summary>An idle ping is on its way on the free connection (<see cref="ClientSpec.PingInterval"/>); a command that
    /// takes the connection meanwhile is sent behind it, and its reply comes after the ping's.</summary>
    public bool IdlePing { get; set; }

    /// <summary>The bytes of the idle ping's reply read so far.</summary>
    public int PingReceived { get; set; }

    /// <summary>The idle ping's reply timeout (the command timeout), made when the first ping needs one.</summary>
    public Alarm? PingTimeout { get; set; }

    /// <summary>When the idle ping's reply timeout runs out (kept while the process is frozen).</summary>
    public TimeSpan PingDeadline { get; set; }
}
