using Zombiesim.Core.Engine;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Clients;

/// <summary>One connection of a <see cref="PooledClient"/>: its socket, its age and last use, the
/// command on it if any, its idle timer (stamped, so that a re-armed timer's earlier event is stale) and its
/// lifetime timer (<see cref="LifetimeStamp"/>, for a pool whose <see cref="PoolSpec.LifetimeRule"/> is a timer).</summary>
internal sealed class PooledConnection : EventReceiver
{
    private readonly Clock _clock;
    private readonly Action<PooledConnection, long> _onIdle;
    private TimerHandle _idle; // the latest idle timer, as an Alarm keeps it
    private TimerHandle _life; // the lifetime timer, while armed

    /// <summary>The stamp the lifetime timer fires with (idle timers' stamps are positive).</summary>
    public const long LifetimeStamp = -1;

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

    /// <summary>The lifetime timer fires at <see cref="LifetimeDeadline"/> with <see cref="LifetimeStamp"/>.</summary>
    public void ArmLifetime() => _life = _clock.At(LifetimeDeadline, this, LifetimeStamp);

    /// <summary>Cancels the lifetime timer (it stops while the process is frozen, and with the connection).</summary>
    public void CancelLifetime() => _clock.Cancel(ref _life);

    /// <summary>Both timers reach the pool through one delegate, told apart by their stamps.</summary>
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

    /// <summary>When its lifetime passes (meaningful only with a <see cref="Lifetime"/>).</summary>
    public TimeSpan LifetimeDeadline => Created + (Lifetime ?? TimeSpan.Zero);

    /// <summary>Its lifetime timer fired while it was busy: the pool closes it when it is released (pg-pool's _expired).</summary>
    public bool LifeOver { get; set; }

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
