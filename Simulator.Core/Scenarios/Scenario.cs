using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Random;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Scenarios;

public enum Strategy { Reuse, PerInvocation, Proxy }

public enum IdleCheck
{
    /// <summary>The connection is closed exactly when it has been idle for the timeout.</summary>
    Exact,
    /// <summary>Redis: a periodic cron compares whole seconds, so the close comes between N and N+1 s.</summary>
    Cron,
}

/// <summary>A scenario as read from YAML: every value with its default already applied.</summary>
public sealed record Scenario
{
    public required string Name { get; init; }
    public string? Description { get; init; }
    public ulong Seed { get; init; }
    public TimeSpan Horizon { get; init; }
    public required PlatformSpec Platform { get; init; }
    public required IReadOnlyList<FunctionSpec> Functions { get; init; }
    public required ServerSpec Server { get; init; }
    /// <summary>Every server, named (`servers:`); a scenario with `server:` has that one, named "server".
    /// <see cref="Server"/> is the first.</summary>
    public IReadOnlyList<ServerSpec> Servers
    {
        get => _servers ?? [Server];
        init => _servers = value;
    }
    private readonly IReadOnlyList<ServerSpec>? _servers;

    /// <summary>Every server node of a run: each server, then the standby of each failover, a copy of its server's
    /// section named <see cref="StandbyName"/>.</summary>
    public IReadOnlyList<ServerSpec> ServerNodes => Servers.Concat(Events.Where(e => e.Kind == EventKind.Failover)
        .Select(e => Servers.First(x => x.Name == (e.Server ?? Servers[0].Name)))
        .Select(x => x with { Name = StandbyName(x.Name) })).ToList();

    /// <summary>The hosts of the server nodes when there are several (<see cref="ServerNodes"/>); empty for one.</summary>
    public IReadOnlyList<string> ServerHosts => ServerNodes is { Count: > 1 } nodes ? nodes.Select(x => x.Name).ToList() : [];

    /// <summary>The name of the node a failover of <paramref name="server"/> promotes (its host's name).</summary>
    public static string StandbyName(string server) => $"{server}-standby";
    public required NetworkSpec Network { get; init; }
    public required IReadOnlyList<TrafficSpec> Traffic { get; init; }
    public required IReadOnlyList<EventSpec> Events { get; init; }
    public required IReadOnlyList<ExpectSpec> Expect { get; init; }
    public SearchSection? Search { get; init; }

    /// <summary>The document's identity as loaded, with its --set values
    /// (<see cref="ScenarioIdentity"/>); empty for a scenario built in code.</summary>
    public string Identity { get; init; } = "";
}

/// <summary>The scenario's `search:` section, as written; `zombiesim search` flags override it.</summary>
public sealed record SearchSection(
    IReadOnlyList<(string Path, IReadOnlyList<string> Values)> Vary,
    int? Replications,
    string? Goal,
    string? Objective,
    string? Strategy,
    int? MarginSteps);

public sealed record PlatformSpec
{
    public required Distribution FreezeAfter { get; init; }
    public FreezeMode FreezeMode { get; init; }
    public required Distribution ReapAfter { get; init; }
    public required Distribution ColdStart { get; init; }
    public bool ShutdownHook { get; init; }
    public Distribution? MaxLifetime { get; init; }
    public int Concurrency { get; init; }

    /// <summary>The preset the values came from (aws-lambda unless the scenario names one).</summary>
    public string Preset { get; init; } = PlatformPresets.Default;
    public IdleMode Idle { get; init; } = IdleMode.Freeze;
    public ExtensionKind Extensions { get; init; }
    /// <summary>How long an instance (its kernel included) lives on once its shutdown begins.</summary>
    public TimeSpan ShutdownPhase { get; init; }
    /// <summary>Environments per function initialised at 0 s, ahead of traffic, and never reaped.</summary>
    public int Provisioned { get; init; }
    /// <summary>SnapStart: environments restored from a snapshot taken after an init at 0 s; null: off.</summary>
    public SnapshotSpec? Snapshot { get; init; }
    /// <summary>With idle throttle: the share of a CPU user space gets outside requests.</summary>
    public double CpuFraction { get; init; }
    public int InstanceConcurrency { get; init; } = 1;
    public int? MaxInstances { get; init; }
    public TimeSpan QueueTimeout { get; init; }
    /// <summary>A box the platform puts on every path, before the scenario's own (network.middleboxes).</summary>
    public MiddleboxSpec? PathMiddlebox { get; init; }
    public bool PerRequestSockets { get; init; }
    /// <summary>With idle suspend: Vercel's attachDatabasePool, which keeps the instance running while the
    /// pool's idle timers are pending.</summary>
    public bool PoolHook { get; init; }
    /// <summary>With idle suspend: background work (waitUntil) that keeps the instance running this long after each request.</summary>
    public TimeSpan WaitUntil { get; init; }
    /// <summary>The most outbound connections one instance may hold; past it connect() fails with EACCES.</summary>
    public OutboundLimit Outbound { get; init; } = OutboundLimit.None;
}

/// <summary>SnapStart: how long a restore takes and which runtime hooks the function registered.</summary>
public sealed record SnapshotSpec(Distribution RestoreLatency, bool BeforeCheckpointCloses, bool AfterRestoreReconnects);

public sealed record FunctionSpec
{
    public required string Name { get; init; }
    public int Memory { get; init; }
    public TimeSpan Timeout { get; init; }
    public Strategy Strategy { get; init; }
    public string? Proxy { get; init; }
    public TimeSpan ProxyInvokeLatency { get; init; }
    public int? ReservedConcurrency { get; init; }
    public required Distribution Work { get; init; }
    public required ClientSpec Client { get; init; }
    public required Sysctls Host { get; init; }

    /// <summary>Commands each invocation sends at once (1: one command).</summary>
    public int Parallel { get; init; } = 1;

    /// <summary>Rounds of commands one after another, with <see cref="Between"/> of work between two.</summary>
    public int Commands { get; init; } = 1;
    public Distribution Between { get; init; } = new Constant(0);

    /// <summary>Whether a pooled connection is held for a command or for the whole invocation.</summary>
    public Hold Hold { get; init; }

    /// <summary>The share of the function's connections on which its code sets session state at the first
    /// command (SET, a prepared statement, a temporary table): a proxy that pins on it keeps their server connections.</summary>
    public double SessionState { get; init; }

    /// <summary>Whether the function's init code connects (a client created and connected outside the handler).</summary>
    public bool ConnectInInit { get; init; }
}

/// <summary>How long a handler keeps a pooled connection: each command, or the whole invocation (a transaction).</summary>
public enum Hold { Command, Invocation }

/// <summary>A client library's settings: a preset row (<see cref="Clients.ClientPresets"/>) with the function's own keys over it.</summary>
public sealed record ClientSpec
{
    /// <summary>The library (its preset's name): how it words its errors.</summary>
    public string Library { get; init; } = Clients.ClientPresets.Default;

    /// <summary>The library's connect timeout; null: none (the kernel's SYN retries decide).</summary>
    public TimeSpan? ConnectTimeout { get; init; }
    public TimeSpan? CommandTimeout { get; init; }
    public int Retries { get; init; }
    public required IReadOnlySet<Outcome> RetryOn { get; init; }
    public bool ValidateBeforeUse { get; init; }
    public TimeSpan? MaxIdle { get; init; }
    /// <summary>SO_KEEPALIVE with this TCP_KEEPIDLE; zero: on, with the host's tcp_keepalive_time
    /// (Node's setKeepAlive(true, 0)); null: off.</summary>
    public TimeSpan? KeepAlive { get; init; }
    public TimeSpan? UserTimeout { get; init; }
    public TimeSpan? PingInterval { get; init; }
    public Distribution? SetupCost { get; init; }

    /// <summary>A connection pool per environment; null: one connection (cached or per invocation).</summary>
    public PoolSpec? Pool { get; init; }

    /// <summary>How a per-invocation connection ends: the client closes first, or says goodbye (QUIT) and lets the server close.</summary>
    public CloseMode Close { get; init; } = CloseMode.Close;

    /// <summary>Which of the scenario's `servers:` the library talks to; null: the first.</summary>
    public string? Server { get; init; }

    /// <summary>The driver's monitor of the server (MongoDB); null: none.</summary>
    public MonitorSpec? Monitoring { get; init; }

    /// <summary>How long the library waits before it reconnects to retry a command; null: at once.</summary>
    public ReconnectSpec? Reconnect { get; init; }

    /// <summary>serverless-mysql's connection management at end(); null: none.</summary>
    public ZombieKillerSpec? ZombieKiller { get; init; }
}

/// <summary>serverless-mysql's connection management (2.1.0 index.js:477-488): at end(), above
/// <see cref="ConnUtilization"/> of the server's limit it kills connections asleep for the longest
/// time seen, clamped to [<see cref="ZombieMinTimeout"/>, <see cref="ZombieMaxTimeout"/>], or quits its own;
/// a connect refused as "Too many connections" is tried again up to <see cref="MaxRetries"/> times after
/// a full-jitter backoff, uniform in whole milliseconds [0, min(cap, base x 2^n)].</summary>
public sealed record ZombieKillerSpec
{
    /// <summary>Whether end() manages connections at all (serverless-mysql manageConns).</summary>
    public bool ManageConns { get; init; } = true;
    public double ConnUtilization { get; init; } = 0.8;
    public TimeSpan ZombieMinTimeout { get; init; } = TimeSpan.FromSeconds(3);
    public TimeSpan ZombieMaxTimeout { get; init; } = TimeSpan.FromSeconds(900);
    /// <summary>How long the server's limit is cached before end() asks again.</summary>
    public TimeSpan MaxConnsFreq { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>How long the count of connections is cached before end() asks again.</summary>
    public TimeSpan UsedConnsFreq { get; init; }
    public int MaxRetries { get; init; } = 50;
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromMilliseconds(2);
    public TimeSpan BackoffCap { get; init; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>Whether a reconnect delay grows with the attempt (n x base) or doubles (2^(n-1) x base).</summary>
public enum Growth { Linear, Exponential }

/// <summary>A library's reconnect delay: for attempt n (from 1), min(growth(n) x base, cap) plus a uniform
/// jitter in [0, jitter).</summary>
public sealed record ReconnectSpec
{
    public TimeSpan Base { get; init; } = TimeSpan.FromMilliseconds(50);
    public TimeSpan Cap { get; init; } = TimeSpan.FromSeconds(2);
    public Growth Growth { get; init; } = Growth.Linear;
    public TimeSpan Jitter { get; init; }

    /// <summary>The delay before attempt <paramref name="attempt"/>, with <paramref name="unit"/> in [0, 1) for the jitter.</summary>
    public TimeSpan Delay(int attempt, double unit)
    {
        double factor = Growth == Growth.Linear ? attempt : Math.Pow(2, Math.Min(attempt - 1, 40));
        double ticks = Math.Min(Base.Ticks * factor, Cap.Ticks);
        return TimeSpan.FromTicks((long)Math.Round(ticks + Jitter.Ticks * unit));
    }
}

/// <summary>A driver's server monitor in polling mode: a hello on its own connection every heartbeat,
/// and how long a command waits for a server the monitor does not know.</summary>
public sealed record MonitorSpec
{
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan MinHeartbeat { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan ServerSelectionTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>How a client ends a connection: close() first (the client holds the TIME_WAIT), or the
/// protocol's goodbye (Redis QUIT, MySQL COM_QUIT, PostgreSQL Terminate), after which the server
/// closes first and holds the TIME_WAIT; the client closes when it reads the server's EOF.</summary>
/// <summary>How a per-invocation connection ends: the client closes, says QUIT, or never ends it (a
/// client created in the handler and forgotten: its socket stays open until the server closes it).</summary>
public enum CloseMode { Close, Quit, Never }

/// <summary>When timers overdue at a thaw run: the order is not documented and differs between event loops.</summary>
public enum OverdueTimers { BeforeHandler, AfterHandler }

/// <summary>How a pool checks a free connection before a command takes it: not at all, or by a round trip
/// (SQLAlchemy's pool_pre_ping: a ping at checkout; a connection that fails it is replaced).</summary>
public enum PoolValidation { None, PrePing }

/// <summary>Which free connection a pool hands out: the most recently released (LIFO) or the longest free (FIFO).</summary>
public enum PoolOrder { Lifo, Fifo }

/// <summary>How a pool enforces a connection's lifetime: only when the connection is released or would be reused (AtUse),
/// or by a timer that closes it the instant its lifetime passes if it is idle, and at its release if it is busy (Timer:
/// pg-pool's and postgres.js's setTimeout per connection, PgBouncer's janitor).</summary>
public enum LifetimeRule { AtUse, Timer }

/// <summary>A client library's connection pool: its size, how long a command waits for a free
/// connection, and when the library closes idle or old connections.</summary>
public sealed record PoolSpec
{
    public int Max { get; init; } = 10;

    /// <summary>Idle connections the idle timeout leaves open (pg-pool's min).</summary>
    public int Min { get; init; }

    /// <summary>Commands that may wait for a connection; one more fails at once; null: no limit.</summary>
    public int? QueueLimit { get; init; }
    public TimeSpan? AcquireTimeout { get; init; }
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>Each connection's lifetime, drawn when it opens (postgres.js draws 30 to 60 min); null: none.</summary>
    public Distribution? MaxLifetime { get; init; }

    /// <summary>When <see cref="MaxLifetime"/> closes a connection: at use (the model's neutral rule) or by a timer.</summary>
    public LifetimeRule LifetimeRule { get; init; }
    public OverdueTimers OverdueTimers { get; init; } = OverdueTimers.BeforeHandler;
    public PoolOrder Order { get; init; } = PoolOrder.Lifo;
    public PoolValidation Validate { get; init; }
}

/// <summary>Which kind of server a preset is: its refusals, error replies and idle close (Servers/Kinds).</summary>
public enum ServerKindName { Generic, Redis, MySql, Postgres, MongoDb, Http, MariaDb }

public sealed record ServerSpec
{
    /// <summary>The server's name, and its host's in traces: "server" unless `servers:` names it.</summary>
    public string Name { get; init; } = "server";
    public string Preset { get; init; } = "generic";
    public ServerKindName Kind { get; init; }
    /// <summary>Slots an ordinary client cannot take (PostgreSQL superuser_reserved_connections + reserved_connections).</summary>
    public int ReservedConnections { get; init; }
    /// <summary>Whether the server writes an error before an idle close (MySQL 8.0.24+, PostgreSQL idle_session_timeout).</summary>
    public bool IdleCloseReply { get; init; }
    /// <summary>TCP_KEEPINTVL and TCP_KEEPCNT where the kind sets them apart from the idle time (PostgreSQL); null: the kernel's.</summary>
    public TimeSpan? KeepAliveInterval { get; init; }
    public int? KeepAliveCount { get; init; }
    /// <summary>The most requests one connection serves before the server closes it (nginx keepalive_requests); null: none.</summary>
    public int? RequestsPerConnection { get; init; }
    /// <summary>Whether MySQL's event scheduler runs: its daemon thread is a row of the process list.</summary>
    public bool EventScheduler { get; init; }
    public ushort Port { get; init; }
    public TimeSpan? IdleTimeout { get; init; }
    public IdleCheck IdleCheck { get; init; }
    public int? MaxClients { get; init; }
    public int? SoftLimit { get; init; }
    public int? HardLimit { get; init; }
    public TimeSpan EvictIdleAfter { get; init; }
    public TimeSpan? KeepAlive { get; init; }
    public required Distribution ResponseTime { get; init; }
    public required Sysctls Host { get; init; }
    public NoSocketPolicy NoSocket { get; init; }

    /// <summary>A pooler or proxy in front of another server, in place of a server of its own; null: a server.</summary>
    public PoolerSpec? Pooler { get; init; }
    /// <summary>listen()'s backlog: the kernel's accept queue holds min(backlog, somaxconn) + 1 connections.</summary>
    public int Backlog { get; init; } = 511;
    /// <summary>What the server's accept loop spends on each new connection before it takes the next (0: none).</summary>
    public TimeSpan AcceptTime { get; init; }
    /// <summary>TLS on every connection: its handshake after TCP's; null: plain TCP.</summary>
    public Tls.TlsSpec? Tls { get; init; }
}

public sealed record NetworkSpec
{
    public required Distribution Latency { get; init; }
    public required IReadOnlyList<MiddleboxSpec> Middleboxes { get; init; }
}

public sealed record MiddleboxSpec(string Name, MiddleboxProfile Profile);

public sealed record TrafficSpec
{
    public required string Function { get; init; }
    public required IReadOnlyList<Distribution> At { get; init; }
    public Distribution? Every { get; init; }
    public TimeSpan From { get; init; }
    public TimeSpan? Until { get; init; }
    public int BurstCount { get; init; }
    public TimeSpan BurstAt { get; init; }
    public TimeSpan BurstOver { get; init; }
    /// <summary>Arrivals at a rate (requests per second), from <see cref="From"/> to <see cref="Until"/> or the horizon.</summary>
    public Traffic.RateCurve? Rate { get; init; }
}

public enum EventKind { Partition, Redeploy, ServerRestart, Failover }

/// <summary>A scripted event: what, when, until when (a partition's end, a restart's return, a
/// failover's promotion), and what it names.</summary>
public sealed record EventSpec(EventKind Kind, TimeSpan At, TimeSpan Until, string? Function)
{
    /// <summary>With serverRestart and failover: the server's name (null: the first server).</summary>
    public string? Server { get; init; }
    /// <summary>With failover: what becomes of the old node.</summary>
    public OldNode OldNode { get; init; }
    /// <summary>With failover: how long a resolver keeps the name's answer (the DNS record's TTL).</summary>
    public TimeSpan DnsTtl { get; init; }
}

/// <summary>What becomes of a failed-over server's old node, and so what its cached connections get.</summary>
public enum OldNode
{
    /// <summary>It comes back up without its connections: a segment of one is answered with RST.</summary>
    Reset,
    /// <summary>It is gone: a segment of one is lost, and the client hears nothing.</summary>
    Gone,
    /// <summary>It is demoted to a read-only replica: connections stay, every command gets its read-only error.</summary>
    ReadOnly,
}

public enum ExpectKind { Outcome, Zombies, ServerConnections }

public sealed record ExpectSpec
{
    public ExpectKind Kind { get; init; }
    public TimeSpan? At { get; init; }
    public string? Function { get; init; }
    /// <summary>The outcome expected; null with <see cref="AnyError"/> for any error, or for any outcome.</summary>
    public Outcome? Outcome { get; init; }
    public bool AnyError { get; init; }
    public Origin? Origin { get; init; }
    public int? Count { get; init; }
    public int? AtLeast { get; init; }
    public int? AtMost { get; init; }
    public TcpState? State { get; init; }
    /// <summary>With zombies or serverConnections: only this server's sockets; null: every server's.</summary>
    public string? Server { get; init; }
    /// <summary>The expectation as written, for reports.</summary>
    public required string Text { get; init; }
    public long Line { get; init; }
}
