using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Clients;

/// <summary>The pool through its environment's lifecycle: invocations ending, the runtime reset, freeze and thaw
/// (user-space timers stop and run overdue), shutdown hooks and init code.</summary>
internal sealed partial class PooledClient
{
    /// <summary>An invocation ended: the connections it held go back to the pool.</summary>
    public void Finished()
    {
        if (_hold != Hold.Invocation && !_keptFor)
            return;
        foreach (var c in _bySocket.Values.Where(c => c.HeldBy is { Finished: true }).ToArray())
        {
            c.HeldBy = null;
            Release(c);
        }
    }

    public string? Abandon()
    {
        // The runtime is reset: the process dies and its kernel closes every socket it held.
        string? label = _bySocket.Values.FirstOrDefault(c => c.Command is not null) is { } busy ? _connections.Label(busy.Socket) : null;
        foreach (var c in _bySocket.Values.ToArray())
            Close(c);
        // Its commands die with it, whatever their phase: none may end later or hold a place in the pool.
        foreach (var call in _inFlight)
            call.Drop();
        _inFlight.Clear();
        _waiting.Clear();
        _opening = 0;
        return label;
    }

    /// <summary>The process stops: its timers (idle, lifetime, pings, commands') stop with it, and keep their deadlines.</summary>
    public void Freeze()
    {
        PausePings();
        PauseLifetimes();
        _frozen = true;
        foreach (var c in _free)
            c.CancelIdle();
        foreach (var call in _inFlight)
            call.Pause(); // commands of an invocation that ended early (a failure ended it) go on after the thaw
    }

    /// <summary>The process runs again: idle and lifetime timers whose deadlines passed fire now, before or after
    /// the handler's first command as the pool's setting says; the others fire at their deadlines.</summary>
    public void Thawed(bool beforeHandler)
    {
        if (!_frozen || beforeHandler != (_pool.OverdueTimers == OverdueTimers.BeforeHandler))
            return;
        _frozen = false;
        foreach (var call in _inFlight.ToArray())
            call.Resume(_clock.Now);
        ResumePings();
        ResumeLifetimes();
        if (_pool.IdleTimeout is null)
            return;
        foreach (var c in _free.ToArray())
        {
            if (c.IdleDeadline <= _clock.Now)
                CloseIdle(c);
            else
                c.ArmIdle(c.IdleDeadline, ++c.IdleStamp);
        }
    }

    public void CloseAll()
    {
        foreach (var c in _bySocket.Values.ToArray())
            Close(c); // the hook ends the pool cleanly: FIN on each
    }

    /// <summary>Init code that connects: one connection opens and waits free in the pool (of a pool that keeps
    /// connections; nothing is sent on it yet).</summary>
    public void ConnectInInit()
    {
        if (!_keeps || Size >= _pool.Max)
            return;
        var socket = _process.Connect(_server, _socketOptions);
        _connections.Info(socket);
        _process.Own(socket);
        var c = new PooledConnection(_clock, socket, _onIdle) { Lifetime = _pool.MaxLifetime is null ? null : _draws.Lifetime() };
        _bySocket[socket] = c;
        StartLifetime(c);
        Release(c);
    }

    /// <summary>The latest idle deadline of a free connection, while idle timers run.</summary>
    public TimeSpan? PendingTimersUntil
    {
        get
        {
            if (_pool.IdleTimeout is null || _free.Count == 0)
                return null;
            TimeSpan last = TimeSpan.Zero;
            foreach (var c in _free)
                if (c.IdleDeadline > last) last = c.IdleDeadline;
            return last;
        }
    }
}
