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
}

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
}

/// <summary>A client library's settings: a preset row (<see cref="Clients.ClientPresets"/>) with the function's own keys over it.</summary>
public sealed record ClientSpec
{
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
}

/// <summary>When timers overdue at a thaw run: the order is not documented and differs between event loops.</summary>
public enum OverdueTimers { BeforeHandler, AfterHandler }

/// <summary>Which free connection a pool hands out: the most recently released (LIFO) or the longest free (FIFO).</summary>
public enum PoolOrder { Lifo, Fifo }

/// <summary>A client library's connection pool: its size, how long a command waits for a free
/// connection, and when the library closes idle or old connections.</summary>
public sealed record PoolSpec
{
    public int Max { get; init; } = 10;
    public TimeSpan? AcquireTimeout { get; init; }
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>Each connection's lifetime, drawn when it opens (postgres.js draws 30 to 60 min); null: none.</summary>
    public Distribution? MaxLifetime { get; init; }
    public OverdueTimers OverdueTimers { get; init; } = OverdueTimers.BeforeHandler;
    public PoolOrder Order { get; init; } = PoolOrder.Lifo;
}

public sealed record ServerSpec
{
    public string Preset { get; init; } = "generic";
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

public enum EventKind { Partition, Redeploy, ServerRestart }

public sealed record EventSpec(EventKind Kind, TimeSpan At, TimeSpan Until, string? Function);

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
    /// <summary>The expectation as written, for reports.</summary>
    public required string Text { get; init; }
    public long Line { get; init; }
}
