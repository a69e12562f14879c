using Zombiesim.Core.Connections;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Servers;

/// <summary>Who is at the other end of a server socket: the client environment at an address, and
/// its state (a zombie's environment is frozen or gone).</summary>
internal interface IPeers
{
    (string Name, EnvironmentState State)? PeerAt(uint address);
}

/// <summary>
/// The server process (Redis, MongoDB, a SQL server, or a generic one): accepts connections up to
/// its limits, answers each command after its response time, closes idle connections (exactly, or
/// in Redis's whole-second cron), evicts idle ones above a soft limit and rejects at the hard limit.
/// The server forgets a connection the moment it closes it; its kernel keeps the socket.
/// </summary>
internal sealed class ServerApp
{
    /// <summary>A connection the server knows; also the handler of its own reply and idle events,
    /// so that a command schedules nothing that allocates.</summary>
    private sealed class Conn(ServerApp server) : IEventHandler
    {
        public const long ReplyEvent = 0, IdleEvent = 1;
        public required TcpConnection Socket;
        public required string Label;
        public TimeSpan LastActivity;
        public int Busy;
        public TimerHandle IdleTimer;

        public void OnEvent(long arg)
        {
            if (arg == ReplyEvent)
                server.Reply(this);
            else
                server.IdleExpired(this);
        }
    }

    private readonly ServerSpec _spec;
    private readonly Clock _clock;
    private readonly ConnectionRegistry _connections;
    private readonly IRunObserver _observer;
    private readonly IPeers _peers;
    private readonly IChoices _response;
    private readonly Dictionary<TcpConnection, Conn> _conns = new();
    private TcpConnection? _listener;
    private bool _down;

    public ServerApp(ServerSpec spec, TcpHost host, Clock clock, ConnectionRegistry connections, IRunObserver observer, IPeers peers,
        IChoices response)
    {
        _spec = spec;
        Host = host;
        _clock = clock;
        _connections = connections;
        _observer = observer;
        _peers = peers;
        _response = response;
    }

    public TcpHost Host { get; }
    public long Rejections { get; private set; }
    public long Evictions { get; private set; }

    public Endpoint Endpoint => new(Host.Address, _spec.Port);

    public bool InUse(TcpConnection c) => _conns.TryGetValue(c, out var conn) && conn.Busy > 0;

    public void Start()
    {
        var options = _spec.KeepAlive is { } k
            // Redis: interval = tcp-keepalive / 3, 3 probes
            ? new SocketOptions { KeepAlive = true, KeepIdle = k, KeepInterval = k / 3, KeepCount = 3 }
            : SocketOptions.Default;
        _listener = Host.Listen(_spec.Port, options);
        _down = false;
    }

    /// <summary>The process exits (its kernel closes every socket with FIN) and comes back after the downtime.</summary>
    public void Restart(TimeSpan until)
    {
        if (_down)
            return;
        Note($"restart: the process exits and listens again at {Instant.Format(until)}");
        foreach (var c in _conns.Values.OrderBy(c => c.Socket.Id).ToArray())
            CloseConn(c, IncidentKind.Restart);
        _listener?.Close(_clock.Now);
        _listener = null;
        _down = true;
        _clock.Schedule(until, Start);
    }

    /// <summary>A new established connection from the kernel's accept queue.</summary>
    private void Accept(TcpConnection socket)
    {
        var conn = new Conn(this) { Socket = socket, Label = _connections.Label(socket), LastActivity = _clock.Now };
        Incident? refusal = null;
        if (_spec.MaxClients is { } max && _conns.Count >= max)
            refusal = new Incident(_clock.Now, IncidentKind.RefusedMaxClients, Limit: max);
        else if (_spec.HardLimit is { } hard && _conns.Count >= hard)
            refusal = new Incident(_clock.Now, IncidentKind.RefusedHardLimit, Limit: hard);
        if (refusal is not null)
        {
            // Redis answers "-ERR max number of clients reached" and closes.
            Rejections++;
            _connections.Info(socket).Rejected = true;
            _connections.Incident(socket, refusal);
            Note($"rejects {conn.Label}: {refusal.Refusal}");
            socket.Send(_clock.Now, Wire.RejectBytes);
            socket.Close(_clock.Now);
            return;
        }
        _connections.Own(socket, e => OnEvent(conn, e));
        _conns[socket] = conn;
        ArmIdle(conn);
        if (_spec.SoftLimit is { } soft && _conns.Count > soft)
            EvictIdle(soft);
    }

    private void OnEvent(Conn conn, TcpEvent e)
    {
        switch (e.Kind)
        {
            case TcpEventKind.Readable:
                var r = conn.Socket.Read(_clock.Now);
                if (r.Bytes <= 0 || !_conns.ContainsKey(conn.Socket))
                    return;
                int commands = Math.Max(1, r.Bytes / Wire.RequestBytes);
                conn.Busy += commands;
                conn.LastActivity = _clock.Now;
                CancelIdle(conn);
                for (int i = 0; i < commands; i++)
                    _clock.At(_clock.Now + _spec.ResponseTime.SampleDuration(_response), conn, Conn.ReplyEvent);
                break;
            case TcpEventKind.PeerClosed:
                // The client went away cleanly: read returns 0 and the server closes its side.
                if (_conns.Remove(conn.Socket))
                {
                    CancelIdle(conn);
                    conn.Socket.Read(_clock.Now);
                    conn.Socket.Close(_clock.Now);
                }
                break;
            case TcpEventKind.Error:
                if (_conns.Remove(conn.Socket))
                    CancelIdle(conn);
                break;
        }
    }

    private void Reply(Conn conn)
    {
        if (!_conns.ContainsKey(conn.Socket))
            return;
        conn.Busy--;
        conn.LastActivity = _clock.Now;
        var sent = conn.Socket.Send(_clock.Now, Wire.ReplyBytes);
        if (!sent.IsOk)
        {
            _conns.Remove(conn.Socket);
            return;
        }
        if (conn.Busy == 0)
            ArmIdle(conn);
    }

    private void ArmIdle(Conn conn)
    {
        if (_spec.IdleTimeout is not { } idle)
            return;
        TimeSpan at = _spec.IdleCheck == IdleCheck.Exact
            ? conn.LastActivity + idle
            // Redis clientsCron: (now - lastinteraction) > maxidletime in whole seconds.
            : TimeSpan.FromSeconds(Math.Floor(conn.LastActivity.TotalSeconds) + Math.Floor(idle.TotalSeconds) + 1);
        CancelIdle(conn);
        conn.IdleTimer = _clock.At(at, conn, Conn.IdleEvent);
    }

    private void CancelIdle(Conn conn)
    {
        _clock.Cancel(ref conn.IdleTimer);
    }

    private void IdleExpired(Conn conn)
    {
        conn.IdleTimer = default;
        if (conn.Busy == 0 && _conns.ContainsKey(conn.Socket))
            CloseConn(conn, IncidentKind.IdleClose);
    }

    /// <summary>Upstash: above the soft limit, evict idle connections, longest idle first.</summary>
    private void EvictIdle(int soft)
    {
        var idle = _conns.Values
            .Where(c => c.Busy == 0 && _clock.Now - c.LastActivity >= _spec.EvictIdleAfter)
            .OrderBy(c => c.LastActivity).ThenBy(c => c.Socket.Id)
            .ToArray();
        foreach (var c in idle)
        {
            if (_conns.Count <= soft)
                break;
            Evictions++;
            CloseConn(c, IncidentKind.Eviction);
        }
    }

    private void CloseConn(Conn conn, IncidentKind kind)
    {
        _conns.Remove(conn.Socket);
        CancelIdle(conn);
        var peer = _peers.PeerAt(conn.Socket.Remote.Address);
        var incident = new Incident(_clock.Now, kind, IdleTimeout: _spec.IdleTimeout, Limit: _spec.SoftLimit, Environment: peer?.Name,
            EnvironmentState: peer?.State);
        _connections.Incident(conn.Socket, incident);
        Note($"closes {conn.Label}: {incident.What}");
        conn.Socket.Close(_clock.Now);
    }

    private void Note(string text) => _observer.OnNote(new NoteRecord(_clock.Now, "server", text));

    internal void OnAccepted(TcpConnection socket)
    {
        if (!_down)
            Accept(socket);
        else
            socket.Abort(_clock.Now);
    }
}
