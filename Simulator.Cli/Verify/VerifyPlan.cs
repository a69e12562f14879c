using System.Globalization;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// What verify can build of a scenario, checked before anything is created, and the scenario as it runs: with
/// `--time-scale K` the scenario's own clocks are divided by K (traffic instants, the platform's freeze and reap
/// delays, the server's idle timeouts, a pooler's timeouts, the middlebox's idle timeout, the scripted events' instants,
/// the horizon), and kernel timers are not (RTO, tail-loss probes, orphan retries, tcp_fin_timeout, keepalive,
/// TIME_WAIT), nor are the client's own timeouts and ping interval, the cold start or the shutdown phase (the
/// platform's grace). The model then runs on the same scaled scenario, so both sides see the same clocks.
/// </summary>
public sealed record VerifyPlan(Scenario Scenario, double TimeScale, string? ServerBinary, MiddleboxSpec? Middlebox,
    IReadOnlyList<string> ScaledClocks)
{
    /// <summary>`--segments`: the model records its segments and the real run captures the server's (docs/verify.md).</summary>
    public bool Segments
    {
        get => _segments;
        init => _segments = value && Pooler is not null
            ? throw new VerifyException("verify cannot build: --segments with a pooler (the capture sees one server's port)")
            : value;
    }

    private readonly bool _segments;

    public long LatencyMicroseconds => (long)Math.Round(Fixed(Scenario.Network.Latency, "network.latency").TotalMicroseconds);

    public TimeSpan ColdStart => Fixed(Scenario.Platform.ColdStart, "platform.coldStart");

    /// <summary>The pooler the functions connect to (`servers[0].pooler`), or null when they connect to the server itself.</summary>
    public ServerSpec? Pooler => Scenario.Server.Pooler is null ? null : Scenario.Server;

    /// <summary>The real database: the pooler's upstream, or the scenario's server.</summary>
    public ServerSpec Database => DatabaseOf(Scenario);

    private static ServerSpec DatabaseOf(Scenario s) =>
        s.Server.Pooler is { } p ? s.Servers.First(x => x.Name == p.Upstream) : s.Server;

    public static VerifyPlan From(Scenario s, double timeScale)
    {
        if (!(timeScale >= 1) || double.IsInfinity(timeScale))
            throw new VerifyException($"--time-scale must be a number of at least 1, not {timeScale}");
        var refusals = new List<string>();
        void Refuse(bool when, string what)
        {
            if (when) refusals.Add(what);
        }
        foreach (var f in s.Functions)
        {
            Refuse(f.Strategy == Strategy.Proxy, $"function {f.Name}: strategy proxy");
            if (f.Client.Pool is { } pool)
            {
                Refuse(pool.Min > 0, $"function {f.Name}: pool min");
                Refuse(pool.QueueLimit > 0, $"function {f.Name}: pool queueLimit");
                Refuse(pool.MaxLifetime is not null, $"function {f.Name}: pool maxLifetime");
                Refuse(pool.Order == PoolOrder.Fifo, $"function {f.Name}: pool order fifo");
                Refuse(pool.Validate == PoolValidation.PrePing, $"function {f.Name}: pool validate pre-ping");
            }
            Refuse(f.Hold == Hold.Invocation || f.SessionState > 0, $"function {f.Name}: hold invocation or sessionState");
            Refuse(f.Client.Monitoring is not null || f.Client.Reconnect is not null || f.Client.ZombieKiller is not null,
                $"function {f.Name}: client monitoring, reconnect or zombieKiller");
            Refuse(f.Client.SetupCost is not (null or Constant), $"function {f.Name}: a setupCost distribution (a fixed value is fine)");
            Refuse(f.Work is not Constant, $"function {f.Name}: a work distribution (a fixed value is fine)");
        }
        Refuse(s.Events.Any(e => e.Kind == EventKind.Failover),
            "a scripted failover (partitions, redeploys and server restarts are built)");
        var db = DatabaseOf(s);
        Refuse(s.Events.Any(e => e.Kind == EventKind.ServerRestart)
                && s.Server.Kind is not (ServerKindName.Generic or ServerKindName.Http or ServerKindName.Redis),
            $"a serverRestart of {s.Server.Preset} (built for the built-in servers and redis-server)");
        if (s.Servers.Any(x => x.Pooler is not null))
            PoolerPlan.Refusals(s, refusals);
        else
            Refuse(s.Servers.Count > 1, "more than one server (servers[]: one is built)");
        Refuse(s.Server.Tls is not null, "server tls");
        Refuse(s.Server.AcceptTime > TimeSpan.Zero, "server acceptTime (the real server accepts at its own pace)");
        Refuse(s.Network.Middleboxes.Count > 1, "more than one middlebox");
        Refuse(s.Platform.InstanceConcurrency > 1, "platform.instanceConcurrency above 1");
        Refuse(s.Platform.Idle is IdleMode.Throttle or IdleMode.Suspend, $"platform.idle {s.Platform.Idle.ToString().ToLowerInvariant()}");
        Refuse(s.Platform.Snapshot is not null || s.Platform.Provisioned > 0, "platform.snapStart or provisioned");
        Refuse(s.Platform.PathMiddlebox is not null, "the platform's own middlebox on the path");
        Refuse(s.Platform.PoolHook || s.Platform.WaitUntil > TimeSpan.Zero || s.Platform.PerRequestSockets,
            "platform.poolHook, waitUntil or per-request sockets (Workers)");
        Refuse(s.Platform.ColdStart is not Constant, "a coldStart distribution (a fixed value is fine)");
        Refuse(s.Network.Latency is not Constant, "a latency distribution (a fixed value is fine)");
        string? binary = db.Kind switch
        {
            ServerKindName.Redis => "redis-server",
            ServerKindName.Postgres => "postgres",
            ServerKindName.MySql or ServerKindName.MariaDb => "mariadbd",
            ServerKindName.Generic or ServerKindName.Http => null,
            _ => Unsupported(refusals,
                $"server preset {db.Preset} (generic, redis, postgres, mysql, mariadb and HTTP servers are built)"),
        };
        Refuse(db.ResponseTime is not Constant { Value: <= 0.001 },
            "server.responseTime above 1 ms (the real servers answer as fast as they can)");
        if (s.Server.Pooler is null && s.Server.Kind is ServerKindName.Generic or ServerKindName.Http)
        {
            Refuse(s.Server.MaxClients is not null || s.Server.SoftLimit is not null || s.Server.HardLimit is not null,
                $"connection limits on the built-in {s.Server.Preset} server (use preset redis for maxclients)");
            Refuse(s.Server.KeepAlive is not null, $"server keepAlive on the built-in {s.Server.Preset} server");
        }
        else if (binary is not null)
            Refuse(db.SoftLimit is not null || db.HardLimit is not null, $"soft or hard limits on {db.Preset}");
        if (refusals.Count > 0)
            throw new VerifyException("verify cannot build: " + string.Join("; ", refusals));
        var scaled = timeScale == 1 ? s : Scale(s, timeScale);
        if (binary is "redis-server" or "mariadbd" && DatabaseOf(scaled).IdleTimeout is { } idle
            && idle.Ticks % TimeSpan.TicksPerSecond != 0)
            throw new VerifyException($"{db.Preset} takes its idle timeout in whole seconds; scaled by {timeScale} it is "
                + $"{idle.TotalSeconds} s");
        string[] clocks = timeScale == 1 ? [] :
        [
            "traffic instants", "platform.freeze.after", "platform.reap.after", "platform.maxLifetime", "server.idleTimeout",
            "server.evictIdleAfter", "network.middleboxes[].idleTimeout", "events[] instants and spans", "horizon",
            .. s.Server.Pooler is null ? Array.Empty<string>() : PoolerPlan.ScaledClocks,
        ];
        return new VerifyPlan(scaled with { Expect = [] }, timeScale, binary, scaled.Network.Middleboxes.FirstOrDefault(), clocks);
    }

    private static string? Unsupported(List<string> refusals, string what)
    {
        refusals.Add(what);
        return null;
    }

    private static Scenario Scale(Scenario s, double k)
    {
        TimeSpan T(TimeSpan t) => TimeSpan.FromTicks((long)Math.Round(t.Ticks / k));
        TimeSpan? Tn(TimeSpan? t) => t is { } v ? T(v) : null;
        Distribution D(Distribution d, string what) => d is Constant c
            ? new Constant(c.Value / k)
            : throw new VerifyException($"--time-scale needs a fixed value for {what}, not a distribution");
        return s with
        {
            Horizon = T(s.Horizon),
            Platform = s.Platform with
            {
                FreezeAfter = D(s.Platform.FreezeAfter, "platform.freeze.after"),
                ReapAfter = D(s.Platform.ReapAfter, "platform.reap.after"),
                MaxLifetime = s.Platform.MaxLifetime is { } m ? D(m, "platform.maxLifetime") : null,
            },
            Server = ScaleServer(s.Server, k),
            Servers = s.Servers.Select(x => ScaleServer(x, k)).ToList(),
            Network = s.Network with
            {
                Middleboxes = s.Network.Middleboxes
                    .Select(b => b with { Profile = b.Profile with { IdleTimeout = T(b.Profile.IdleTimeout) } }).ToList(),
            },
            Events = s.Events.Select(e => e with { At = T(e.At), Until = T(e.Until) }).ToList(),
            Traffic = s.Traffic.Select(t => t with
            {
                At = t.At.Select(a => D(a, "traffic at")).ToList(),
                Every = t.Every is { } e ? D(e, "traffic every") : null,
                From = T(t.From),
                Until = Tn(t.Until),
                BurstAt = T(t.BurstAt),
                BurstOver = T(t.BurstOver),
            }).ToList(),
        };
    }

    /// <summary>A server's idle clocks, and a pooler's timeouts, divided by <paramref name="k"/>.</summary>
    private static ServerSpec ScaleServer(ServerSpec x, double k)
    {
        TimeSpan T(TimeSpan t) => TimeSpan.FromTicks((long)Math.Round(t.Ticks / k));
        TimeSpan? Tn(TimeSpan? t) => t is { } v ? T(v) : null;
        return x with
        {
            IdleTimeout = Tn(x.IdleTimeout),
            EvictIdleAfter = T(x.EvictIdleAfter),
            Pooler = x.Pooler is { } p
                ? p with
                {
                    ServerIdleTimeout = Tn(p.ServerIdleTimeout),
                    ServerLifetime = Tn(p.ServerLifetime),
                    ClientIdleTimeout = Tn(p.ClientIdleTimeout),
                    QueryWaitTimeout = Tn(p.QueryWaitTimeout),
                }
                : null,
        };
    }

    private static TimeSpan Fixed(Distribution d, string what) => d is Constant c
        ? TimeSpan.FromSeconds(c.Value)
        : throw new VerifyException($"verify needs a fixed value for {what}");

    /// <summary>The scale as text for reports: "1" or "10".</summary>
    public string ScaleText => TimeScale.ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>An environment of the model's run, built as a namespace: its number (1, 2, ...), its name (hello#1) and its
/// function.</summary>
public sealed record EnvironmentPlan(int Index, string Name, FunctionSpec Function);
