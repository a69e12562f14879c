using Zombiesim.Core.Connections;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Clients;

/// <summary>
/// A client library's connections, as a pool per process: pg-pool, mysql2's pool and the MongoDB driver
/// keep one of many, ioredis, node-redis and serverless-mysql's mysql2 connection a pool of one
/// (<see cref="ClientPresets.OneConnection"/>). A command acquires a free connection (the most recently
/// released first, as mysql2 and pg-pool do), or opens a new one while the pool is below its size, or waits
/// in a queue with an optional acquire timeout; after the reply the connection goes back to the pool, or,
/// when the pool keeps none (a connection per invocation), ends as <see cref="ClientSpec.Close"/> says.
/// Idle connections are closed by the library's own timers, which are user-space timers: they do not
/// run while the environment is frozen, and those overdue at the thaw run before or after the thawed
/// invocation's first command (<see cref="PoolSpec.OverdueTimers"/>). A connection older than its
/// maximum lifetime is closed instead of reused, or, with a lifetime timer, closed when its lifetime passes if it is
/// free (<see cref="PoolSpec.LifetimeRule"/>). A failed command is retried on a new connection after
/// the library's reconnect delay (<see cref="ClientSpec.Reconnect"/>); free connections are pinged
/// while the environment idles (<see cref="ClientSpec.PingInterval"/>).
/// </summary>
internal sealed partial class PooledClient : IClientLibrary
{
    private readonly ClientSpec _spec;
    private readonly PoolSpec _pool;
    private readonly Hold _hold;
    private readonly bool _keeps;
    private readonly IProcess _process;
    private readonly Clock _clock;
    private readonly ConnectionRegistry _connections;
    private readonly Endpoint _server;
    private readonly ConnectionDraws _draws;
    private readonly SocketOptions _socketOptions;
    private readonly Dictionary<TcpConnection, PooledConnection> _bySocket = new();
    private readonly List<PooledConnection> _free = new(); // idle connections, the most recently released last
    private readonly Queue<PoolCall> _waiting = new();
    private readonly HashSet<PoolCall> _inFlight = new(); // commands not yet ended, in any phase
    private int _calls; // numbers the calls
    private readonly HashSet<TcpConnection> _quitting = new(); // said QUIT; closed when the server's EOF arrives
    private readonly Alarm _ping;
    private readonly Action<PoolCall, long> _onTimer; // made once: a command allocates no delegate
    private readonly Action<PoolCall> _forget;
    private readonly Action<PooledConnection, long> _onIdle;
    private int _opening; // connections being set up (their SYN not yet sent) count toward the size
    private int _generation; // raised by Clear: a connection of an earlier generation is not reused
    private bool _frozen;
    private bool _keptFor; // an invocation kept a connection though the pool's hold is per command

    /// <param name="spec">The library's settings, its pool among them.</param>
    /// <param name="hold">Whether a connection is held for a command or for the invocation.</param>
    /// <param name="keeps">Whether a released connection waits in the pool for the next command; false: it ends
    /// after each command as <see cref="ClientSpec.Close"/> says (a connection per invocation).</param>
    /// <param name="process">The environment it runs in.</param>
    /// <param name="clock">Its timers.</param>
    /// <param name="connections">Where sockets are named and incidents kept.</param>
    /// <param name="server">Where it connects.</param>
    /// <param name="draws">What it draws for its connections.</param>
    public PooledClient(ClientSpec spec, Hold hold, bool keeps, IProcess process, Clock clock, ConnectionRegistry connections,
        Endpoint server, ConnectionDraws draws)
    {
        _spec = spec;
        _hold = hold;
        _keeps = keeps;
        _pool = spec.Pool!;
        _process = process;
        _clock = clock;
        _connections = connections;
        _server = server;
        _draws = draws;
        _socketOptions = SocketResults.Options(spec);
        _ping = new Alarm(clock, _ => OnPing());
        _onTimer = OnCommandTimer;
        _forget = call => _inFlight.Remove(call);
        _onIdle = OnIdleTimeout;
    }

    /// <summary>The connections the pool holds: open, connecting or idle.</summary>
    public int Size => _bySocket.Count + _opening;

    /// <summary>Connections kept between invocations; those of a pool that keeps none are not.</summary>
    public bool HoldsConnections => _keeps && _bySocket.Count > 0;

    public void Command(Invocation inv, Action<Result> done) => Start(inv, null, done);

    /// <summary>An administrative query as the invocation's next command (serverless-mysql's end() runs its queries
    /// through query()); <paramref name="done"/> gets the result and, when it succeeded, the server's answer.</summary>
    public void Query(Invocation inv, ServerQuery query, Action<Result, QueryAnswer?> done)
    {
        PoolCall? call = null;
        call = Start(inv, query, r => done(r, r.Outcome == Outcome.Ok ? call!.Answer : null));
    }

    private PoolCall Start(Invocation inv, ServerQuery? query, Action<Result> done)
    {
        var call = new PoolCall(_clock, inv, done, _onTimer, _forget) { Query = query, Number = ++_calls };
        _inFlight.Add(call);
        if (Holds(inv) && HeldFor(inv) is { } held)
        {
            held.HeldBy = null;
            Send(call, held); // the transaction's next statement, on its connection
            return call;
        }
        Acquire(call);
        return call;
    }

    /// <summary>The connection the invocation holds between its commands, if any (a loop: a lambda capturing the
    /// invocation would allocate its closure on every command, whether the invocation holds one or not).</summary>
    private PooledConnection? HeldFor(Invocation inv)
    {
        foreach (var c in _bySocket.Values)
            if (c.HeldBy == inv)
                return c;
        return null;
    }

    /// <summary>Whether the invocation keeps its connection between commands: a transaction, or a session a proxy pinned.</summary>
    private bool Holds(Invocation inv)
    {
        _keptFor |= inv.KeepsConnection;
        return _hold == Hold.Invocation || inv.KeepsConnection;
    }

    /// <summary>The invocation's caller went away: its commands still waiting for a connection are dropped
    /// (a pooler's client that disconnected).</summary>
    public void DropWaiting(Invocation inv)
    {
        if (_waiting.Count == 0)
            return;
        var rest = _waiting.ToArray();
        _waiting.Clear();
        foreach (var w in rest)
        {
            if (w.Invocation != inv)
            {
                _waiting.Enqueue(w);
                continue;
            }
            w.Drop();
            _inFlight.Remove(w);
        }
    }

    // ---------------------------------------------------------------- acquiring and releasing

    private void Acquire(PoolCall cmd)
    {
        while (_free.Count > 0)
        {
            int at = _pool.Order == PoolOrder.Lifo ? _free.Count - 1 : 0;
            var c = _free[at];
            _free.RemoveAt(at);
            c.CancelIdle();
            if (Unusable(c))
            {
                Close(c);
                continue;
            }
            if (_pool.Validate == PoolValidation.PrePing)
                Ping(cmd, c);
            else
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

    /// <summary>Past the lifetime drawn for it when it opened: by its age (at use), or as its lifetime timer found it.</summary>
    private bool Expired(PooledConnection c) =>
        LifetimeTimers ? c.LifeOver : c.Lifetime is { } life && _clock.Now - c.Created >= life;

    private void Release(PooledConnection c)
    {
        c.Command = null;
        c.LastUsed = _clock.Now;
        if (!_keeps)
        {
            End(c);
            ServeWaiting();
            return;
        }
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
            c.ArmIdle(c.IdleDeadline, ++c.IdleStamp);
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

    /// <summary>The set-up cost is CPU time spent before the SYN leaves, after <paramref name="delay"/> (a reconnect's).</summary>
    private void Open(PoolCall cmd, TimeSpan delay = default)
    {
        _opening++;
        cmd.Arm(_clock.Now + delay + _draws.Setup(), PoolCall.Opening);
    }

    private void OnSetUp(PoolCall cmd)
    {
        _opening--;
        if (_process.State == EnvironmentState.Destroyed)
            return;
        var socket = _process.Connect(_server, _socketOptions);
        _connections.Info(socket); // name the connection now: the server's side finds it by its addresses
        _process.Own(socket);
        var c = new PooledConnection(_clock, socket, _onIdle)
        {
            Command = cmd, Connecting = true, Lifetime = _pool.MaxLifetime is null ? null : _draws.Lifetime(), Generation = _generation,
        };
        _bySocket[socket] = c;
        StartLifetime(c);
        cmd.Conn = c;
        if (_spec.ConnectTimeout is { } timeout)
            cmd.Arm(_clock.Now + timeout, PoolCall.Connecting);
        else
            cmd.Disarm();
    }

    /// <summary>A pre-ping: one round trip on the free connection before the command goes on it, under the
    /// command's timeout.</summary>
    private void Ping(PoolCall cmd, PooledConnection c)
    {
        if (!Put(cmd, c, ping: true).IsOk)
            PingFailed(cmd, c);
        else if (_spec.CommandTimeout is { } t)
            cmd.Arm(_clock.Now + t, PoolCall.Waiting);
    }

    /// <summary>The ping found the connection dead: it is closed and the command acquires again (another free
    /// connection, or a new one); the command itself has not failed.</summary>
    private void PingFailed(PoolCall cmd, PooledConnection c)
    {
        cmd.Disarm();
        c.Command = null;
        c.Pinging = false;
        cmd.Conn = null;
        Close(c);
        Acquire(cmd);
    }

    private void Send(PoolCall cmd, PooledConnection c)
    {
        c.Connecting = false;
        var sent = Put(cmd, c, ping: false);
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

    /// <summary>The command takes the connection and a request goes out on it: the pre-ping's or its own. Behind an
    /// idle ping still on its way, the ping's reply comes first and is not the command's.</summary>
    private CallResult Put(PoolCall cmd, PooledConnection c, bool ping)
    {
        cmd.Conn = c;
        c.Command = cmd;
        c.Pinging = ping;
        cmd.Received = c.IdlePing ? c.PingReceived - Wire.ReplyBytes : 0;
        c.IdlePing = false;
        c.PingTimeout?.Cancel();
        if (!ping && cmd.Query is { } query)
            _connections.Info(c.Socket).Query = query;
        return c.Socket.Send(_clock.Now, Wire.RequestBytes);
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
        Forget(c);
        Discard(c.Socket);
    }

    private void OnIdleTimeout(PooledConnection c, long stamp)
    {
        if (stamp == PooledConnection.LifetimeStamp)
        {
            OnLifetime(c);
            return;
        }
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
}
