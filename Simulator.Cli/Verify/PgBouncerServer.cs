using System.Globalization;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// The distribution's PgBouncer as the scenario's pooler: a configuration file written for the run into <c>dir</c>
/// with the pooler's settings, then `pgbouncer` in the server's namespace as the `postgres` user (it refuses to run as
/// root), in the foreground, logging to stderr. The settings (PgBouncer's "Configuration", 1.18.0 as 1.25.2; their
/// defaults are the same in src/main.c of both): `pool_mode`, `default_pool_size`, `max_client_conn`,
/// `server_idle_timeout`, `server_lifetime`, `client_idle_timeout` and `query_wait_timeout` in seconds (0: off, a
/// fraction allowed), one database `postgres` at the upstream's address and port, `auth_type trust` with an
/// auth_file that lists the agent's user without a password; no Unix socket. The rest keep their defaults:
/// `tcp_keepalive` 1 with the kernel's timers, `server_connect_timeout` 15 s, `min_pool_size` and
/// `reserve_pool_size` 0.
/// </summary>
public static class PgBouncerServer
{
    public static AgentProcess Start(ServerSpec pooler, ServerSpec upstream, string dir, string ns)
    {
        string program = ServerBinaries.Path("pgbouncer")
            ?? throw new VerifyException("pgbouncer is not installed (apt-get install pgbouncer)");
        Directory.CreateDirectory(dir);
        string users = Path.Combine(dir, "userlist.txt"), ini = Path.Combine(dir, "pgbouncer.ini");
        File.WriteAllText(users, $"\"{PostgresProtocol.User}\" \"\"\n");
        File.WriteAllText(ini, Configuration(pooler, upstream, users));
        return AgentProcess.Start(ns, "pgbouncer", "setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", program, ini]);
    }

    /// <summary>The configuration file's text.</summary>
    public static string Configuration(ServerSpec pooler, ServerSpec upstream, string authFile)
    {
        var p = pooler.Pooler ?? throw new ArgumentException($"{pooler.Name} is not a pooler", nameof(pooler));
        static string Seconds(TimeSpan? t) => (t?.TotalSeconds ?? 0).ToString("0.######", CultureInfo.InvariantCulture);
        return string.Join('\n',
        [
            "[databases]",
            $"{PostgresProtocol.Database} = host={RealWorld.DatabaseAddress} port={upstream.Port} dbname={PostgresProtocol.Database}",
            "[pgbouncer]",
            "listen_addr = 0.0.0.0",
            $"listen_port = {pooler.Port}",
            "unix_socket_dir =",
            "logfile =",
            "pidfile =",
            "auth_type = trust",
            $"auth_file = {authFile}",
            $"pool_mode = {(p.Mode == PoolMode.Session ? "session" : "transaction")}",
            $"default_pool_size = {p.DefaultPoolSize}",
            $"max_client_conn = {p.MaxClientConn}",
            $"server_idle_timeout = {Seconds(p.ServerIdleTimeout)}",
            $"server_lifetime = {Seconds(p.ServerLifetime)}",
            $"client_idle_timeout = {Seconds(p.ClientIdleTimeout)}",
            $"query_wait_timeout = {Seconds(p.QueryWaitTimeout)}",
            "",
        ]);
    }
}
