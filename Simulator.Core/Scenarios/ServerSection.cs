using Zombiesim.Core.Random;
using Zombiesim.Core.Network;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Poolers;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Scenarios;

/// <summary>A `server` section, or one of `servers:`: a preset's row (<see cref="ServerPresets"/>) with every key over
/// it, or a pooler in front of another server.</summary>
internal static class ServerSection
{
    internal static ServerSpec Read(Reader r)
    {
        string preset = r.Choice("preset", "generic",
            $"defaults for a kind of server: {string.Join(", ", ServerPresets.Table.Names)} (values and sources in docs/model.md)",
            ServerPresets.Table.Names.ToDictionary(k => k, k => k));
        var p = ServerPresets.Table[preset].Values;
        var port = r.OptionalInt("port", "the server's port (preset default)", 1, 65535);
        var idle = r.OptionalDuration("idleTimeout", "close connections idle this long (0s: never; preset default)");
        var check = r.OptionalChoice("idleCheck",
            "exact: at the timeout; cron: Redis's whole-second check, between N and N+1 s (preset default)",
            new Dictionary<string, IdleCheck> { ["exact"] = IdleCheck.Exact, ["cron"] = IdleCheck.Cron });
        var maxClients = r.OptionalInt("maxClients", "connections beyond this are refused with an error (Redis: 10000)", 1);
        var (soft, hard, evict) = r.Section("limits", "Upstash's soft and hard limits", l => (
            l.OptionalInt("soft", "above it, idle connections are evicted (new ones still accepted)", 1),
            l.OptionalInt("hard", "at it, new connections are rejected", 1),
            l.Duration("evictIdleAfter", TimeSpan.FromSeconds(1),
                "a connection counts as idle for eviction after this long without a command (FOLK)")));
        var keepAlive = r.OptionalDuration("keepAlive",
            "server-side SO_KEEPALIVE idle time; probes every third of it, 3 probes (Redis tcp-keepalive: 300s; 0s: off)");
        var keepInterval = r.OptionalDuration("keepAliveInterval",
            "postgres: tcp_keepalives_interval, time between probes (default: the kernel's tcp_keepalive_intvl)");
        var keepCount = r.OptionalInt("keepAliveCount", "postgres: tcp_keepalives_count, probes before giving up (default: the kernel's)",
            1, 127);
        var reserved = r.OptionalInt("reservedConnections",
            "slots of maxClients an ordinary client cannot take (postgres: superuser_reserved_connections + reserved_connections, "
                + "3 by default)", 0);
        var requests = r.OptionalInt("requestsPerConnection",
            "the most requests one connection serves, then the server closes it (nginx keepalive_requests: 1000)", 1);
        bool eventScheduler = r.Bool("eventScheduler", p.EventScheduler,
            "mysql: the event scheduler runs, its daemon thread a row of the process list whose time counts from the server's start "
                + "(preset default: on for mysql 8.0, off for mysql-5.7)");
        var response = r.Distribution("responseTime", new Constant(0.0001), "time to answer a command");
        var host = r.Section("host", "the server's kernel sysctls, Linux names", PartSections.ReadSysctls);
        var noSocket = r.Choice("noSocket", NoSocketPolicy.Reset,
            "what the server's host does with a segment for no socket: rst (RFC 9293) or drop (a DROP firewall policy)",
            new Dictionary<string, NoSocketPolicy> { ["rst"] = NoSocketPolicy.Reset, ["drop"] = NoSocketPolicy.Drop });
        bool hasPooler = r.Has("pooler");
        var pooler = r.Section("pooler", "a pooler or proxy in front of another server (PgBouncer, RDS Proxy, Hyperdrive) in place of "
            + "a server of its own; only with servers:", p => PoolerSection.Read(p, hasPooler));
        int backlog = r.Int("backlog", 511, "listen()'s backlog; the accept queue holds min(backlog, host.somaxconn) + 1 "
            + "(Redis tcp-backlog 511, nginx 511 on Linux; PostgreSQL 2 x max_connections)", 0, 65535);
        var acceptTime = r.Duration("acceptTime", TimeSpan.Zero,
            "what the accept loop spends on each new connection before it takes the next (FOLK; 0s: it keeps up with any rate)");
        var tls = r.Section("tls", "TLS on every connection: the handshake's round trips and the client's CPU in connection set-up",
            Tls.TlsSpec.Read);
        if (r.SchemaOnly)
            return null!;
        if (pooler is not null && ServerOnlyKeys.FirstOrDefault(r.Has) is { } serverKey)
            throw r.ErrorAt(serverKey, $"'{serverKey}' is a server's setting; a pooler's limits and timeouts are in its 'pooler' section "
                + "(maxClientConn, clientIdleTimeout, ...)");
        if (soft is { } s && hard is { } h && s > h)
            throw r.ErrorAt("limits", $"the soft limit ({s}) must not exceed the hard limit ({h})");
        int reservedSlots = reserved ?? p.Reserved;
        if ((maxClients ?? p.MaxClients) is { } m && reservedSlots >= m)
            throw r.ErrorAt(reserved is null ? "maxClients" : "reservedConnections",
                $"the reserved connections ({reservedSlots}) must be fewer than maxClients ({m})");
        return new ServerSpec
        {
            Preset = preset, Port = (ushort)(port ?? (pooler is null ? p.Port : PoolerPresets.Table[pooler.Preset].Values.Port)),
            Pooler = pooler,
            IdleTimeout = idle is { } i ? (i == TimeSpan.Zero ? null : i) : p.IdleTimeout,
            IdleCheck = check ?? p.Check, MaxClients = maxClients ?? p.MaxClients, SoftLimit = soft, HardLimit = hard,
            EvictIdleAfter = evict,
            KeepAlive = keepAlive is { } k ? (k == TimeSpan.Zero ? null : k) : p.KeepAlive,
            ResponseTime = response, Host = host, NoSocket = noSocket,
            Kind = p.Kind, ReservedConnections = reservedSlots, IdleCloseReply = p.IdleCloseReply,
            KeepAliveInterval = keepInterval, KeepAliveCount = keepCount, RequestsPerConnection = requests ?? p.RequestsPerConnection,
            EventScheduler = eventScheduler,
            Tls = r.Has("tls") ? tls : null, Backlog = backlog, AcceptTime = acceptTime,
        };
    }

    /// <summary>Keys of a server that a pooler does not have.</summary>
    private static readonly string[] ServerOnlyKeys =
    [
        "preset", "idleTimeout", "idleCheck", "maxClients", "limits", "keepAlive", "keepAliveInterval", "keepAliveCount",
        "reservedConnections", "requestsPerConnection", "responseTime",
    ];

    /// <summary>One of `servers:`: a server section with its name.</summary>
    internal static ServerSpec ReadNamed(Reader r)
    {
        string name = r.RequiredString("name", "the server's name: clients choose it with client.server; its host's name in traces");
        var spec = Read(r);
        return r.SchemaOnly ? null! : spec with { Name = name };
    }
}
