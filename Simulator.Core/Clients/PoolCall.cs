using Zombiesim.Core.Engine;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Servers;

namespace Zombiesim.Core.Clients;

/// <summary>One command of an invocation in a <see cref="PooledClient"/>, from acquiring a
/// connection to its reply. Its one timer serves each phase in turn, stamped with the phase; it is a
/// user-space timer (set-up CPU, acquire, connect and command timeouts), paused while the
/// environment is frozen and overdue at the thaw.</summary>
internal sealed class PoolCall : EventReceiver
{
    public const long Opening = 1, Acquiring = 2, Connecting = 3, Waiting = 4;

    private readonly Clock _clock;
    private readonly Action<PoolCall, long> _onTimer;
    private readonly Action<PoolCall> _forget;
    private readonly Action<Result> _done;
    private TimerHandle _timer; // only through Arm, Disarm, Pause and Resume, which keep the phase and deadline
    private TimeSpan _at;
    private long _phase; // the armed phase; 0: none
    private bool _paused;

    /// <summary>The call's number in its pool, its hash (equality stays the reference's): the pool keeps its calls in
    /// flight in a set, and the runtime's default hash calls into the runtime the first time an object is hashed.</summary>
    public int Number { get; init; }

    public override int GetHashCode() => Number;

    /// <param name="clock">Its timer's.</param>
    /// <param name="inv">The invocation it serves.</param>
    /// <param name="done">Gets its result, once.</param>
    /// <param name="onTimer">The pool's: its timer ran out in the phase given.</param>
    /// <param name="forget">The pool's: the command ended, before its result goes to <paramref name="done"/>.</param>
    public PoolCall(Clock clock, Invocation inv, Action<Result> done, Action<PoolCall, long> onTimer, Action<PoolCall> forget)
    {
        _clock = clock;
        Invocation = inv;
        _done = done;
        _onTimer = onTimer;
        _forget = forget;
    }

    /// <summary>The timer ran out. Its handle is kept, as an <see cref="Alarm"/> keeps its latest: a call armed after a
    /// thaw but before the pool's overdue side ran (overdueTimers after) is set again by <see cref="Resume"/>, and the
    /// phase the first event arms or disarms cancels the second through this handle (http-agent-nginx-keepalive).</summary>
    public override void OnEvent(long phase)
    {
        _phase = 0;
        _onTimer(this, phase);
    }

    public Invocation Invocation { get; }
    public PooledConnection? Conn { get; set; }
    public int Received { get; set; }

    /// <summary>What the command asks the server when it is an administrative query; null: an ordinary command.</summary>
    public ServerQuery? Query { get; init; }

    /// <summary>The server's answer to <see cref="Query"/>, once the reply is read.</summary>
    public QueryAnswer? Answer { get; set; }
    public bool Ended { get; private set; }

    /// <summary>The timer for the next phase, replacing the one before.</summary>
    public void Arm(TimeSpan at, long phase)
    {
        _clock.Cancel(ref _timer);
        _at = at;
        _phase = phase;
        if (!_paused)
            _timer = _clock.At(at, this, phase);
    }

    /// <summary>No timer in the phase that follows.</summary>
    public void Disarm()
    {
        _phase = 0;
        _clock.Cancel(ref _timer);
    }

    /// <summary>The process is frozen: the timer stops and keeps its deadline.</summary>
    public void Pause()
    {
        _paused = true;
        _clock.Cancel(ref _timer);
    }

    /// <summary>The process runs again: the timer fires at its deadline, at once if overdue.</summary>
    public void Resume(TimeSpan now)
    {
        _paused = false;
        if (_phase != 0 && !Ended)
            _timer = _clock.At(_at > now ? _at : now, this, _phase);
    }

    /// <summary>The process died: the command ends with no result and its timer is cancelled.</summary>
    public void Drop()
    {
        Ended = true;
        _clock.Cancel(ref _timer);
    }

    /// <summary>The command's result goes to its handler, once.</summary>
    public void End(Result r)
    {
        if (Ended)
            return;
        Ended = true;
        _clock.Cancel(ref _timer);
        _forget(this);
        _done(r);
    }
}
