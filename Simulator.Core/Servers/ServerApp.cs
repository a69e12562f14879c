using Zombiesim.Core.Connections;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Servers;

/// <summary>Who is at the other end of a server socket: the client environment at an address, and
/// its state (a zombie's environment is frozen or gone).</summary>
internal interface IPeers
{
    Peer? PeerAt(uint address);
}

/// <summary>
/// The server process: accepts connections up to its limits, answers each command after its
/// response time, closes idle connections (exactly, or in Redis's whole-second cron), evicts idle
/// ones above a soft limit and rejects at the hard limit. What it writes when it refuses or closes,
/// and how it answers a goodbye, is its <see cref="ServerKind"/>'s. The server forgets a connection
/// the moment it closes it; its kernel keeps the socket.
/// </summary>
internal sealed class ServerApp : IServerSide
{
    private readonly ServerSpec _spec;
    private readonly Clock _clock;
    private readonly ConnectionRegistry _connections;
    private readonly IRunObserver _observer;
    private readonly IPeers _peers;
    private readonly IChoices _response;
    private readonly Dictionary<TcpConnection, ServerConnection> _conns = new();
    private readonly ServerKind _kind;
    private readonly AcceptLoop _accept;
    private TcpConnection? _listener;
    private bool _down;
    private TimeSpan _startedAt; // when the process last started: the event scheduler's `time` runs from it
    private long _lastId; // the latest connection id given
    private bool _failedOver; // the node a failover took away: it never listens again
    private ServerReply? _readOnly; // a node demoted by a failover: what it answers to every write

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
        _kind = ServerKind.For(spec.Kind);
        _accept = new AcceptLoop(host, clock, spec.AcceptTime, Accept);
    }

    public string Name => _spec.Name;
    public TcpHost Host { get; }
    public long Rejections { get; private set; }
    public long Evictions { get; private set; }

    public Endpoint Endpoint => new(Host.Address, _spec.Port);

    /// <summary>Most are not busy: those are told without a lookup.</summary>
    public bool InUse(TcpConnection c) => c.Owner is ServerConnection { Busy: > 0 } && _conns.ContainsKey(c);

    public void Start()
    {
        if (_failedOver)
            return;
        _listener = Host.Listen(_spec.Port, _kind.Options(_spec), _spec.Backlog);
        _down = false;
        _startedAt = _clock.Now;
    }

    /// <summary>The process exits (its kernel closes every socket with FIN) and comes back after the downtime.</summary>
    public void Restart(TimeSpan until)
    {
        if (_down)
            return;
        Note($"restart: the process exits and listens again at {Instant.Format(until)}", NoteKind.Restart);
        foreach (var c in _conns.Values.OrderBy(c => c.Socket.Id).ToArray())
            CloseConn(c, IncidentKind.Restart);
        _accept.Drop();
        _listener?.Close(_clock.Now);
        _listener = null;
        _down = true;
        _clock.Schedule(until, Start);
    }

    /// <summary>A new established connection from the kernel's accept queue.</summary>
    private void Accept(TcpConnection socket)
    {
        var conn = new ServerConnection(this)
        {
            Socket = socket, Label = _connections.Label(socket), LastActivity = _clock.Now, Id = ++_lastId,
        };
        var refusal = _kind.Admit(_conns.Count, _spec);
        if (refusal is null && _spec.HardLimit is { } hard && _conns.Count >= hard)
            refusal = new Refusal(IncidentKind.RefusedHardLimit, "hard limit", hard, null); // Upstash: the model's own refusal
        if (refusal is { } r)
        {
            Refuse(socket, conn.Label, r);
            return;
        }
        _connections.Own(socket, conn);
        _conns[socket] = conn;
        if (_spec.AcceptTime > TimeSpan.Zero)
            ReadAfterAccept(conn);
        if (_spec.Tls is { } tls)
            conn.Handshake = new Tls.ServerHandshake(tls.Version);
        ArmIdle(conn);
        if (_spec.SoftLimit is { } soft && _conns.Count > soft)
            EvictIdle(soft);
    }

    /// <summary>Writes the kind's refusal, if it has one, and closes at once (Redis: acceptCommonHandler).</summary>
    private void Refuse(TcpConnection socket, string label, Refusal r)
    {
        Rejections++;
        r.Apply(socket, label, Host.Name, _clock.Now, _connections, _kind.RefusesSilently, Note); // MongoDB refuses without a word
    }

    /// <summary>What came before accept() is read once it returns.</summary>
    private void ReadAfterAccept(ServerConnection conn) =>
        _clock.Schedule(_clock.Now, () => OnEvent(conn, new TcpEvent(TcpEventKind.Readable)));

    internal void OnEvent(ServerConnection conn, TcpEvent e)
    {
        switch (e.Kind)
        {
            case TcpEventKind.Readable:
                var r = conn.Socket.Read(_clock.Now);
                if (r.Bytes <= 0 || !_conns.ContainsKey(conn.Socket))
                    return;
                int bytes = r.Bytes;
                if (conn.Handshake is { } handshake)
                {
                    conn.LastActivity = _clock.Now;
                    bytes = Consume(handshake, conn, bytes);
                    if (handshake.Done)
                        conn.Handshake = null;
                    if (bytes == 0)
                        return;
                }
                var (commands, quit) = Wire.Parse(bytes);
                conn.Busy += commands;
                conn.Quitting |= quit;
                conn.LastActivity = _clock.Now;
                CancelIdle(conn);
                for (int i = 0; i < commands; i++)
                    _clock.At(ReplyAt(conn), conn, ServerConnection.ReplyEvent);
                if (conn.Quitting && conn.Busy == 0)
                    Quit(conn);
                break;
            case TcpEventKind.PeerClosed:
                // The client went away cleanly: read returns 0 and the server closes its side, once it has
                // answered the commands it read before the end (Redis writes a reply before its next read
                // returns 0: readQueryFromClient, then beforeSleep's writes).
                if (!_conns.ContainsKey(conn.Socket))
                    break;
                if (conn.Busy > 0)
                    conn.PeerClosed = true;
                else
                    CloseAtEof(conn);
                break;
            case TcpEventKind.Error:
                if (_conns.Remove(conn.Socket))
                    CancelIdle(conn);
                break;
        }
    }

    /// <summary>The handshake takes its part of what was read and answers it; what is left is the client's commands.</summary>
    private int Consume(Tls.ServerHandshake handshake, ServerConnection conn, int bytes) =>
        handshake.Consume(bytes, n => conn.Socket.Send(_clock.Now, n));

    private void CloseAtEof(ServerConnection conn)
    {
        _conns.Remove(conn.Socket);
        CancelIdle(conn);
        conn.Socket.Read(_clock.Now);
        conn.Socket.Close(_clock.Now);
    }

    /// <summary>When the next reply is ready: after its response time, and for a server that serves one
    /// request at a time (HTTP/1.1), not before the reply ahead of it.</summary>
    private TimeSpan ReplyAt(ServerConnection conn)
    {
        var start = _kind.OneRequestAtATime && conn.FreeAt > _clock.Now ? conn.FreeAt : _clock.Now;
        conn.FreeAt = start + _spec.ResponseTime.SampleDuration(_response);
        return conn.FreeAt;
    }

    internal void Reply(ServerConnection conn)
    {
        if (!_conns.ContainsKey(conn.Socket))
            return;
        if (_kind.KeepsProcessList && conn.Socket.Tag is ConnectionInfo { Query: { } query } info)
        {
            info.Query = null;
            info.Answer = Answer(query, conn);
        }
        conn.Busy--;
        conn.Served++;
        conn.LastActivity = _clock.Now;
        if (_readOnly is not null)
            RefuseWrite(conn);
        var sent = conn.Socket.Send(_clock.Now, _readOnly is null ? Wire.ReplyBytes : Wire.RejectBytes);
        if (!sent.IsOk)
        {
            _conns.Remove(conn.Socket);
            return;
        }
        if (conn.Busy > 0)
            return;
        if (conn.Quitting)
            Quit(conn);
        else if (conn.PeerClosed)
            CloseAtEof(conn);
        else if (_spec.RequestsPerConnection is { } most && conn.Served >= most)
            CloseConn(conn, IncidentKind.RequestLimit, most); // nginx: the last response said "Connection: close"
        else
            ArmIdle(conn);
    }

    /// <summary>An administrative query, answered as the reply is written: the process list as it is now,
    /// or a KILL, which closes the connection at once (THD::awake shuts its socket down; an idle client
    /// gets no error packet, it reads EOF) and answers OK, or ER_NO_SUCH_THREAD for an id that is gone.</summary>
    private QueryAnswer Answer(ServerQuery query, ServerConnection by)
    {
        if (query is not KillQuery kill)
            return ProcessList.Read(query, _conns.Values, _clock.Now, _spec.EventScheduler ? _startedAt : null, _spec.MaxClients);
        var victim = _conns.Values.FirstOrDefault(c => c.Id == kill.Id);
        if (victim is null)
        {
            var error = ProcessList.NoSuchThread(kill.Id);
            Note($"answers KILL {kill.Id} on {by.Label}: \"{error}\"", NoteKind.Kill, by.Label);
            return new QueryAnswer(Error: error);
        }
        CloseConn(victim, IncidentKind.Killed, by: by.Label);
        return new QueryAnswer(Total: 1);
    }

    /// <summary>The client said goodbye: Redis answers +OK, then the server closes first (and holds the
    /// TIME_WAIT); MySQL's COM_QUIT and PostgreSQL's Terminate get no answer before the close.</summary>
    private void Quit(ServerConnection conn)
    {
        _conns.Remove(conn.Socket);
        CancelIdle(conn);
        if (_kind.RepliesToQuit)
            conn.Socket.Send(_clock.Now, Wire.QuitReplyBytes);
        conn.Socket.Close(_clock.Now);
    }

    private void ArmIdle(ServerConnection conn)
    {
        if (_spec.IdleTimeout is not { } idle)
            return;
        CancelIdle(conn);
        conn.IdleTimer = _clock.At(IdleClose.At(_spec.IdleCheck, conn.LastActivity, idle), conn, ServerConnection.IdleEvent);
    }

    private void CancelIdle(ServerConnection conn)
    {
        _clock.Cancel(ref conn.IdleTimer);
    }

    internal void IdleExpired(ServerConnection conn)
    {
        conn.IdleTimer = default;
        if (conn.Busy == 0 && _conns.ContainsKey(conn.Socket))
            CloseConn(conn, IncidentKind.IdleClose, _spec.SoftLimit, _kind.IdleReply(_spec), _kind.AbortsIdleClose);
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

    /// <summary>The server closes a connection, writing <paramref name="reply"/> first when its kind
    /// does (MySQL 4031, PostgreSQL 57P05): a client reading from it then reads that error; with
    /// <paramref name="abort"/> by a RST instead of a FIN (MariaDB's idle close); <paramref name="by"/> names the
    /// connection a KILL came over.</summary>
    private void CloseConn(ServerConnection conn, IncidentKind kind, int? limit = null, ServerReply? reply = null,
        bool abort = false, string? by = null)
    {
        _conns.Remove(conn.Socket);
        CancelIdle(conn);
        var peer = _peers.PeerAt(conn.Socket.Remote.Address);
        var incident = new Incident(_clock.Now, kind, IdleTimeout: _spec.IdleTimeout, Limit: limit ?? _spec.SoftLimit,
            Environment: peer?.Name, EnvironmentState: peer?.State, Reply: reply, By: by);
        _connections.Incident(conn.Socket, incident);
        Note($"closes {conn.Label}: {incident.What}", NoteKind.Close, conn.Label);
        if (reply is not null)
        {
            _connections.Info(conn.Socket).ServerError = incident;
            conn.Socket.Send(_clock.Now, Wire.RejectBytes);
        }
        if (abort)
            conn.Socket.Abort(_clock.Now);
        else
            conn.Socket.Close(_clock.Now);
    }

    /// <summary>A failover takes this node away at once: demoted, it keeps its connections and answers every
    /// write with its kind's read-only error; rebooted or gone, its connections vanish without a segment
    /// (what a client then sends is answered with RST, or lost), and it never listens again.</summary>
    public void FailOver(OldNode oldNode)
    {
        if (oldNode == OldNode.ReadOnly)
        {
            _readOnly = ReadOnlyReplies.For(_spec.Kind);
            Note($"failover: demoted to a read-only replica; writes get \"{_readOnly}\"", NoteKind.Failover);
            return;
        }
        bool gone = oldNode == OldNode.Gone;
        Note(gone ? "failover: the node is gone" : "failover: the node restarts and forgets its connections", NoteKind.Failover);
        foreach (var c in _conns.Values.OrderBy(c => c.Socket.Id).ToArray())
        {
            CancelIdle(c);
            var peer = _peers.PeerAt(c.Socket.Remote.Address);
            _connections.Incident(c.Socket, new Incident(_clock.Now, gone ? IncidentKind.NodeGone : IncidentKind.NodeRebooted,
                Environment: peer?.Name, EnvironmentState: peer?.State));
        }
        _conns.Clear();
        _accept.Drop();
        _listener = null;
        _down = _failedOver = true;
        if (gone)
            Host.Destroy();
        else
            Host.Reboot();
    }

    /// <summary>A demoted node's answer to a write: its read-only error, on a connection it keeps open.</summary>
    private void RefuseWrite(ServerConnection conn)
    {
        var peer = _peers.PeerAt(conn.Socket.Remote.Address);
        var incident = new Incident(_clock.Now, IncidentKind.Demoted, Environment: peer?.Name, EnvironmentState: peer?.State,
            Reply: _readOnly);
        _connections.Incident(conn.Socket, incident);
        _connections.Info(conn.Socket).ServerError = incident;
    }

    /// <summary>A note in the server's name (its host's: "server" unless `servers:` names it).</summary>
    private void Note(string text, NoteKind kind = NoteKind.Other, string? connection = null) =>
        _observer.OnNote(new NoteRecord(_clock.Now, Host.Name, text, kind, connection));

    public void OnAccepted(TcpConnection socket)
    {
        if (!_down)
            _accept.Arrived(socket);
        else
        {
            Host.Accept(socket);
            socket.Abort(_clock.Now);
        }
    }
}
