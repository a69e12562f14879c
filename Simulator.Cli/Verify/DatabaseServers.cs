using System.Globalization;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// A throwaway PostgreSQL cluster: `initdb` into <c>dir</c> as the `postgres` user with trust authentication (from any IPv4 address), an
/// ordinary login role made in single-user mode, then `postgres -D dir` in the server's namespace with the scenario's
/// settings (PostgreSQL docs, "Server Configuration": idle_session_timeout in milliseconds, 0 off; max_connections;
/// superuser_reserved_connections, the model's reserved slots (reserved_connections exists from 16 on and is 0 by
/// default); tcp_keepalives_idle, _interval and _count in seconds, 0 the kernel's). No replication slots, so that a
/// small max_connections is allowed; fsync off (a throwaway cluster).
/// </summary>
internal static class PostgresServer
{
    public static AgentProcess Start(ServerSpec s, string dir, string ns)
    {
        string postgres = Binary("postgres"), initdb = Binary("initdb");
        Shell.Run("setpriv", [.. AsPostgres, initdb, "-D", dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
        // initdb's trust covers local and loopback connections only; the environments come from 10.200.0.0/16
        File.AppendAllText(Path.Combine(dir, "pg_hba.conf"), "host all all 0.0.0.0/0 trust\n");
        var (code, _, error) = Shell.Try("setpriv", [.. AsPostgres, postgres, "--single", "-D", dir, "postgres"],
            $"CREATE ROLE {PostgresProtocol.User} LOGIN;\n");
        if (code != 0)
            throw new VerifyException($"postgres --single could not create the role {PostgresProtocol.User}: {error.Trim()}");
        string Seconds(TimeSpan? t) => RealServer.WholeSeconds(t);
        var settings = new List<string>
        {
            "listen_addresses=0.0.0.0", $"port={s.Port}", $"unix_socket_directories={dir}",
            $"idle_session_timeout={Math.Round(s.IdleTimeout?.TotalMilliseconds ?? 0).ToString(CultureInfo.InvariantCulture)}",
            $"max_connections={s.MaxClients ?? 100}", $"superuser_reserved_connections={s.ReservedConnections}",
            "max_wal_senders=0", "fsync=off", "shared_buffers=16MB",
            $"tcp_keepalives_idle={Seconds(s.KeepAlive)}", $"tcp_keepalives_interval={Seconds(s.KeepAliveInterval)}",
            $"tcp_keepalives_count={s.KeepAliveCount ?? 0}",
        };
        return AgentProcess.Start(ns, "postgres", "setpriv",
            [.. AsPostgres, postgres, "-D", dir, .. settings.SelectMany(x => new[] { "-c", x })]);
    }

    private static readonly string[] AsPostgres = ["--reuid=postgres", "--regid=postgres", "--init-groups"];

    private static string Binary(string program) =>
        ServerBinaries.Path(program) ?? throw new VerifyException($"{program} is not installed (apt-get install postgresql)");
}

/// <summary>
/// A throwaway MariaDB instance: `mariadb-install-db` into <c>dir</c> for the `mysql` user, then `mariadbd
/// --no-defaults` in the server's namespace with the scenario's settings (MariaDB server system variables:
/// wait_timeout in whole seconds; max_connections, one more kept for SUPER/CONNECTION ADMIN as in the model;
/// tcp_keepalive_time, _interval and _probes, set to the model's meaning of a server keepalive: the idle time, a third
/// of it, 3 probes), an init file that creates the ordinary user without a password, and no name resolution.
/// </summary>
internal static class MariaDbServer
{
    public static AgentProcess Start(ServerSpec s, string dir, RealWorld world)
    {
        Shell.Run("mariadb-install-db", "--no-defaults", $"--datadir={dir}", "--user=mysql", "--skip-test-db",
            "--auth-root-authentication-method=socket");
        string init = Path.Combine(dir, "zombiesim-init.sql");
        File.WriteAllText(init, $"CREATE USER IF NOT EXISTS '{MySqlProtocol.User}'@'%';\n");
        string wait = s.IdleTimeout is { } idle ? RealServer.WholeSeconds(idle) : "31536000"; // no idle close: its maximum
        var args = new List<string>
        {
            "--no-defaults", $"--datadir={dir}", "--user=mysql", $"--port={s.Port}", "--bind-address=0.0.0.0",
            $"--socket={Path.Combine(dir, "mariadb.sock")}", $"--pid-file={Path.Combine(dir, "mariadb.pid")}", "--skip-name-resolve",
            $"--init-file={init}", $"--wait-timeout={wait}", $"--max-connections={s.MaxClients ?? 151}",
            "--innodb-buffer-pool-size=16M", "--log-warnings=1",
        };
        if (s.KeepAlive is { } k)
        {
            long seconds = (long)k.TotalSeconds;
            args.AddRange([$"--tcp-keepalive-time={seconds}", $"--tcp-keepalive-interval={Math.Max(1, seconds / 3)}",
                "--tcp-keepalive-probes=3"]);
        }
        return AgentProcess.Start(world.ServerNamespace, "mariadbd", "mariadbd", args);
    }
}
