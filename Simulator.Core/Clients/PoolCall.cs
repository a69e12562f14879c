using Zombiesim.Core.Engine;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Servers;

namespace Zombiesim.Core.Clients;

/// <summary>One command of an invocation in a <see cref="PooledClient"/>, from acquiring a
/// connection to its reply. Its one timer serves each phase in turn, stamped with the phase; it is a
/// user-space timer (set-up CPU, acquire, connect and command timeouts), paused while the
/// environment is frozen and overdue at the thaw.</summary>
internal sealed class PoolCall
{
    public const long Opening = 1, Acquiring = 2, Connecting = 3, Waiting = 4;

    private readonly Action<Result> _done;
    private readonly Alarm _timer; // only through Arm, Disarm, Pause and Resume, which keep the phase and deadline
    private TimeSpan _at;
    private long _phase; // the armed phase; 0: none
    private bool _paused;

    public PoolCall(Clock clock, Invocation inv, Action<Result> done, Action<PoolCall, long> onTimer)
    {
        Invocation = inv;
        _done = done;
        _timer = new Alarm(clock, phase =>
        {
            _phase = 0;
            onTimer(this, phase);
        });
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
        _timer.Cancel();
        _at = at;
        _phase = phase;
        if (!_paused)
            _timer.Set(at, phase);
    }

    /// <summary>No timer in the phase that follows.</summary>
    public void Disarm()
    {
        _phase = 0;
        _timer.Cancel();
    }

    /// <summary>The process is frozen: the timer stops and keeps its deadline.</summary>
    public void Pause()
    {
        _paused = true;
        _timer.Cancel();
    }

    /// <summary>The process runs again: the timer fires at its deadline, at once if overdue.</summary>
    public void Resume(TimeSpan now)
    {
        _paused = false;
        if (_phase != 0 && !Ended)
            _timer.Set(_at > now ? _at : now, _phase);
    }

    /// <summary>The process died: the command ends with no result and its timer is cancelled.</summary>
    public void Drop()
    {
        Ended = true;
        _timer.Cancel();
    }

    /// <summary>The command's result goes to its handler, once.</summary>
    public void End(Result r)
    {
        if (Ended)
            return;
        Ended = true;
        _timer.Cancel();
        _done(r);
    }
}
