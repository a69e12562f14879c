using Zombiesim.Core.Clients;
using Zombiesim.Core.Connections;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Poolers;

/// <summary>
/// A pooler or proxy between the functions and a server (PgBouncer, RDS Proxy, Hyperdrive): it
/// accepts the functions' connections up to its client limit and runs each query on a connection
/// of its own pool to the server behind it, a <see cref="PooledClient"/> of its size, whose acquire
/// timeout is the pooler's query wait timeout, whose idle timeout and lifetime are its server idle
/// timeout and lifetime (PgBouncer's janitor closes an idle server connection past its lifetime: a lifetime
/// timer). In transaction mode a server connection goes back to the pool after each reply; in session
/// mode, or once a client that set session state is pinned, it stays with the client until the client disconnects.
/// Both sides are real sockets: the functions' connections end on the pooler's host, the pooler's own connections on
/// the server's.
/// </summary>
internal sealed class Pooler : IServerSide
{
    private readonly ServerSpec _spec;
    private readonly PoolerSpec _p;
    private readonly PoolerWords _words;
    private readonly Clock _clock;
    private readonly ConnectionRegistry _connections;
    private readonly IRunObserver _observer;
    private readonly IPeers _peers;
    private readonly Func<uint, double> _sessionState;
    private readonly IChoices _pinDraws;
    private readonly PooledClient _pool;
    private readonly bool _keepAlive;
    private readonly Dictionary<TcpConnection, PoolerSession> _sessions = new();

    /// <summary>A pooler as <paramref name="spec"/> describes it, on <paramref name="host"/>, in front of the server at
    /// <paramref name="upstream"/> whose connection limit (max_connections) is <paramref name="upstreamMax"/>, for a size given
    /// as a percentage of it; <paramref name="sessionState"/> gives the share of the connections from a client address that set
    /// session state, <paramref name="pinDraws"/> the draws that decide which do. The others are the world's parts it is handed
    /// (<paramref name="clock"/>, <paramref name="connections"/>, <paramref name="observer"/>, <paramref name="peers"/>).</summary>
    public Pooler(ServerSpec spec, TcpHost host, Endpoint upstream, int? upstreamMax, Clock clock, ConnectionRegistry connections,
        IRunObserver observer, IPeers peers, Func<uint, double> sessionState, IChoices pinDraws)
    {
        _spec = spec;
        _p = spec.Pooler!;
        var d = PoolerPresets.Table[_p.Preset].Values;
        _words = d.Words;
        _keepAlive = d.ServerKeepAlive;
        Host = host;
        _clock = clock;
        _connections = connections;
        _observer = observer;
        _peers = peers;
        _sessionState = sessionState;
        _pinDraws = pinDraws;
        PoolSize = _p.PoolSize(upstreamMax);
        var client = new ClientSpec
        {
            ConnectTimeout = d.ServerConnectTimeout, RetryOn = new HashSet<Outcome>(), KeepAlive = d.ServerKeepAlive ? TimeSpan.Zero : null,
            Pool = new PoolSpec
            {
                Max = PoolSize, Min = Math.Min(PoolSize, _p.MinIdle(upstreamMax)), AcquireTimeout = _p.QueryWaitTimeout,
                IdleTimeout = _p.ServerIdleTimeout,
                MaxLifetime = _p.ServerLifetime is { } life ? new Constant(life.TotalSeconds) : null, LifetimeRule = d.ServerLifetimeRule,
            },
        };
        var process = new PoolerProcess(spec.Name, host, connections, clock);
        var lifetime = _p.ServerLifetime ?? TimeSpan.Zero;
        _pool = new PooledClient(client, _p.Mode == PoolMode.Session ? Hold.Invocation : Hold.Command, keeps: true, process, clock,
            connections, upstream, new ConnectionDraws(() => TimeSpan.Zero, () => lifetime, _ => TimeSpan.Zero));
        process.Pool = _pool;
    }

    public string Name => _spec.Name;
    public TcpHost Host { get; }
    public Endpoint Endpoint => new(Host.Address, _spec.Port);
    public long Rejections { get; private set; }
    public long Evictions => 0;

    /// <summary>Server connections at most.</summary>
    public int PoolSize { get; }

    /// <summary>Client connections it holds now.</summary>
    public int Clients => _sessions.Count;

    /// <summary>Server connections its pool holds now: open, connecting or idle.</summary>
    public int ServerConnections => _pool.Size;

    /// <summary>Most are not busy: those are told without a lookup.</summary>
    public bool InUse(TcpConnection c) => c.Owner is PoolerSession { Busy: true } && _sessions.ContainsKey(c);

    /// <summary>PgBouncer sets SO_KEEPALIVE on accepted sockets as on its own (tcp_keepalive 1, the kernel's timers:
    /// src/sbuf.c:138 and :180 at 1.25.2).</summary>
    public void Start() => Host.Listen(_spec.Port, _keepAlive ? new SocketOptions { KeepAlive = true } : SocketOptions.Default);

    public void OnAccepted(TcpConnection socket)
    {
        string label = _connections.Label(socket);
        if (_p.MaxClientConn is { } max && _sessions.Count >= max)
        {
            Refuse(socket, label, max);
            return;
        }
        var session = new PoolerSession(this) { Socket = socket, Label = label, Session = new Invocation(_clock.Now, null) };
        _connections.Own(socket, session);
        _sessions[socket] = session;
        ArmIdle(session);
    }

    /// <summary>PgBouncer accepts, then writes its error and closes (src/client.c); a proxy without words only closes.</summary>
    private void Refuse(TcpConnection socket, string label, int max)
    {
        Rejections++;
        new Refusal(IncidentKind.RefusedMaxClients, "max_client_conn", max, _words.Full)
            .Apply(socket, label, _spec.Name, _clock.Now, _connections, silently: _words.Full is null, Note);
    }

    internal void OnEvent(PoolerSession session, TcpEvent e)
    {
        switch (e.Kind)
        {
            case TcpEventKind.Readable:
                var r = session.Socket.Read(_clock.Now);
                if (r.Bytes <= 0 || !_sessions.ContainsKey(session.Socket))
                    return;
                var (commands, quit) = Wire.Parse(r.Bytes);
                session.Queued += commands;
                session.Quitting |= quit;
                _clock.Cancel(ref session.IdleTimer);
                Next(session);
                break;
            case TcpEventKind.PeerClosed:
                if (_sessions.Remove(session.Socket))
                {
                    End(session);
                    session.Socket.Read(_clock.Now);
                    session.Socket.Close(_clock.Now);
                }
                break;
            case TcpEventKind.Error:
                if (_sessions.Remove(session.Socket))
                    End(session);
                break;
        }
    }

    /// <summary>The client's next query goes to the pool, one at a time; with none left the client is idle (or leaves).</summary>
    private void Next(PoolerSession session)
    {
        if (session.Busy)
            return;
        if (session.Queued == 0)
        {
            if (session.Quitting)
                Quit(session);
            else
                ArmIdle(session);
            return;
        }
        session.Queued--;
        session.Busy = true;
        if (!session.Decided)
        {
            session.Decided = true;
            if (_p.PinsSessionState && SetsSessionState(session))
            {
                session.Session.KeepsConnection = true;
                Note($"pins {session.Label} to its server connection: the client set session state", NoteKind.Pin, session.Label);
            }
        }
        _pool.Command(session.Session, r => Replied(session, r));
    }

    private bool SetsSessionState(PoolerSession session)
    {
        double share = _sessionState(session.Socket.Remote.Address);
        return share >= 1 || (share > 0 && _pinDraws.NextDouble() < share);
    }

    private void Replied(PoolerSession session, Result r)
    {
        if (!_sessions.ContainsKey(session.Socket))
            return; // the client left while its query ran
        session.Busy = false;
        if (r.Outcome != Outcome.Ok)
        {
            Fail(session, r);
            return;
        }
        if (!session.Socket.Send(_clock.Now, Wire.ReplyBytes).IsOk)
        {
            _sessions.Remove(session.Socket);
            End(session);
            return;
        }
        Next(session);
    }

    /// <summary>No server connection in time, or the one under the query failed: the pooler writes its
    /// error (the server's own, when it wrote one) and closes the client's connection.</summary>
    private void Fail(PoolerSession session, Result r)
    {
        if (r.Cause is { Kind: CauseKind.AcquireTimeout } waited)
            Close(session, IncidentKind.QueryWaitTimeout, _words.QueryWait, waited.Timeout, PoolSize);
        else
            Close(session, IncidentKind.UpstreamLost, r.Cause?.Incident?.Reply ?? _words.ServerLost);
    }

    /// <summary>Terminate: the pooler closes without a reply.</summary>
    private void Quit(PoolerSession session)
    {
        _sessions.Remove(session.Socket);
        End(session);
        session.Socket.Close(_clock.Now);
    }

    private void ArmIdle(PoolerSession session)
    {
        if (_p.ClientIdleTimeout is not { } idle)
            return;
        _clock.Cancel(ref session.IdleTimer);
        session.IdleTimer = _clock.At(_clock.Now + idle, session);
    }

    /// <summary>PgBouncer's client_idle_timeout spares a client linked to a server connection (src/janitor.c:
    /// session pooling after its first query); RDS Proxy's IdleClientTimeout closes pinned clients too.</summary>
    internal void ClientIdleExpired(PoolerSession session)
    {
        session.IdleTimer = default;
        if (session.Busy || session.Queued > 0 || !_sessions.ContainsKey(session.Socket)
            || (_p.Mode == PoolMode.Session && session.Decided))
            return;
        Close(session, IncidentKind.IdleClose, _words.ClientIdle, _p.ClientIdleTimeout);
    }

    private void Close(PoolerSession session, IncidentKind kind, ServerReply? reply, TimeSpan? timeout = null, int? limit = null)
    {
        _sessions.Remove(session.Socket);
        End(session);
        var peer = _peers.PeerAt(session.Socket.Remote.Address);
        var incident = new Incident(_clock.Now, kind, IdleTimeout: timeout, Limit: limit, Environment: peer?.Name,
            EnvironmentState: peer?.State, Reply: reply);
        _connections.Incident(session.Socket, incident);
        Note($"closes {session.Label}: {incident.What}", NoteKind.Close, session.Label);
        if (reply is not null)
        {
            _connections.Info(session.Socket).ServerError = incident;
            session.Socket.Send(_clock.Now, Wire.RejectBytes);
        }
        session.Socket.Close(_clock.Now);
    }

    /// <summary>The client is gone: its queries still waiting are dropped and a server connection it kept goes back to the pool.</summary>
    private void End(PoolerSession session)
    {
        _clock.Cancel(ref session.IdleTimer);
        session.Session.Finished = true;
        _pool.DropWaiting(session.Session);
        _pool.Finished();
    }

    private void Note(string text, NoteKind kind = NoteKind.Other, string? connection = null) =>
        _observer.OnNote(new NoteRecord(_clock.Now, _spec.Name, text, kind, connection));
}
