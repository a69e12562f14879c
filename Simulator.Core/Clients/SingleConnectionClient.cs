using Zombiesim.Core.Connections;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Clients;

/// <summary>
/// A client library with one connection at a time, like ioredis: it caches the connection across
/// invocations (strategy reuse) or opens one per invocation and closes it after the reply, with a
/// connect timeout, an optional command timeout, retries on a new connection, an optional local
/// check and maximum idle time before reuse, and optional pings while the environment is idle.
/// </summary>
internal sealed class SingleConnectionClient : IClientLibrary
{
    private readonly ClientSpec _spec;
    private readonly bool _cache;
    private readonly IProcess _process;
    private readonly Clock _clock;
    private readonly ConnectionRegistry _connections;
    private readonly Endpoint _server;
    private readonly Func<TimeSpan> _drawSetup;
    private readonly Func<int, TimeSpan> _drawReconnect;
    private readonly SocketOptions _socketOptions;
    private readonly Alarm _connect, _connectTimeout, _commandTimeout, _ping;

    private TcpConnection? _cached;
    private TimeSpan _cachedLastUsed;
    private Invocation? _current;
    private Action<Result>? _done;
    private long _stamp; // the number of the latest invocation, stamped on the timers set for it
    private TcpConnection? _commandSocket;
    private TcpConnection? _quitting; // said QUIT; closed when the server's EOF arrives
    private bool _connecting, _pinging;
    private int _received;

    /// <param name="spec">The library's settings.</param>
    /// <param name="cache">Whether the connection is kept for the next invocation.</param>
    /// <param name="process">The environment it runs in.</param>
    /// <param name="clock">Its timers.</param>
    /// <param name="connections">Where sockets are named and incidents kept.</param>
    /// <param name="server">Where it connects.</param>
    /// <param name="drawSetup">The CPU time to set a connection up, drawn per connection.</param>
    /// <param name="drawReconnect">The library's delay before a reconnect attempt (from 1) to retry a command.</param>
    public SingleConnectionClient(ClientSpec spec, bool cache, IProcess process, Clock clock, ConnectionRegistry connections,
        Endpoint server, Func<TimeSpan> drawSetup, Func<int, TimeSpan> drawReconnect)
    {
        _spec = spec;
        _cache = cache;
        _process = process;
        _clock = clock;
        _connections = connections;
        _server = server;
        _drawSetup = drawSetup;
        _drawReconnect = drawReconnect;
        _socketOptions = SocketResults.Options(spec);
        _connect = new Alarm(clock, OnConnect);
        _connectTimeout = new Alarm(clock, OnConnectTimeout);
        _commandTimeout = new Alarm(clock, OnCommandTimeout);
        _ping = new Alarm(clock, OnPing);
    }

    public bool HoldsConnections => _cached is not null;

    private bool Live(long stamp) => _current is { } inv && inv.Owns(stamp);

    public void Command(Invocation inv, Action<Result> done)
    {
        _current = inv;
        _done = done;
        _stamp = inv.Number;
        if (_cache && _cached is { } c)
        {
            if (_spec.MaxIdle is { } maxIdle && _clock.Now - _cachedLastUsed > maxIdle)
                Discard(c);
            else if (_spec.ValidateBeforeUse && c.State != TcpState.Established)
                Discard(c); // a local check: a FIN or an error has already arrived
            else
            {
                SendCommand(inv, c);
                return;
            }
        }
        Connect();
    }

    /// <summary>The set-up cost is CPU time spent before the SYN leaves.</summary>
    private void Connect(TimeSpan delay = default) => _connect.Set(_clock.Now + delay + _drawSetup(), _stamp);

    private void OnConnect(long stamp)
    {
        if (Live(stamp) && _process.State != EnvironmentState.Destroyed)
            OpenConnection();
    }

    private void OpenConnection()
    {
        var socket = _process.Connect(_server, _socketOptions);
        _connections.Info(socket); // name the connection now: the server's side finds it by its addresses
        _process.Own(socket);
        _commandSocket = socket;
        _connecting = true;
        if (_cache)
        {
            _cached = socket;
            _cachedLastUsed = _clock.Now;
        }
        if (_spec.ConnectTimeout is { } timeout)
            _connectTimeout.Set(_clock.Now + timeout, _stamp);
    }

    private void OnConnectTimeout(long stamp)
    {
        if (Live(stamp) && _connecting && _commandSocket is { } connecting)
            Fail(_current, new Result(Outcome.ETIMEDOUT, Origin.LibraryTimeout, _connections.Label(connecting),
                new Cause(CauseKind.ConnectTimeout, Timeout: _spec.ConnectTimeout!.Value)));
    }

    private void OnCommandTimeout(long stamp)
    {
        if (_commandSocket is { } socket && !_connecting && (_pinging || Live(stamp)))
            Fail(_pinging ? null : _current, new Result(Outcome.ETIMEDOUT, Origin.LibraryTimeout, _connections.Label(socket),
                new Cause(CauseKind.CommandTimeout, _connections.IncidentOf(socket), _spec.CommandTimeout!.Value)));
    }

    private void CancelTimeouts()
    {
        _connectTimeout.Cancel();
        _commandTimeout.Cancel();
    }

    private void SendCommand(Invocation? inv, TcpConnection socket)
    {
        _commandSocket = socket;
        _connecting = false;
        // A ping still in flight when a command follows: its reply comes first and is not ours.
        _received = _pinging && inv is not null ? _received - Wire.ReplyBytes : 0;
        if (inv is not null)
            _pinging = false;
        var sent = socket.Send(_clock.Now, Wire.RequestBytes);
        if (!sent.IsOk)
        {
            Fail(inv, SocketResults.SendFailed(_connections, socket, sent.Errno, sent.Origin));
            return;
        }
        if (_spec.CommandTimeout is { } t)
        {
            CancelTimeouts();
            _commandTimeout.Set(_clock.Now + t, _stamp);
        }
    }

    public void OnSocketEvent(TcpConnection socket, TcpEvent e)
    {
        if (socket == _quitting)
        {
            AwaitServerClose(socket);
            return;
        }
        bool active = socket == _commandSocket && (_current is not null || _pinging);
        if (!active)
        {
            // Idle connection: the library learns that it closed and drops it (reconnects lazily).
            if (e.Kind is TcpEventKind.PeerClosed or TcpEventKind.Error)
                Discard(socket);
            return;
        }
        Invocation? inv = _pinging ? null : _current;
        switch (e.Kind)
        {
            case TcpEventKind.Connected when _connecting:
                CancelTimeouts();
                SendCommand(inv, socket);
                break;
            case TcpEventKind.Readable:
            case TcpEventKind.PeerClosed:
            case TcpEventKind.Error:
                ReadReply(inv, socket);
                break;
        }
    }

    private void ReadReply(Invocation? inv, TcpConnection socket)
    {
        string label = _connections.Label(socket);
        while (true)
        {
            var r = socket.Read(_clock.Now);
            if (r.Bytes > 0)
            {
                _received += r.Bytes;
                if (SocketResults.ServerSaid(_connections, socket) is { } said)
                {
                    Fail(inv, said);
                    return;
                }
                if (_received >= Wire.ReplyBytes)
                {
                    Succeed(inv, socket);
                    return;
                }
                continue;
            }
            if (r.Eof)
            {
                if (_connecting)
                    return;
                Fail(inv, new Result(Outcome.Eof, Origin.Fin, label, SocketResults.Explain(_connections, socket, Outcome.Eof)));
                return;
            }
            if (r.Errno != Errno.None)
            {
                Fail(inv, SocketResults.Error(_connections, socket, r.Errno, r.Origin, _connecting ? Syscall.Connect : Syscall.Read));
                return;
            }
            return; // nothing yet
        }
    }

    private void Succeed(Invocation? inv, TcpConnection socket)
    {
        CancelTimeouts();
        _commandSocket = null;
        if (inv is null)
        {
            _pinging = false;
            _cachedLastUsed = _clock.Now;
            Idle();
            return;
        }
        string label = _connections.Label(socket);
        if (!_cache && _spec.Close == CloseMode.Quit)
        {
            _quitting = socket; // the server answers and closes first: the TIME_WAIT is on its side
            socket.Send(_clock.Now, Wire.QuitBytes);
        }
        else if (!_cache)
        {
            _connections.Disown(socket);
            socket.Close(_clock.Now); // close() first: the client ends in TIME_WAIT
        }
        else
        {
            _cachedLastUsed = _clock.Now;
        }
        _done!(Result.Ok(label));
    }

    /// <summary>After QUIT: reads the server's answer, and closes when its EOF (or an error) arrives.</summary>
    private void AwaitServerClose(TcpConnection socket)
    {
        while (true)
        {
            var r = socket.Read(_clock.Now);
            if (r.Bytes > 0)
                continue;
            if (r.Eof || r.Errno != Errno.None)
            {
                _quitting = null;
                Discard(socket);
            }
            return;
        }
    }

    private void Fail(Invocation? inv, Result r)
    {
        CancelTimeouts();
        if (_commandSocket is { } s)
            Discard(s);
        _commandSocket = null;
        _connecting = false;
        if (inv is null)
        {
            _pinging = false; // a failed ping just drops the connection
            return;
        }
        if (inv.Retries < _spec.Retries && _spec.RetryOn.Contains(r.Outcome))
        {
            inv.Retries++;
            Connect(_drawReconnect(inv.Retries)); // the library's reconnect delay, then the command is sent again
            return;
        }
        _done!(r);
    }

    /// <summary>The library closes a connection it no longer trusts.</summary>
    private void Discard(TcpConnection socket)
    {
        if (_cached == socket)
            _cached = null;
        _connections.Disown(socket);
        if (socket.State != TcpState.Closed && !socket.Orphaned)
            socket.Close(_clock.Now);
    }

    public void Finished()
    {
        CancelTimeouts();
        _current = null;
        _commandSocket = null;
        _connecting = false;
    }

    public string? Abandon()
    {
        string? label = _commandSocket is null ? null : _connections.Label(_commandSocket);
        if (_commandSocket is { } s) Discard(s);
        if (_cached is { } c) Discard(c);
        return label;
    }

    /// <summary>Arms the next ping, when pings are on and a connection is cached.</summary>
    public void Idle()
    {
        if (_spec.PingInterval is not { } interval || _cached is null || !_cache)
            return;
        _ping.Cancel();
        _ping.Set(_clock.Now + interval, _stamp);
    }

    public void Pause() => _ping.Cancel();

    public void Freeze() => Pause();

    public void Thawed(bool beforeHandler)
    {
    }

    private void OnPing(long stamp)
    {
        if (_process.State == EnvironmentState.Idle && _cached is { } c && _current is null)
        {
            _pinging = true;
            SendCommand(null, c);
        }
    }

    public void CloseAll()
    {
        if (_cached is { } c)
            Discard(c); // the hook closes the connection cleanly: FIN
    }

    /// <summary>Init code that connects: the connection is cached before any command, and nothing is sent on it yet.</summary>
    public void ConnectInInit()
    {
        if (!_cache || _cached is not null)
            return;
        var socket = _process.Connect(_server, _socketOptions);
        _connections.Info(socket);
        _process.Own(socket);
        _cached = socket;
        _cachedLastUsed = _clock.Now;
    }
}
