using Zombiesim.Core.Connections;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Servers.Kinds;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Servers;

/// <summary>A new connection the server refuses: which limit, its name in the server's own words
/// (Redis `maxclients`, PostgreSQL `max_connections`), its value, and what the server writes before it
/// closes (null: it closes without a word).</summary>
internal readonly record struct Refusal(IncidentKind Kind, string LimitName, int Limit, ServerReply? Reply)
{
    /// <summary>Refuses an accepted socket of <paramref name="server"/>: the incident on it, the reply written
    /// unless the server refuses <paramref name="silently"/> (the client then reads EOF), the server's note, then
    /// the close.</summary>
    public void Apply(TcpConnection socket, string label, string server, TimeSpan now, ConnectionRegistry connections,
        bool silently, Action<string, NoteKind, string?> note)
    {
        var incident = new Incident(now, Kind, Limit: Limit, Reply: Reply, LimitName: LimitName, Server: server);
        connections.Incident(socket, incident);
        if (!silently)
        {
            connections.Info(socket).Rejected = true;
            socket.Send(now, Wire.RejectBytes);
        }
        note($"rejects {label}: {incident.Refusal}" + (Reply is null ? "" : $", replying \"{Reply}\""), NoteKind.Refusal, label);
        socket.Close(now);
    }
}

/// <summary>
/// One kind of server (Redis, MySQL, PostgreSQL, MongoDB, an HTTP server): how it refuses a
/// connection above its limit and what it writes then, what it writes before an idle close, how it
/// answers a client's goodbye (Redis QUIT, MySQL COM_QUIT, PostgreSQL Terminate), and the socket
/// options it sets on accepted connections. The values come from the scenario's
/// <see cref="ServerSpec"/>; the kind says what they mean. Sources in docs/model.md.
/// </summary>
internal abstract class ServerKind
{
    /// <summary>The kind a scenario's server is.</summary>
    public static ServerKind For(ServerKindName name) => name switch
    {
        ServerKindName.Redis => RedisKind.Instance,
        ServerKindName.MySql => MySqlKind.Instance,
        ServerKindName.MariaDb => MariaDbKind.Instance,
        ServerKindName.Postgres => PostgresKind.Instance,
        ServerKindName.MongoDb => MongoDbKind.Instance,
        ServerKindName.Http => HttpKind.Instance,
        _ => GenericKind.Instance,
    };

    /// <summary>Whether a new connection is refused while the server holds <paramref name="open"/>
    /// client connections; every client of the model is an ordinary (not a super) user.</summary>
    public virtual Refusal? Admit(int open, ServerSpec spec) =>
        spec.MaxClients is { } max && open >= max ? new Refusal(IncidentKind.RefusedMaxClients, LimitName, max, LimitReply) : null;

    /// <summary>The connection limit's name in the server's own words; the scenario's key for a server without one.</summary>
    protected virtual string LimitName => "maxClients";

    /// <summary>What the server writes to a connection it refuses at its limit (null: nothing).</summary>
    protected virtual ServerReply? LimitReply => null;

    /// <summary>Whether a refused connection is closed without a word (the client reads EOF).</summary>
    public virtual bool RefusesSilently => false;

    /// <summary>What the server writes before it closes an idle connection (null: nothing).</summary>
    public virtual ServerReply? IdleReply(ServerSpec spec) => null;

    /// <summary>Whether an idle close is abortive (SO_LINGER 0: a RST, no FIN), as MariaDB's is.</summary>
    public virtual bool AbortsIdleClose => false;

    /// <summary>What the server answers to the client's goodbye before it closes (null: it closes
    /// without a reply).</summary>
    public virtual bool RepliesToQuit => false;

    /// <summary>Whether the server keeps a process list a client can read and KILL from (MySQL).</summary>
    public virtual bool KeepsProcessList => false;

    /// <summary>Whether requests on one connection are served one after the other (HTTP/1.1).</summary>
    public virtual bool OneRequestAtATime => false;

    /// <summary>The socket options of accepted connections: server-side keepalive.</summary>
    public virtual SocketOptions Options(ServerSpec spec) => spec.KeepAlive is { } k
        // the model's neutral server: probes every third of the idle time, 3 probes
        ? new SocketOptions { KeepAlive = true, KeepIdle = k, KeepInterval = k / 3, KeepCount = 3 }
        : SocketOptions.Default;
}
