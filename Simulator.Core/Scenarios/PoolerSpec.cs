namespace Zombiesim.Core.Scenarios;

/// <summary>When a pooler gives a client a server connection and takes it back: for the whole
/// client connection (PgBouncer's session pooling) or for each transaction (transaction pooling,
/// RDS Proxy's multiplexing, Hyperdrive).</summary>
public enum PoolMode { Session, Transaction }

/// <summary>
/// A pooler or proxy in front of a server (`servers[].pooler`): a preset's row
/// (<see cref="Poolers.PoolerPresets"/>) with the scenario's keys over it. It accepts the functions'
/// connections on its own host and port and runs their commands on a pool of its own connections to
/// <see cref="Upstream"/>. Names follow PgBouncer's settings; docs/model.md gives RDS Proxy's and
/// Hyperdrive's names for each.
/// </summary>
public sealed record PoolerSpec
{
    /// <summary>The preset the values came from.</summary>
    public string Preset { get; init; } = "pgbouncer";

    /// <summary>The server (by name) the pooler connects to.</summary>
    public required string Upstream { get; init; }
    public PoolMode Mode { get; init; }

    /// <summary>Server connections at most (PgBouncer default_pool_size), unless
    /// <see cref="MaxConnectionsPercent"/> sets it from the upstream's limit.</summary>
    public int DefaultPoolSize { get; init; } = 20;

    /// <summary>RDS Proxy: the pool's size as a percentage of the upstream's max_connections; null:
    /// <see cref="DefaultPoolSize"/>.</summary>
    public int? MaxConnectionsPercent { get; init; }

    /// <summary>RDS Proxy: idle server connections the idle timeout leaves open, as a percentage of the
    /// upstream's max_connections.</summary>
    public int? MaxIdleConnectionsPercent { get; init; }

    /// <summary>Client connections at most; one more is refused (PgBouncer max_client_conn); null: none.</summary>
    public int? MaxClientConn { get; init; }
    public TimeSpan? ServerIdleTimeout { get; init; }
    public TimeSpan? ServerLifetime { get; init; }
    public TimeSpan? ClientIdleTimeout { get; init; }

    /// <summary>How long a query waits for a server connection (PgBouncer query_wait_timeout, RDS Proxy
    /// ConnectionBorrowTimeout); null: for ever.</summary>
    public TimeSpan? QueryWaitTimeout { get; init; }

    /// <summary>Whether a client that sets session state is pinned to its server connection until it
    /// disconnects (RDS Proxy).</summary>
    public bool PinsSessionState { get; init; }

    /// <summary>The size of the pool against an upstream whose limit is <paramref name="upstreamMax"/> (max_connections).</summary>
    public int PoolSize(int? upstreamMax) => MaxConnectionsPercent is { } pct && upstreamMax is { } max
        ? Math.Max(1, max * pct / 100)
        : DefaultPoolSize;

    /// <summary>Idle server connections the idle timeout leaves open.</summary>
    public int MinIdle(int? upstreamMax) => MaxIdleConnectionsPercent is { } pct && upstreamMax is { } max ? max * pct / 100 : 0;
}
