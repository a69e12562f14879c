using Zombiesim.Core.Connections;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Clients;

/// <summary>
/// A client library with a connection pool, as pg-pool, mysql2's pool and the MongoDB driver keep
/// one per process: a command acquires a free connection (the most recently released first, as
/// mysql2 and pg-pool do), or opens a new one while the pool is below its size, or waits in a queue
/// with an optional acquire timeout; it releases the connection after the reply. Idle connections
/// are closed by the library's own timers, which are user-space timers: they do not run while the
/// environment is frozen, and those overdue at the thaw run before or after the thawed invocation's
/// first command (<see cref="PoolSpec.OverdueTimers"/>). A connection older than its maximum
/// lifetime is closed instead of reused.
/// </summary>
internal sealed class PooledClient : IClientLibrary
{
    private readonly ClientSpec _spec;
    private readonly PoolSpec _pool;
    private readonly Hold _hold;
    private readonly IProcess _process;
    private readonly Clock _clock;
    private readonly ConnectionRegistry _connections;
    private readonly Endpoint _server;
    private readonly Func<TimeSpan> _drawSetup;
    private readonly Func<TimeSpan> _drawLifetime;
    private readonly SocketOptions _socketOptions;
    private readonly Dictionary<TcpConnection, PooledConnection> _bySocket = new();
    private readonly List<PooledConnection> _free = new(); // idle connections, the most recently released last
    private readonly Queue<PoolCall> _waiting = new();
    private readonly HashSet<PoolCall> _inFlight = new(); // commands not yet ended, in any phase
    private int _opening; // connections being set up (their SYN not yet sent) count toward the size
    private int _generation; // raised by Clear: a connection of an earlier generation is not reused
    private bool _frozen;

    public PooledClient(ClientSpec spec, Hold hold, IProcess process, Clock clock, ConnectionRegistry connections, Endpoint server,
        Func<TimeSpan> drawSetup, Func<TimeSpan> drawLifetime)
    {
        _spec = spec;
        _hold = hold;
        _pool = spec.Pool!;
        _process = process;
        _clock = clock;
        _connections = connections;
        _server = server;
        _drawSetup = drawSetup;
        _drawLifetime = drawLifetime;
        _socketOptions = SocketResults.Options(spec);
    }

    /// <summary>The connections the pool holds: open, connecting or idle.</summary>
    public int Size => _bySocket.Count + _opening;

    public bool HoldsConnections => _bySocket.Count > 0;

    public void Command(Invocation inv, Action<Result> done)
    {
        PoolCall? call = null;
        call = new PoolCall(_clock, inv, r =>
        {
            _inFlight.Remove(call!);
            done(r);
        }, OnCommandTimer);
        _inFlight.Add(call);
        if (_hold == Hold.Invocation && _bySocket.Values.FirstOrDefault(c => c.HeldBy == inv) is { } held)
        {
            held.HeldBy = null;
            Send(call, held); // the transaction's next statement, on its connection
            return;
        }
        Acquire(call);
    }

    // ---------------------------------------------------------------- acquiring and releasing

    private void Acquire(PoolCall cmd)
    {
        while (_free.Count > 0)
        {
            int at = _pool.Order == PoolOrder.Lifo ? _free.Count - 1 : 0;
            var c = _free[at];
            _free.RemoveAt(at);
            c.Idle.Cancel();
            if (Unusable(c))
            {
                Close(c);
                continue;
            }
            Send(cmd, c);
            return;
        }
        if (Size < _pool.Max)
        {
            Open(cmd);
            return;
        }
        if (_pool.QueueLimit is { } limit && _waiting.Count >= limit)
        {
            cmd.End(new Result(Outcome.Rejected, Origin.Library, null, new Cause(CauseKind.QueueLimit, Limit: limit)));
            return;
        }
        _waiting.Enqueue(cmd);
        if (_pool.AcquireTimeout is { } t)
            cmd.Arm(_clock.Now + t, PoolCall.Acquiring);
    }

    /// <summary>A free connection the library would not hand out: past its lifetime, idle too long
    /// (max idle checked on use), or, with validation, already closed by the peer as far as the
    /// process can tell.</summary>
    private bool Unusable(PooledConnection c) =>
        Expired(c)
        || (_spec.MaxIdle is { } maxIdle && _clock.Now - c.LastUsed > maxIdle)
        || (_spec.ValidateBeforeUse && (c.Socket.State != TcpState.Established || c.PeerClosed));

    /// <summary>Past the lifetime drawn for it when it opened.</summary>
    private bool Expired(PooledConnection c) => c.Lifetime is { } life && _clock.Now - c.Created >= life;

    private void Release(PooledConnection c)
    {
        c.Command = null;
        c.LastUsed = _clock.Now;
        if (Expired(c) || c.Generation != _generation)
        {
            Close(c);
            ServeWaiting();
            return;
        }
        if (_waiting.Count > 0)
        {
            var next = _waiting.Dequeue();
            next.Disarm();
            Send(next, c);
            return;
        }
        _free.Add(c);
        if (_pool.IdleTimeout is { } idle)
            c.IdleDeadline = _clock.Now + idle;
        if (_pool.IdleTimeout is not null && !_frozen)
            c.Idle.Set(c.IdleDeadline, ++c.IdleStamp);
    }

    /// <summary>A connection left the pool: the first waiter may open a new one.</summary>
    private void ServeWaiting()
    {
        if (_waiting.Count > 0 && Size < _pool.Max)
        {
            var next = _waiting.Dequeue();
            next.Disarm();
            Open(next);
        }
    }

    private void OnAcquireTimeout(PoolCall cmd)
    {
        if (!_waiting.Contains(cmd))
            return;
        var rest = _waiting.Where(w => w != cmd).ToArray();
        _waiting.Clear();
        foreach (var w in rest)
            _waiting.Enqueue(w);
        cmd.End(new Result(Outcome.ETIMEDOUT, Origin.LibraryTimeout, null,
            new Cause(CauseKind.AcquireTimeout, Timeout: _pool.AcquireTimeout, Limit: _pool.Max)));
    }

    // ---------------------------------------------------------------- connections

    /// <summary>The set-up cost is CPU time spent before the SYN leaves.</summary>
    private void Open(PoolCall cmd)
    {
        _opening++;
        cmd.Arm(_clock.Now + _drawSetup(), PoolCall.Opening);
    }

    private void OnSetUp(PoolCall cmd)
    {
        _opening--;
        if (_process.State == EnvironmentState.Destroyed)
            return;
        var socket = _process.Connect(_server, _socketOptions);
        _connections.Info(socket); // name the connection now: the server's side finds it by its addresses
        _process.Own(socket);
        var c = new PooledConnection(_clock, socket, OnIdleTimeout)
        {
            Command = cmd, Connecting = true, Lifetime = _pool.MaxLifetime is null ? null : _drawLifetime(), Generation = _generation,
        };
        _bySocket[socket] = c;
        cmd.Conn = c;
        if (_spec.ConnectTimeout is { } timeout)
            cmd.Arm(_clock.Now + timeout, PoolCall.Connecting);
        else
            cmd.Disarm();
    }

    private void Send(PoolCall cmd, PooledConnection c)
    {
        cmd.Conn = c;
        c.Command = cmd;
        c.Connecting = false;
        cmd.Received = 0;
        var sent = c.Socket.Send(_clock.Now, Wire.RequestBytes);
        if (!sent.IsOk)
        {
            Fail(cmd, SocketResults.SendFailed(_connections, c.Socket, sent.Errno, sent.Origin));
            return;
        }
        if (_spec.CommandTimeout is { } t)
            cmd.Arm(_clock.Now + t, PoolCall.Waiting);
        else
            cmd.Disarm();
    }

    /// <summary>The pool is cleared (the MongoDB driver's, after a failed check): idle connections close
    /// now, those in use when released.</summary>
    public void Clear()
    {
        _generation++;
        foreach (var c in _free.ToArray())
            Close(c);
    }

    private void Close(PooledConnection c)
    {
        _bySocket.Remove(c.Socket);
        _free.Remove(c);
        c.Idle.Cancel();
        _connections.Disown(c.Socket);
        if (c.Socket.State != TcpState.Closed && !c.Socket.Orphaned)
            c.Socket.Close(_clock.Now);
    }

    private void OnIdleTimeout(PooledConnection c, long stamp)
    {
        if (stamp != c.IdleStamp || !_free.Contains(c) || _frozen || _process.State == EnvironmentState.Destroyed)
            return;
        CloseIdle(c);
    }

    /// <summary>An idle connection's timer ran out: closed unless the pool would fall below its minimum
    /// (pg-pool 3.14.0 keeps it, timer spent).</summary>
    private void CloseIdle(PooledConnection c)
    {
        if (Size > _pool.Min)
            Close(c);
    }

    // ---------------------------------------------------------------- socket events and replies

    public void OnSocketEvent(TcpConnection socket, TcpEvent e)
    {
        if (!_bySocket.TryGetValue(socket, out var c))
            return;
        if (e.Kind is TcpEventKind.PeerClosed)
            c.PeerClosed = true;
        if (c.Command is not { } cmd)
        {
            // An idle connection: the library learns that it closed and drops it (pg-pool removes a
            // client on its 'error' and 'end' events; mysql2 on the connection's 'end').
            if (e.Kind is TcpEventKind.PeerClosed or TcpEventKind.Error)
                Close(c);
            return;
        }
        switch (e.Kind)
        {
            case TcpEventKind.Connected when c.Connecting:
                Send(cmd, c);
                break;
            case TcpEventKind.Readable:
            case TcpEventKind.PeerClosed:
            case TcpEventKind.Error:
                ReadReply(cmd, c);
                break;
        }
    }

    private void ReadReply(PoolCall cmd, PooledConnection c)
    {
        string label = _connections.Label(c.Socket);
        while (true)
        {
            var r = c.Socket.Read(_clock.Now);
            if (r.Bytes > 0)
            {
                cmd.Received += r.Bytes;
                if (SocketResults.ServerSaid(_connections, c.Socket) is { } said)
                {
                    Fail(cmd, said);
                    return;
                }
                if (cmd.Received >= Wire.ReplyBytes)
                {
                    cmd.Disarm();
                    if (_hold == Hold.Invocation && !cmd.Invocation.Finished)
                    {
                        c.Command = null;
                        c.HeldBy = cmd.Invocation; // the invocation keeps it until it ends
                    }
                    else
                    {
                        Release(c);
                    }
                    cmd.End(Result.Ok(label));
                    return;
                }
                continue;
            }
            if (r.Eof)
            {
                if (!c.Connecting)
                    Fail(cmd, new Result(Outcome.Eof, Origin.Fin, label, SocketResults.Explain(_connections, c.Socket, Outcome.Eof)));
                return;
            }
            if (r.Errno != Errno.None)
                Fail(cmd, SocketResults.Error(_connections, c.Socket, r.Errno, r.Origin, c.Connecting ? Syscall.Connect : Syscall.Read));
            return;
        }
    }

    private void OnCommandTimer(PoolCall cmd, long phase)
    {
        if (cmd.Ended)
            return;
        if (phase == PoolCall.Opening)
            OnSetUp(cmd);
        else if (phase == PoolCall.Acquiring)
            OnAcquireTimeout(cmd);
        else if (phase == PoolCall.Connecting && cmd.Conn is { Connecting: true } c)
            Fail(cmd, new Result(Outcome.ETIMEDOUT, Origin.LibraryTimeout, _connections.Label(c.Socket),
                new Cause(CauseKind.ConnectTimeout, Timeout: _spec.ConnectTimeout!.Value)));
        else if (phase == PoolCall.Waiting && cmd.Conn is { } w)
            Fail(cmd, new Result(Outcome.ETIMEDOUT, Origin.LibraryTimeout, _connections.Label(w.Socket),
                new Cause(CauseKind.CommandTimeout, _connections.IncidentOf(w.Socket), _spec.CommandTimeout!.Value)));
    }

    /// <summary>The command failed: its connection is closed (a library drops a connection that
    /// errored), a waiter may take its place, and the command is retried or ends.</summary>
    private void Fail(PoolCall cmd, Result r)
    {
        cmd.Disarm();
        if (cmd.Conn is { } c)
        {
            c.Command = null;
            Close(c);
            cmd.Conn = null;
        }
        ServeWaiting();
        if (!cmd.Invocation.Finished && cmd.Invocation.Retries < _spec.Retries && _spec.RetryOn.Contains(r.Outcome))
        {
            cmd.Invocation.Retries++;
            Acquire(cmd);
            return;
        }
        cmd.End(r);
    }

    // ---------------------------------------------------------------- the environment's lifecycle

    /// <summary>An invocation ended: the connections it held go back to the pool.</summary>
    public void Finished()
    {
        if (_hold != Hold.Invocation)
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

    public void Idle()
    {
    }

    public void Pause()
    {
    }

    /// <summary>The process stops: its timers stop with it, and keep their deadlines.</summary>
    public void Freeze()
    {
        _frozen = true;
        foreach (var c in _free)
            c.Idle.Cancel();
        foreach (var call in _inFlight)
            call.Pause(); // commands of an invocation that ended early (a failure ended it) go on after the thaw
    }

    /// <summary>The process runs again: idle timers whose deadlines passed fire now, before or after
    /// the handler's first command as the pool's setting says; the others fire at their deadlines.</summary>
    public void Thawed(bool beforeHandler)
    {
        if (!_frozen || beforeHandler != (_pool.OverdueTimers == OverdueTimers.BeforeHandler))
            return;
        _frozen = false;
        foreach (var call in _inFlight.ToArray())
            call.Resume(_clock.Now);
        if (_pool.IdleTimeout is null)
            return;
        foreach (var c in _free.ToArray())
        {
            if (c.IdleDeadline <= _clock.Now)
                CloseIdle(c);
            else
                c.Idle.Set(c.IdleDeadline, ++c.IdleStamp);
        }
    }

    public void CloseAll()
    {
        foreach (var c in _bySocket.Values.ToArray())
            Close(c); // the hook ends the pool cleanly: FIN on each
    }

    /// <summary>Init code that connects: one connection opens and waits free in the pool.</summary>
    public void ConnectInInit()
    {
        if (Size >= _pool.Max)
            return;
        var socket = _process.Connect(_server, _socketOptions);
        _connections.Info(socket);
        _process.Own(socket);
        var c = new PooledConnection(_clock, socket, OnIdleTimeout) { Lifetime = _pool.MaxLifetime is null ? null : _drawLifetime() };
        _bySocket[socket] = c;
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
