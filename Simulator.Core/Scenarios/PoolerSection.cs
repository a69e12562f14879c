using Zombiesim.Core.Poolers;

namespace Zombiesim.Core.Scenarios;

/// <summary>A server's `pooler` section: a pooler preset's row (<see cref="PoolerPresets"/>) with every key over it.</summary>
internal static class PoolerSection
{
    /// <summary>The section, or null when the server has none (<paramref name="present"/> false).</summary>
    internal static PoolerSpec? Read(Reader r, bool present)
    {
        string preset = r.Choice("preset", "pgbouncer",
            $"the pooler or proxy whose defaults apply: {string.Join(", ", PoolerPresets.Table.Names)} (values and sources in "
                + "docs/model.md)", PoolerPresets.Table.Names.ToDictionary(n => n));
        var d = PoolerPresets.Table[preset].Values;
        string? upstream = r.OptionalString("upstream", "the server (by name) the pooler connects to; required");
        var mode = r.Choice("mode", d.Mode,
            "session: a client keeps its server connection until it disconnects (PgBouncer's default); transaction: only for each "
                + "query or transaction (RDS Proxy, Hyperdrive)",
            new Dictionary<string, PoolMode> { ["session"] = PoolMode.Session, ["transaction"] = PoolMode.Transaction });
        int size = r.Int("defaultPoolSize", d.DefaultPoolSize, "server connections at most (PgBouncer default_pool_size: 20)", 1, 100_000);
        int? pct = r.OptionalInt("maxConnectionsPercent",
            "the pool's size as a percentage of the upstream's maxClients, in place of defaultPoolSize (RDS Proxy "
                + "MaxConnectionsPercent: 100)", 1, 100, d.MaxConnectionsPercent);
        int? idlePct = r.OptionalInt("maxIdleConnectionsPercent",
            "idle server connections serverIdleTimeout leaves open, as a percentage of the upstream's maxClients (RDS Proxy "
                + "MaxIdleConnectionsPercent: 50)", 0, 100, d.MaxIdleConnectionsPercent);
        int? maxClients = r.OptionalInt("maxClientConn",
            "client connections at most; one more is refused (PgBouncer max_client_conn: 100; 0: none)", 0, shownDefault: d.MaxClientConn);
        var serverIdle = r.OptionalDuration("serverIdleTimeout",
            "a server connection idle this long is closed (PgBouncer server_idle_timeout: 600s; 0s: never)", d.ServerIdleTimeout);
        var lifetime = r.OptionalDuration("serverLifetime",
            "a server connection this old is closed: when idle at once (PgBouncer's janitor), when linked at its release "
                + "(PgBouncer server_lifetime: 3600s; 0s: as PgBouncer's 0, each server connection is used once, closed when its "
                + "client or transaction releases it)", d.ServerLifetime);
        var clientIdle = r.OptionalDuration("clientIdleTimeout",
            "a client connection idle this long after its last reply is closed (PgBouncer client_idle_timeout: 0, off; RDS Proxy "
                + "IdleClientTimeout: 1800s; 0s: never)", d.ClientIdleTimeout);
        var wait = r.OptionalDuration("queryWaitTimeout",
            "a query waiting this long for a server connection fails and its client is closed (PgBouncer query_wait_timeout: 120s; "
                + "RDS Proxy ConnectionBorrowTimeout: 120s; 0s: never)", d.QueryWaitTimeout);
        bool pins = r.Bool("pinsSessionState", d.PinsSessionState,
            "a client that sets session state (functions[].sessionState) keeps its server connection until it disconnects (RDS Proxy)");
        if (r.SchemaOnly || !present)
            return null;
        if (upstream is null)
            throw r.Error("a pooler needs 'upstream': the name of the server it connects to, like upstream: db");
        if (pct is not null && r.Has("defaultPoolSize"))
            throw r.ErrorAt("maxConnectionsPercent", "give the pool's size once: 'defaultPoolSize' (connections) or "
                + "'maxConnectionsPercent' (of the upstream's maxClients), not both");
        static TimeSpan? Off(TimeSpan? given, TimeSpan? preset) => given is { } t ? (t == TimeSpan.Zero ? null : t) : preset;
        return new PoolerSpec
        {
            Preset = preset, Upstream = upstream, Mode = mode, DefaultPoolSize = size,
            MaxConnectionsPercent = pct ?? (r.Has("defaultPoolSize") ? null : d.MaxConnectionsPercent),
            MaxIdleConnectionsPercent = idlePct ?? d.MaxIdleConnectionsPercent,
            MaxClientConn = r.Has("maxClientConn") ? (maxClients > 0 ? maxClients : null) : d.MaxClientConn,
            ServerIdleTimeout = Off(serverIdle, d.ServerIdleTimeout), ServerLifetime = lifetime ?? d.ServerLifetime,
            ClientIdleTimeout = Off(clientIdle, d.ClientIdleTimeout), QueryWaitTimeout = Off(wait, d.QueryWaitTimeout),
            PinsSessionState = pins,
        };
    }
}
