using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using Zombiesim.Core.Clients;
using Zombiesim.Core.Network;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Poolers;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Scenarios;

/// <summary>The sections that describe the world's parts: platform, functions
/// with their client library and host, server, network.</summary>
internal static class PartSections
{
    internal static PlatformSpec ReadPlatform(Reader r) => PlatformSection.Read(r);

    internal static FunctionSpec ReadFunction(Reader r)
    {
        string name = r.RequiredString("name", "the function's name");
        int memory = r.Int("memory", 128, "memory in MB; CPU share is proportional (DOC: 1769 MB = one vCPU)", 128, 10240);
        var timeout = r.Duration("timeout", TimeSpan.FromSeconds(3),
            "the platform's limit on one invocation (DOC: default 3s, at most 900s)");
        var strategy = r.Choice("strategy", Strategy.Reuse,
            "reuse: cache one connection per environment; per-invocation: "
                + "open and close in every invocation; proxy: call another function that holds the connection",
            new Dictionary<string, Strategy>
            {
                ["reuse"] = Strategy.Reuse, ["per-invocation"] = Strategy.PerInvocation,
                ["proxy"] = Strategy.Proxy
            });
        string? proxy = r.OptionalString("proxy", "with strategy proxy: the function to invoke");
        var proxyLatency = r.Duration("proxyInvokeLatency", TimeSpan.FromMilliseconds(10),
            "with strategy proxy: one-way latency of invoking the proxy function (FOLK)");
        int? reserved = r.OptionalInt("reservedConcurrency", "the most environments this function may have at once", 0);
        var work = r.Distribution("work", new Constant(0), "time the handler spends besides talking to the server");
        var client = r.Section("client", "client library settings", ReadClient);
        var host = r.Section("host", "the function's kernel sysctls, Linux names", ReadSysctls);
        int parallel = r.Int("parallel", 1,
            "commands each invocation sends at once, as a handler awaiting Promise.all (more than 1 needs client.pool)", 1, 1000);
        int commands = r.Int("commands", 1, "rounds of commands each invocation runs one after another (each round: parallel commands)",
            1, 1000);
        var between = r.Distribution("between", new Constant(0), "time the handler works between two rounds of commands");
        var hold = r.Choice("hold", Hold.Command,
            "command: a pooled connection goes back to the pool after each reply; invocation: the invocation keeps it until it ends, "
                + "as a transaction does (BEGIN ... COMMIT on one client)",
            new Dictionary<string, Hold> { ["command"] = Hold.Command, ["invocation"] = Hold.Invocation });
        bool connectInInit = r.Bool("connectInInit", false,
            "the init code connects (a client created outside the handler connects at once, as ioredis does), before the first event");
        double sessionState = r.Double("sessionState", 0,
            "the share of the function's connections whose code sets session state at its first command (SET, a prepared "
                + "statement, a temporary table): a pooler with pinsSessionState (RDS Proxy) pins them (FOLK: a parameter)", 0, 1);
        if (r.SchemaOnly)
            return null!;
        if (client.Monitoring is not null && client.Pool is null)
            throw r.ErrorAt("client", $"function '{name}': a server monitor runs beside a pool: add client.pool");
        if (client.Pool is not null && strategy != Strategy.Reuse)
            throw r.ErrorAt("client",
                $"function '{name}': a pool keeps connections across invocations, "
                    + $"so it needs strategy reuse (got {strategy.ToString().ToLowerInvariant()})");
        if (hold == Hold.Invocation && parallel > 1)
            throw r.ErrorAt("hold", $"function '{name}': a transaction holds one connection: with hold invocation, parallel must be 1");
        if (parallel > 1 && client.Pool is null)
            throw r.ErrorAt("parallel",
                $"function '{name}': {parallel} commands at once need connections for them: add client.pool (its max says how many)");
        if (timeout <= TimeSpan.Zero || timeout > TimeSpan.FromSeconds(900))
            throw r.ErrorAt("timeout",
                $"function '{name}': timeout must be between 1ms and 900s (the Lambda maximum), got {DurationText.Format(timeout)}");
        if (strategy != Strategy.Proxy && proxy is not null)
            throw r.ErrorAt("proxy", $"function '{name}' has 'proxy' but its strategy is not proxy");
        return new FunctionSpec
        {
            Name = name, Memory = memory, Timeout = timeout, Strategy = strategy, Proxy = proxy, ProxyInvokeLatency = proxyLatency,
            ReservedConcurrency = reserved, Work = work, Client = client, Host = host, Parallel = parallel,
            Commands = commands, Between = between, Hold = hold,
            ConnectInInit = connectInInit, SessionState = sessionState,
        };
    }

    internal static ClientSpec ReadClient(Reader r)
    {
        string preset = r.Choice("preset", ClientPresets.Default,
            $"the client library whose defaults apply: {string.Join(", ", ClientPresets.Table.Names)} "
                + "(values and sources in docs/model.md)",
            ClientPresets.Table.Names.ToDictionary(n => n));
        var d = ClientPresets.Table[preset].Values;
        var connect = r.OptionalDuration("connectTimeout",
            "the library gives up connecting after this: ETIMEDOUT, origin library-timeout; 0s: none (preset default)", d.ConnectTimeout);
        var command = r.OptionalDuration("commandTimeout", "the library gives up waiting for a reply after this (preset default)",
            d.CommandTimeout);
        int retries = r.Int("retries", d.Retries, "how many times a failed command is retried on a new connection", 0, 100);
        var retryOnNode = r.Words("retryOn", "which outcomes are retried", d.RetryOn.Select(o => o.Name()).ToArray(),
            OutcomeNames.ErrorWords.ToArray());
        bool validate = r.Bool("validateBeforeUse", d.ValidateBeforeUse,
            "check a cached connection (a read that would show EOF or a pending error) before each command");
        var maxIdle = r.OptionalDuration("maxIdle", "discard a cached connection idle for longer than this before using it", d.MaxIdle);
        var keepAlive = r.OptionalDuration("keepAlive",
            "SO_KEEPALIVE with this TCP_KEEPIDLE; 0s: on with the host's tcp_keepalive_time (preset default)", d.KeepAlive);
        var userTimeout = r.OptionalDuration("userTimeout", "TCP_USER_TIMEOUT (off by default)", d.UserTimeout);
        var ping = r.OptionalDuration("pingInterval",
            "an application ping every this while the environment runs (timers pause while frozen)",
            d.PingInterval);
        var pool = r.OptionalSection("pool", "a connection pool per environment, as pg-pool, mysql2's pool or the MongoDB driver "
            + "keep one per process (preset default; absent: one connection)", d.Pool, p => ReadPool(p, d.Pool ?? new PoolSpec()));
        var monitoring = r.OptionalSection("monitoring", "the driver's monitor of the server, a connection of its own polled every "
            + "heartbeat, as the MongoDB driver runs one on a FaaS platform (preset default; absent: none)", d.Monitoring,
            m => ReadMonitoring(m, d.Monitoring ?? new MonitorSpec()));
        var close = r.Choice("close", d.Close,
            "how a per-invocation connection ends: close (the client closes first and holds the TIME_WAIT), quit (QUIT, "
                + "then the server closes first: ioredis quit()) or never (a client made in the handler and never ended: "
                + "the socket stays open until the server closes it)",
            new Dictionary<string, CloseMode> { ["close"] = CloseMode.Close, ["quit"] = CloseMode.Quit, ["never"] = CloseMode.Never });
        string? serverName = r.OptionalString("server",
            "which of the scenario's servers (by name) the library talks to (default: the first)");
        var reconnect = r.OptionalSection("reconnect", "how long the library waits before it reconnects to retry a command "
            + "(ioredis retryStrategy; preset default; absent: at once)", d.Reconnect,
            m => ReadReconnect(m, d.Reconnect ?? new ReconnectSpec()));
        var killer = r.OptionalSection("zombieKiller", "serverless-mysql's connection management at end(): kill sleeping connections "
            + "or quit its own above a share of the server's limit, and retry a refused connect (preset default; absent: none)",
            d.ZombieKiller, k => ReadZombieKiller(k, d.ZombieKiller ?? new ZombieKillerSpec()));
        var setup = r.OptionalDistribution("setupCost",
            "CPU time to set a connection up and close it; default from memory: 75us on a full vCPU to 6.5ms at 128 MB (MEAS, Upstash)");
        if (r.SchemaOnly)
            return null!;
        return d with
        {
            Library = preset,
            ConnectTimeout = r.Has("connectTimeout") ? (connect > TimeSpan.Zero ? connect : null) : d.ConnectTimeout,
            CommandTimeout = command ?? d.CommandTimeout,
            Retries = retries,
            RetryOn = retryOnNode
                .Select(w => OutcomeNames.TryParse(w, out Outcome o) ? o : throw new InvalidOperationException(w))
                .ToHashSet(),
            ValidateBeforeUse = validate,
            MaxIdle = maxIdle ?? d.MaxIdle,
            KeepAlive = keepAlive ?? d.KeepAlive,
            UserTimeout = userTimeout ?? d.UserTimeout,
            PingInterval = ping ?? d.PingInterval,
            SetupCost = setup,
            Pool = pool,
            Monitoring = monitoring,
            Reconnect = reconnect,
            ZombieKiller = killer,
            Close = close,
            Server = serverName,
        };
    }

    internal static ReconnectSpec ReadReconnect(Reader r, ReconnectSpec d)
    {
        var @base = r.Duration("base", d.Base, "the first attempt's delay (ioredis 5: 50ms)");
        var cap = r.Duration("cap", d.Cap, "the longest delay before the jitter (ioredis 5: 2s)");
        var growth = r.Choice("growth", d.Growth, "linear: attempt x base (ioredis 5); exponential: 2^(attempt-1) x base",
            new Dictionary<string, Growth> { ["linear"] = Growth.Linear, ["exponential"] = Growth.Exponential });
        var jitter = r.Duration("jitter", d.Jitter, "a uniform delay in [0, jitter) added to each (node-redis 5: 200ms)");
        if (r.SchemaOnly)
            return null!;
        if (@base < TimeSpan.Zero || cap < @base || jitter < TimeSpan.Zero)
            throw r.ErrorAt("base", "'base' and 'jitter' must not be negative and 'cap' not below 'base', like { base: 50ms, cap: 2s }");
        return new ReconnectSpec { Base = @base, Cap = cap, Growth = growth, Jitter = jitter };
    }

    internal static ZombieKillerSpec ReadZombieKiller(Reader r, ZombieKillerSpec d)
    {
        bool manage = r.Bool("manageConns", d.ManageConns, "end() checks the server's connections (false: end() does nothing)");
        double utilization = r.Double("connUtilization", d.ConnUtilization,
            "above this share of the server's limit in use, end() kills sleeping connections or quits its own", 0, 1);
        var min = r.Duration("zombieMinTimeout", d.ZombieMinTimeout, "connections asleep less than this are never killed");
        var max = r.Duration("zombieMaxTimeout", d.ZombieMaxTimeout, "connections asleep this long are killed whatever the utilization");
        var maxFreq = r.Duration("maxConnsFreq", d.MaxConnsFreq, "the server's limit is asked again after this");
        var usedFreq = r.Duration("usedConnsFreq", d.UsedConnsFreq, "the count of connections is asked again after this (0s: each end())");
        int retries = r.Int("maxRetries", d.MaxRetries, "a connect refused as too many connections is tried again this many times", 0,
            10_000);
        var @base = r.Duration("base", d.BackoffBase, "the backoff's base: attempt n waits up to base x 2^n");
        var cap = r.Duration("cap", d.BackoffCap, "the backoff's longest wait");
        if (r.SchemaOnly)
            return null!;
        if (min > max)
            throw r.ErrorAt("zombieMinTimeout", $"'zombieMinTimeout' ({DurationText.Format(min)}) cannot exceed 'zombieMaxTimeout' "
                + $"({DurationText.Format(max)})");
        return new ZombieKillerSpec
        {
            ManageConns = manage, ConnUtilization = utilization, ZombieMinTimeout = min, ZombieMaxTimeout = max,
            MaxConnsFreq = maxFreq, UsedConnsFreq = usedFreq, MaxRetries = retries, BackoffBase = @base, BackoffCap = cap,
        };
    }

    internal static MonitorSpec ReadMonitoring(Reader r, MonitorSpec d)
    {
        var heartbeat = r.Duration("heartbeat", d.Heartbeat,
            "a hello on the monitor's connection every this, by a user-space timer that stops while frozen (heartbeatFrequencyMS)");
        var min = r.Duration("minHeartbeat", d.MinHeartbeat,
            "a check a waiting command requests comes no sooner than this after the last one began (minHeartbeatFrequencyMS)");
        var selection = r.Duration("serverSelectionTimeout", d.ServerSelectionTimeout,
            "a command waits this long for the monitor to find the server, then fails (serverSelectionTimeoutMS)");
        if (r.SchemaOnly)
            return null!;
        if (heartbeat <= TimeSpan.Zero || min <= TimeSpan.Zero || selection <= TimeSpan.Zero)
            throw r.ErrorAt("heartbeat", "'heartbeat', 'minHeartbeat' and 'serverSelectionTimeout' must be positive, like 10s");
        return new MonitorSpec { Heartbeat = heartbeat, MinHeartbeat = min, ServerSelectionTimeout = selection };
    }

    internal static PoolSpec ReadPool(Reader r, PoolSpec d)
    {
        int max = r.Int("max", d.Max, "connections at most per environment (preset default; pg-pool and mysql2: 10)", 1, 10_000);
        int min = r.Int("min", d.Min, "idle connections the idle timeout leaves open (pg-pool min; it opens none ahead of need)",
            0, 10_000);
        int? queueLimit = r.OptionalInt("queueLimit",
            "commands that may wait for a connection; one more fails at once, REJECTED origin library (mysql2 queueLimit; 0: none)", 0);
        var acquire = r.OptionalDuration("acquireTimeout",
            "a command waiting this long for a free connection fails with ETIMEDOUT (pg-pool connectionTimeoutMillis; preset default)",
            d.AcquireTimeout);
        var idle = r.OptionalDuration("idleTimeout",
            "the library closes a connection idle this long, by a user-space timer that stops while frozen (preset default)",
            d.IdleTimeout);
        var life = r.OptionalDistribution("maxLifetime",
            "a connection this old is closed as lifetimeRule says, drawn per connection (postgres.js: 30m to 60m; preset default)");
        var lifeRule = r.Choice("lifetimeRule", d.LifetimeRule,
            "how maxLifetime closes a connection: timer (a timer closes a free connection the instant its lifetime passes, a busy "
                + "one at its release: pg, postgres.js) or use (only when released or before reuse); preset default",
            new Dictionary<string, LifetimeRule> { ["timer"] = LifetimeRule.Timer, ["use"] = LifetimeRule.AtUse });
        var overdue = r.Choice("overdueTimers", d.OverdueTimers,
            "timers overdue at a thaw run before or after the thawed invocation's first command (undocumented: a parameter)",
            new Dictionary<string, OverdueTimers> { ["before"] = OverdueTimers.BeforeHandler, ["after"] = OverdueTimers.AfterHandler });
        var order = r.Choice("order", d.Order,
            "which free connection a command takes: lifo (pg-pool, mysql2, mongodb) or fifo (postgres.js)",
            new Dictionary<string, PoolOrder> { ["lifo"] = PoolOrder.Lifo, ["fifo"] = PoolOrder.Fifo });
        var validate = r.Choice("validate", d.Validate,
            "none, or pre-ping: a round trip on a free connection before a command takes it; one that fails is closed and the command "
                + "takes another or a new one (SQLAlchemy pool_pre_ping)",
            new Dictionary<string, PoolValidation> { ["none"] = PoolValidation.None, ["pre-ping"] = PoolValidation.PrePing });
        if (r.SchemaOnly)
            return null!;
        if (min > max)
            throw r.ErrorAt("min", $"'min' ({min}) cannot exceed 'max' ({max})");
        if (idle is { } i && i <= TimeSpan.Zero)
            throw r.ErrorAt("idleTimeout", "'idleTimeout' must be positive, like 10s (leave it out for none)");
        if (life is not null && life.Mean <= 0)
            throw r.ErrorAt("maxLifetime", "'maxLifetime' must be positive, like 30m (leave it out for none)");
        return new PoolSpec
        {
            Max = max, Min = min, QueueLimit = r.Has("queueLimit") ? (queueLimit > 0 ? queueLimit : null) : d.QueueLimit,
            AcquireTimeout = acquire ?? d.AcquireTimeout, IdleTimeout = idle ?? d.IdleTimeout,
            MaxLifetime = life ?? d.MaxLifetime, LifetimeRule = lifeRule,
            OverdueTimers = overdue, Order = order, Validate = validate,
        };
    }

    internal static Sysctls ReadSysctls(Reader r)
    {
        var d = new Sysctls();
        var s = new Sysctls
        {
            TcpFinTimeout = r.Duration("tcp_fin_timeout", d.TcpFinTimeout, "orphaned FIN_WAIT_2 lifetime"),
            TcpRetries2 = r.Int("tcp_retries2", d.TcpRetries2, "retransmission budget (15: 924.6s)", 1, 255),
            TcpSynRetries = r.Int("tcp_syn_retries", d.TcpSynRetries, "SYN retransmissions (6: connect fails after 127s)", 1, 127),
            TcpSynackRetries = r.Int("tcp_synack_retries", d.TcpSynackRetries, "SYN-ACK retransmissions", 1, 255),
            TcpSynLinearTimeouts = r.Int("tcp_syn_linear_timeouts", d.TcpSynLinearTimeouts,
                "SYN retransmissions before backoff (Linux 6.5+; 4 gives 131s)", 0, 32),
            TcpOrphanRetries = r.Int("tcp_orphan_retries", d.TcpOrphanRetries, "orphan budget (0 means 8)", 0, 255),
            TcpKeepaliveTime = r.Duration("tcp_keepalive_time", d.TcpKeepaliveTime, "idle time before keepalive probes"),
            TcpKeepaliveIntvl = r.Duration("tcp_keepalive_intvl", d.TcpKeepaliveIntvl, "time between keepalive probes"),
            TcpKeepaliveProbes = r.Int("tcp_keepalive_probes", d.TcpKeepaliveProbes, "unanswered probes before ETIMEDOUT", 1, 127),
            SoMaxConn = r.Int("somaxconn", d.SoMaxConn, "net.core.somaxconn: the cap on a listen() backlog (4096 since Linux 5.4)",
                1, 65535),
            TcpRtoMin = r.Duration("tcp_rto_min", d.TcpRtoMin, "RTO floor"),
            TcpPingpongThresh = r.Int("tcp_pingpong_thresh", d.TcpPingpongThresh,
                "replies within the ACK timeout before a connection's ACKs are delayed as interactive", 1, 255),
            TcpRtoMax = r.Duration("tcp_rto_max", d.TcpRtoMax, "RTO cap"),
            Hz = r.IntOneOf("hz", d.Hz, "CONFIG_HZ, the kernel's timer ticks a second: 100, 250, 300 or 1000 (kernel/Kconfig.hz; "
                + "250 on Debian and Ubuntu generic kernels); RTOs and kernel timers are whole jiffies", Jiffies.AllowedHz),
            TimerSlack = r.Choice("timerSlack", d.TimerSlack, "off: a kernel timer fires exactly its whole jiffies after it was armed; "
                + "linux: on the timer wheel's bucket, late by up to 1/8 of its length (kernel/time/timer.c)",
                new Dictionary<string, TimerSlack> { ["off"] = TimerSlack.Off, ["linux"] = TimerSlack.Linux }),
        };
        if (!r.SchemaOnly && s.TcpRtoMin > s.TcpRtoMax)
            throw r.Error($"tcp_rto_min ({DurationText.Format(s.TcpRtoMin)}) "
                + $"must not exceed tcp_rto_max ({DurationText.Format(s.TcpRtoMax)})");
        if (!r.SchemaOnly && s.TcpRtoMin <= TimeSpan.Zero)
            throw r.ErrorAt("tcp_rto_min", "tcp_rto_min must be positive");
        return s;
    }

    internal static NetworkSpec ReadNetwork(Reader r)
    {
        var latency = r.Distribution("latency", new Constant(0.0005), "one-way latency between a function and the server");
        var boxes = r.List("middleboxes", "boxes on the path that forget idle flows", b =>
        {
            string preset = b.Choice("preset", "aws-nat-gateway",
                $"a kind of box: {string.Join(", ", MiddleboxPresets.Table.Names)} (timeouts, behaviour and sources in docs/model.md)",
                MiddleboxPresets.Table.Names.ToDictionary(k => k, k => k));
            var idle = b.OptionalDuration("idleTimeout",
                "override the preset's idle timeout (linux-conntrack: nf_conntrack_tcp_timeout_established)");
            var loose = b.OptionalInt("loose", "linux-conntrack only: nf_conntrack_tcp_loose; 1 (Linux's default) picks up a mid-stream "
                + "segment from the inside as a new flow, 0 drops it", 0, 1, shownDefault: 1);
            string? name = b.OptionalString("name", "a name for traces (default: the preset)");
            if (b.SchemaOnly)
                return null!;
            var profile = MiddleboxPresets.Table[preset].Values;
            if (idle is { } t)
            {
                if (t <= TimeSpan.Zero)
                    throw b.ErrorAt("idleTimeout", "a middlebox idle timeout must be positive");
                profile = profile with { IdleTimeout = t };
            }
            if (loose is { } l)
            {
                if (profile.OnExpired != FlowAction.PickUpFromInside)
                    throw b.ErrorAt("loose", $"'loose' applies to the linux-conntrack preset only, not {preset}");
                if (l == 0)
                    profile = profile with { OnExpired = FlowAction.Drop, OnUnknown = FlowAction.Drop };
            }
            return new MiddleboxSpec(name ?? preset, profile);
        });
        if (r.SchemaOnly)
            return null!;
        return new NetworkSpec { Latency = latency, Middleboxes = boxes };
    }
}
