using Zombiesim.Core.Presets;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Servers;

/// <summary>What a server preset sets; a scenario's own keys override each value. <paramref name="Kind"/>
/// says what the values mean (Servers/Kinds); <paramref name="Reserved"/> are the slots an ordinary
/// client cannot take; <paramref name="IdleCloseReply"/> whether an idle close writes an error first;
/// <paramref name="RequestsPerConnection"/> the most requests one connection serves; <paramref name="EventScheduler"/>
/// whether MySQL's event scheduler thread is in its process list.</summary>
public sealed record ServerDefaults(ushort Port, TimeSpan? IdleTimeout, IdleCheck Check, int? MaxClients, TimeSpan? KeepAlive,
    ServerKindName Kind = ServerKindName.Generic, int Reserved = 0, bool IdleCloseReply = false, int? RequestsPerConnection = null,
    bool EventScheduler = false);

/// <summary>The server presets (`server.preset`), each with its source. docs/model.md shows this table.</summary>
public static class ServerPresets
{
    public static PresetTable<ServerDefaults> Table { get; } = new("server",
    [
        new("redis", new(6379, null, IdleCheck.Cron, 10000, TimeSpan.FromSeconds(300), ServerKindName.Redis),
            new(SourceKind.Doc,
                "redis.conf defaults (timeout 0, tcp-keepalive 300, maxclients 10000); src/networking.c acceptCommonHandler "
                    + "(\"-ERR max number of clients reached\", then close), src/timeout.c clientsCronHandleTimeout (whole seconds), "
                    + "src/anet.c anetKeepAlive (KEEPINTVL N/3, KEEPCNT 3); redis/redis 4f8cdc2a1 (2024-10-18); "
                    + "the cron measured on redis-server 7.0.15 (../shared/FACTS.md)"),
            "port 6379; no idle close; idle check in a whole-second cron; maxclients 10000 (error reply, then close); "
                + "keepalive 300 s, probes every 100 s, 3 probes; QUIT: +OK, the server closes first"),
        new("mongodb", new(27017, null, IdleCheck.Exact, null, null, ServerKindName.MongoDb),
            new(SourceKind.Doc,
                "MongoDB server: no server-side idle close; net.maxIncomingConnections depends on version and OS limits, "
                    + "so none by default; above it the connection is closed without a reply"),
            "port 27017; no idle close; no limit (set maxClients: closed without a reply)"),
        new("mysql", new(3306, TimeSpan.FromSeconds(28800), IdleCheck.Exact, 151, null, ServerKindName.MySql, IdleCloseReply: true,
                EventScheduler: true),
            new(SourceKind.Doc, "MySQL 8.0/8.4 reference manual, server system variables: wait_timeout 28800, max_connections 151 "
                + "(+1 kept for CONNECTION_ADMIN); error reference: 1040 Too many connections; 4031 ER_CLIENT_INTERACTION_TIMEOUT "
                + "written before an idle close since 8.0.24 (php-src ext/mysqli/tests/bug81335.phpt expects it); event_scheduler ON "
                + "by default since 8.0.3, its daemon thread listed in information_schema.PROCESSLIST"),
            "port 3306; idle close after 28800 s with error 4031; max 151 connections (error 1040, then close); the event "
                + "scheduler's thread in the process list"),
        new("mysql-5.7", new(3306, TimeSpan.FromSeconds(28800), IdleCheck.Exact, 151, null, ServerKindName.MySql),
            new(SourceKind.Doc, "MySQL 5.7 reference manual: wait_timeout 28800, max_connections 151, event_scheduler OFF; before "
                + "8.0.24 an idle close writes nothing (the client reads EOF: \"Lost connection\" / \"server has gone away\")"),
            "port 3306; idle close after 28800 s, silent; max 151 connections (error 1040, then close)"),
        new("mariadb", new(3306, TimeSpan.FromSeconds(28800), IdleCheck.Exact, 151, null, ServerKindName.MariaDb),
            new(SourceKind.Meas, "MariaDB 10.11.19 (Debian 12) under zombiesim verify (docs/verify.md): wait_timeout is the poll "
                + "timeout of the connection's read, in ms from the end of the last command; when it expires mariadbd writes no "
                + "error and closes with setsockopt SO_LINGER {1,0} (strace): a RST, no FIN; server system variables docs: "
                + "wait_timeout 28800, max_connections 151 (+1 for SUPER/CONNECTION ADMIN; mariadbd raises a value below 10 to 10), "
                + "error 1040 at the limit"),
            "port 3306; idle close after 28800 s by a RST, no reply; max 151 connections (error 1040, then close)"),
        new("postgres", new(5432, null, IdleCheck.Exact, 100, null, ServerKindName.Postgres, Reserved: 3, IdleCloseReply: true),
            new(SourceKind.Doc, "PostgreSQL 16/17 docs, runtime config: idle_session_timeout 0 (off; FATAL 57P05 when set), "
                + "max_connections 100, superuser_reserved_connections 3, reserved_connections 0 (FATAL 53300), "
                + "tcp_keepalives_* 0 (kernel values); src/backend/libpq/pqcomm.c pq_init sets SO_KEEPALIVE on every TCP connection"),
            "port 5432; no idle close; 97 connections for ordinary roles (FATAL 53300, then close); keepalive on with the kernel's "
                + "timers"),
        new("nginx", new(80, TimeSpan.FromSeconds(75), IdleCheck.Exact, null, null, ServerKindName.Http, RequestsPerConnection: 1000),
            new(SourceKind.Doc, "nginx 1.31.5 src/http/ngx_http_core_module.c: keepalive_timeout 75000 ms, keepalive_requests 1000"),
            "port 80; idle close 75 s after the last response; closes after 1000 requests; one request at a time"),
        new("node-http", new(80, TimeSpan.FromSeconds(5), IdleCheck.Exact, null, null, ServerKindName.Http),
            new(SourceKind.Doc, "Node.js http docs (v18-v22): server.keepAliveTimeout 5000 ms; v25 adds keepAliveTimeoutBuffer to it "
                + "(set idleTimeout to the sum)"),
            "port 80; idle close 5 s after the last response; one request at a time"),
        new("generic", new(6379, null, IdleCheck.Exact, null, null),
            new(SourceKind.Folk, "the model's neutral server: closes idle connections exactly at a timeout the scenario sets, no limits"),
            "port 6379; no idle close unless set (then exact); no limit"),
    ]);
}
