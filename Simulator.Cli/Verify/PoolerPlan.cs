using Zombiesim.Core.Scenarios;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// What verify can build of a pooler: PgBouncer (the distribution's, 1.18 on Debian 12) as the first of `servers:`, the
/// one the functions connect to, in front of the real PostgreSQL its upstream names, each on a host of its own as the
/// model places them (docs/verify.md, "A pooler"). The rest is refused, each with its reason: the managed proxies,
/// settings PgBouncer has no equal of, and what the replay does not build around a pooler yet.
/// </summary>
public static class PoolerPlan
{
    /// <summary>The pooler's own clocks `--time-scale` divides, besides the server's.</summary>
    public static readonly string[] ScaledClocks =
    [
        "servers[].pooler.serverIdleTimeout", "servers[].pooler.serverLifetime", "servers[].pooler.clientIdleTimeout",
        "servers[].pooler.queryWaitTimeout",
    ];

    /// <summary>Adds to <paramref name="refusals"/> what verify cannot build of the scenario's pooler.</summary>
    public static void Refusals(Scenario s, List<string> refusals)
    {
        void Refuse(bool when, string what)
        {
            if (when) refusals.Add(what);
        }
        var poolers = s.Servers.Where(x => x.Pooler is not null).ToList();
        if (s.Servers.Count != 2 || poolers.Count != 1 || s.Servers[0].Pooler is null)
        {
            refusals.Add("servers[] other than a pooler first and its upstream second (one pooler and one database are built)");
            return;
        }
        var pooler = s.Servers[0];
        var p = pooler.Pooler!;
        var db = s.Servers[1];
        Refuse(p.Preset != "pgbouncer", $"pooler preset {p.Preset} (a managed proxy; PgBouncer is built: preset pgbouncer)");
        Refuse(db.Kind != ServerKindName.Postgres,
            $"a pooler in front of {db.Preset} (PgBouncer speaks PostgreSQL's protocol: its upstream must be preset postgres)");
        Refuse(p.MaxConnectionsPercent is not null || p.MaxIdleConnectionsPercent is not null,
            "pooler maxConnectionsPercent or maxIdleConnectionsPercent (RDS Proxy's; PgBouncer sizes its pool by defaultPoolSize)");
        Refuse(p.PinsSessionState, "pooler pinsSessionState (RDS Proxy's pinning; PgBouncer has none)");
        Refuse(p.MaxClientConn is null, "pooler maxClientConn 0 (none): PgBouncer's max_client_conn has no unlimited value");
        Refuse(p.ServerLifetime is null,
            "a pooler without serverLifetime: PgBouncer's server_lifetime has no 'never' (0 uses a server connection once)");
        Refuse(s.Functions.Any(f => f.Client.Server is { } name && name != pooler.Name),
            $"a function that connects to {db.Name} past the pooler (every function connects to {pooler.Name})");
        Refuse(s.Events.Count > 0, "scripted events with a pooler (a restart or a partition of the pooler's paths is not built)");
        Refuse(s.Network.Middleboxes.Count > 0, "a middlebox with a pooler (the router's namespace is not built beside the pooler's)");
        Refuse(pooler.Tls is not null || db.Tls is not null || db.AcceptTime > TimeSpan.Zero, "tls or acceptTime on the pooler's upstream");
    }
}
