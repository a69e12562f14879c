using System.Globalization;
using System.Text.RegularExpressions;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// The scenario's server as a process in the server's namespace, started before the timeline's zero: zombiesim's
/// built-in generic server, or the distribution's redis-server, PostgreSQL or MariaDB with the scenario's settings
/// mapped to their own (idle timeout, connection limit, server keepalive). PostgreSQL and MariaDB get a throwaway
/// cluster in a temporary directory, owned by the package's unprivileged user, with an ordinary login role
/// without a password (`zombiesim`: the model's clients are not superusers); disposing removes it. A scripted restart
/// (<see cref="Exit"/>, then <see cref="Listen"/>) kills the process and starts one made ready before the run, which
/// listens at once: the built-in server held before its listen, redis-server behind a shell waiting to exec it.
/// </summary>
public sealed partial class RealServer : IDisposable
{
    private readonly string[] _dataDirs;
    private readonly Queue<AgentProcess> _spares = new();
    private readonly List<AgentProcess> _exited = [];

    private readonly bool _builtIn;

    private RealServer(AgentProcess process, string? dataDir, bool builtIn = false, AgentProcess? database = null,
        string? databaseDir = null)
    {
        Process = process;
        _dataDirs = new[] { dataDir, databaseDir }.OfType<string>().ToArray();
        _builtIn = builtIn;
        Database = database;
    }

    /// <summary>The server process now (a restart replaces it): the one the functions connect to, the pooler when there
    /// is one.</summary>
    public AgentProcess Process { get; private set; }

    /// <summary>The database behind the pooler, in a namespace of its own; null without a pooler.</summary>
    public AgentProcess? Database { get; }

    /// <summary>Starts, ahead of the run, the processes of <paramref name="restarts"/> restarts, each waiting to listen.</summary>
    public void PrepareRestarts(VerifyPlan plan, RealWorld world, int restarts, TimeSpan startTimeout)
    {
        var s = plan.Scenario.Server;
        for (int i = 0; i < restarts; i++)
        {
            if (plan.ServerBinary is null)
            {
                var spare = AgentProcess.StartZombiesim(world.ServerNamespace, "server", new AgentSpec
                {
                    Port = s.Port, IdleTimeout = s.IdleTimeout, RequestsPerConnection = s.RequestsPerConnection, Hold = true,
                }.ToArgs());
                spare.WaitReady(startTimeout);
                _spares.Enqueue(spare);
            }
            else if (plan.ServerBinary == "redis-server")
            {
                string redis = ServerBinaries.Path("redis-server")!;
                _spares.Enqueue(AgentProcess.Start(world.ServerNamespace, "redis-server (restarted)", "sh",
                    ["-c", "read line && exec \"$0\" \"$@\"", redis, .. RedisArgs(s)]));
            }
            else
                throw new VerifyException($"verify cannot restart {plan.ServerBinary}");
        }
    }

    /// <summary>The process exits at once: its connections are closed, a FIN each, and its port has no listener. The
    /// built-in server shuts them down itself when told (<see cref="ServerAgent"/>), then is killed; redis-server is
    /// killed (SIGKILL), and its kernel closes them. Nothing waits for the process to be gone.</summary>
    public void Exit()
    {
        if (_builtIn)
        {
            Process.Send("exit");
            var until = System.Diagnostics.Stopwatch.StartNew();
            while (Process.Next(TimeSpan.FromSeconds(1)) is { } line && line != "exited" && until.Elapsed < TimeSpan.FromSeconds(1))
            {
            }
        }
        Libc.Signal(Process.Pid, Libc.SigKill);
        _exited.Add(Process);
    }

    /// <summary>The next process listens (a line on its stdin).</summary>
    public void Listen()
    {
        if (!_spares.TryDequeue(out var next))
            throw new VerifyException("a restart's server process was not prepared");
        next.Send("listen");
        Process = next;
    }

    /// <summary>What the client agent speaks to this server (<see cref="ClientProtocol.For"/>).</summary>
    /// <summary>What the client speaks to this kind of server: its wire protocol (HTTP/1.1 to an HTTP server); to the
    /// built-in generic server, HTTP/1.1 when the client library is an HTTP agent, else a command line.</summary>
    public static string ProtocolFor(ServerKindName kind, string library) => kind switch
    {
        ServerKindName.Postgres => "postgres",
        ServerKindName.MySql or ServerKindName.MariaDb => "mysql",
        ServerKindName.Http => "http",
        ServerKindName.Generic when library == "http-agent" => "http",
        _ => "line",
    };

    public static RealServer Start(VerifyPlan plan, RealWorld world, TimeSpan startTimeout)
    {
        var s = plan.Scenario.Server;
        if (plan.Pooler is { } pooler)
            return StartPooled(pooler, plan.Database, world);
        switch (plan.ServerBinary)
        {
            case null:
                var agent = AgentProcess.StartZombiesim(world.ServerNamespace, "server",
                    new AgentSpec { Port = s.Port, IdleTimeout = s.IdleTimeout, RequestsPerConnection = s.RequestsPerConnection }
                        .ToArgs());
                agent.WaitReady(startTimeout);
                return new RealServer(agent, null, builtIn: true);
            case "redis-server":
                return new RealServer(AgentProcess.Start(world.ServerNamespace, "redis-server", "redis-server", RedisArgs(s)), null);
            default:
                string dir = Path.Combine(Path.GetTempPath(), $"{world.Prefix}-{plan.ServerBinary}");
                try
                {
                    var process = plan.ServerBinary == "postgres"
                        ? PostgresServer.Start(s, dir, world.ServerNamespace)
                        : MariaDbServer.Start(s, dir, world);
                    return new RealServer(process, dir);
                }
                catch
                {
                    RemoveDirectory(dir);
                    throw;
                }
        }
    }

    /// <summary>PostgreSQL in the database's namespace, then PgBouncer in front of it in the server's.</summary>
    private static RealServer StartPooled(ServerSpec pooler, ServerSpec upstream, RealWorld world)
    {
        string dbDir = Path.Combine(Path.GetTempPath(), $"{world.Prefix}-postgres");
        string poolerDir = Path.Combine(Path.GetTempPath(), $"{world.Prefix}-pgbouncer");
        AgentProcess? database = null;
        try
        {
            database = PostgresServer.Start(upstream, dbDir, world.DatabaseNamespace);
            return new RealServer(PgBouncerServer.Start(pooler, upstream, poolerDir, world.ServerNamespace), poolerDir,
                database: database, databaseDir: dbDir);
        }
        catch
        {
            database?.Dispose();
            RemoveDirectory(dbDir);
            RemoveDirectory(poolerDir);
            throw;
        }
    }

    private static List<string> RedisArgs(ServerSpec s)
    {
        var args = new List<string>
        {
            "--port", s.Port.ToString(CultureInfo.InvariantCulture), "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "",
            "--appendonly", "no", "--daemonize", "no", "--dir", Path.GetTempPath(), "--loglevel", "warning",
            "--timeout", WholeSeconds(s.IdleTimeout), "--tcp-keepalive", WholeSeconds(s.KeepAlive),
        };
        if (s.MaxClients is { } max)
            args.AddRange(["--maxclients", max.ToString(CultureInfo.InvariantCulture)]);
        return args;
    }

    internal static string WholeSeconds(TimeSpan? t) => ((long)(t?.TotalSeconds ?? 0)).ToString(CultureInfo.InvariantCulture);

    /// <summary>The program's own version line (`postgres --version`), for the report.</summary>
    public static string Version(string program)
    {
        var (code, output, _) = Shell.Try(ServerBinaries.Path(program) ?? program, ["--version"]);
        return code == 0 ? output.Trim().Split('\n')[0] : program; // pgbouncer's next lines name its libraries
    }

    public void Dispose()
    {
        foreach (var p in _spares.Concat(_exited).Append(Process).Append(Database).OfType<AgentProcess>().Distinct())
            p.Dispose();
        foreach (var dir in _dataDirs)
            RemoveDirectory(dir);
    }

    /// <summary>Removes the directories earlier runs left (a crash, a kill -9): the throwaway instances' and PgBouncer's
    /// configuration, named with a run's prefix. Returns their names.</summary>
    public static IReadOnlyList<string> CleanUpLeftovers()
    {
        var ours = Directory.GetDirectories(Path.GetTempPath(), "zs*").Where(d => OurDirectory().IsMatch(Path.GetFileName(d))).ToList();
        foreach (var dir in ours)
            RemoveDirectory(dir);
        return ours.Select(d => Path.GetFileName(d)).ToList();
    }

    [GeneratedRegex("^zs[0-9a-f]{4}-(postgres|mariadbd|pgbouncer)$")]
    private static partial Regex OurDirectory();

    private static void RemoveDirectory(string dir)
    {
        for (int attempt = 0; attempt < 5 && Directory.Exists(dir); attempt++)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                Thread.Sleep(200); // a backend of the killed server was still writing
            }
        }
    }
}

/// <summary>Where the real servers' programs are: on PATH, or (PostgreSQL on Debian) in /usr/lib/postgresql/N/bin,
/// the highest N; and the Debian package that provides each.</summary>
public static class ServerBinaries
{
    public static string? Path(string program)
    {
        if (Shell.Which(program) is { } onPath)
            return onPath;
        if (!Directory.Exists("/usr/lib/postgresql"))
            return null;
        return Directory.GetDirectories("/usr/lib/postgresql")
            .Select(d => (Version: int.TryParse(System.IO.Path.GetFileName(d), out int v) ? v : -1,
                Bin: System.IO.Path.Combine(d, "bin", program)))
            .Where(x => x.Version >= 0 && File.Exists(x.Bin)).OrderByDescending(x => x.Version).Select(x => x.Bin).FirstOrDefault();
    }

    /// <summary>The programs a server needs besides itself, and the package of each.</summary>
    public static IReadOnlyList<(string Program, string Package)> Needed(string server) => server switch
    {
        "postgres" => [("postgres", "postgresql"), ("initdb", "postgresql"), ("setpriv", "util-linux")],
        "mariadbd" => [("mariadbd", "mariadb-server"), ("mariadb-install-db", "mariadb-server")],
        "pgbouncer" => [("pgbouncer", "pgbouncer"), .. Needed("postgres")],
        _ => [(server, server)],
    };
}
