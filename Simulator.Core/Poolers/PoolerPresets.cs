using Zombiesim.Core.Observation;
using Zombiesim.Core.Presets;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Poolers;

/// <summary>What a pooler writes to a client before it closes the client's connection: at its client
/// limit, when a query waited too long for a server connection, after the client idled too long,
/// and when the server connection under a query failed (null: it closes without a word).</summary>
public sealed record PoolerWords(ServerReply? Full, ServerReply? QueryWait, ServerReply? ClientIdle, ServerReply? ServerLost);

/// <summary>What a pooler preset sets; a scenario's `pooler` keys override each value. The server-side
/// connect timeout and keepalive (on both sides' sockets, with the kernel's timers) and how the server lifetime is
/// enforced (<see cref="LifetimeRule"/>) are the preset's alone.</summary>
public sealed record PoolerDefaults(ushort Port, PoolMode Mode, int DefaultPoolSize, int? MaxConnectionsPercent,
    int? MaxIdleConnectionsPercent, int? MaxClientConn, TimeSpan? ServerIdleTimeout, TimeSpan? ServerLifetime,
    LifetimeRule ServerLifetimeRule, TimeSpan? ClientIdleTimeout, TimeSpan? QueryWaitTimeout, bool PinsSessionState,
    TimeSpan? ServerConnectTimeout, bool ServerKeepAlive, PoolerWords Words);

/// <summary>The pooler presets (`servers[].pooler.preset`), each with its source. docs/model.md shows this table.</summary>
public static class PoolerPresets
{
    private static readonly ServerReply QueryWait = new("ERROR 08P01", "query_wait_timeout");

    public static PresetTable<PoolerDefaults> Table { get; } = new("pooler",
    [
        new("pgbouncer", new(6432, PoolMode.Session, 20, null, null, 100, TimeSpan.FromSeconds(600), TimeSpan.FromSeconds(3600),
                LifetimeRule.Timer, null, TimeSpan.FromSeconds(120), false, TimeSpan.FromSeconds(15), true,
                new(new("ERROR 08P01", "no more connections allowed (max_client_conn)"), QueryWait,
                    new("ERROR 08P01", "client_idle_timeout"), new("ERROR 08P01", "server conn crashed?"))),
            new(SourceKind.Doc,
                "PgBouncer 1.25.2 (tag pgbouncer_1_25_2, 2026-05-08) src/main.c:274 client_idle_timeout 0, :286 default_pool_size 20, "
                    + ":296 listen_port 6432, :302 max_client_conn 100, :313 pool_mode session, :316 query_wait_timeout 120, "
                    + ":324 server_connect_timeout 15, :326 server_idle_timeout 600, :327 server_lifetime 3600, :350 tcp_keepalive 1 "
                    + "(both sides' sockets, src/sbuf.c:138 and :180); server_lifetime applied to an unused server connection by the "
                    + "janitor (src/janitor.c:524, `age >= server_lifetime`, every 1/3 s: :28) and at release (src/objects.c:1258-1262), "
                    + "age from the connection's launch (:1987); 0: a server connection is used once (doc/config.md:710-715); "
                    + "1.18.0 alike (src/janitor.c:456, src/objects.c:824-828); "
                    + "the words: src/client.c:1078, src/janitor.c:427 and :449, src/server.c:768 with src/objects.c:1329, "
                    + "SQLSTATE 08P01 (src/objects.c:1439)"),
            "port 6432; session pooling; 20 server connections; 100 clients (\"no more connections allowed (max_client_conn)\"); "
                + "server connections closed after 600 s idle or 3600 s of life (an idle one by the janitor, a linked one at its "
                + "release); queries wait 120 s (\"query_wait_timeout\"); "
                + "no client idle timeout"),
        new("rds-proxy", new(5432, PoolMode.Transaction, 20, 100, 50, null, null, null, LifetimeRule.AtUse, TimeSpan.FromSeconds(1800),
                TimeSpan.FromSeconds(120), true, null, false,
                new(null, new(null, "request to borrow a connection from the pool timed out"), null, null)),
            new(SourceKind.Doc,
                "AWS RDS user guide, \"RDS Proxy connection considerations\" (IdleClientTimeout 1,800 s) and \"Avoiding pinning an "
                    + "RDS Proxy\" (a session that changes session state is pinned until the client disconnects); RDS API reference "
                    + "ConnectionPoolConfiguration (ConnectionBorrowTimeout 120, MaxConnectionsPercent 100, MaxIdleConnectionsPercent "
                    + "50); read 2026-12-02. FOLK: when idle server connections close (no timer documented: set serverIdleTimeout), "
                    + "the borrow timeout's words (database-connection-pooling.com, 2026)"),
            "port 5432; multiplexing per transaction; pool 100% of the upstream's max_connections; idle clients closed after 1800 s; "
                + "a borrow waits 120 s; sessions that set session state are pinned"),
        new("hyperdrive", new(5432, PoolMode.Transaction, 20, null, null, null, TimeSpan.FromSeconds(600), null, LifetimeRule.AtUse, null,
                null, false,
                TimeSpan.FromSeconds(15), false, new(null, null, null, null)),
            new(SourceKind.Doc,
                "Cloudflare Hyperdrive docs, \"Connection pooling\" (transaction mode) and \"Limits\" (idle connection timeout 10 min, "
                    + "initial connection timeout 15 s, 10-20 origin connections per region), read 2026-12-02. FOLK: one region's pool "
                    + "of 20, no wait timeout and no pinning (undocumented)"),
            "port 5432; transaction pooling; 20 server connections (one region); server connections closed after 10 min idle"),
    ]);
}
