using Zombiesim.Core.Observation;
using Zombiesim.Core.Presets;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Clients;

/// <summary>
/// The client library presets, each a row of the library's defaults read in its own source at a
/// named version (DOC: the library's source is its documentation of record), with what the model
/// does not yet simulate said in the row's summary. A function's own `client` keys override each
/// value. docs/model.md shows this table (a test keeps them equal).
/// </summary>
public static class ClientPresets
{
    /// <summary>The preset a function gets when it names none.</summary>
    public const string Default = "generic";

    private static readonly IReadOnlySet<Outcome> ConnectionErrors =
        new HashSet<Outcome> { Outcome.Eof, Outcome.ECONNRESET, Outcome.EPIPE, Outcome.ETIMEDOUT, Outcome.ECONNREFUSED };

    private static readonly IReadOnlySet<Outcome> ClosedConnection =
        new HashSet<Outcome> { Outcome.Eof, Outcome.ECONNRESET, Outcome.EPIPE };

    /// <summary>The pool of a library that holds one connection (a preset with no `pool`: ioredis, node-redis,
    /// serverless-mysql's mysql2 connection): at most one, kept for the next invocation, no idle close or lifetime.</summary>
    public static PoolSpec OneConnection { get; } = new() { Max = 1 };

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    /// <summary>One connection, no retries: what each preset starts from.</summary>
    private static readonly ClientSpec One = new() { ConnectTimeout = S(10), RetryOn = ConnectionErrors };

    public static PresetTable<ClientSpec> Table { get; } = new("client",
    [
        new(Default, One,
            new(SourceKind.Folk, "the model's neutral library of the 2020 story: one connection, cached or per invocation; "
                + "its connect timeout is ioredis's (connectTimeout 10000 ms, ioredis README, v5); "
                + "no command timeout, retries, keepalive, user timeout or pings unless set"),
            "one connection; connect timeout 10 s; no command timeout; "
                + "no retries (when on, on EOF, ECONNRESET, EPIPE, ETIMEDOUT, ECONNREFUSED); "
                + "no validation, max idle, keepalive, user timeout or pings"),
        new("ioredis", One with
            {
                KeepAlive = TimeSpan.Zero, Retries = 20, RetryOn = ClosedConnection,
                Reconnect = new ReconnectSpec { Base = S(0.05), Cap = S(2), Growth = Growth.Linear },
            },
            new(SourceKind.Doc, "ioredis v5.9.3 lib/redis/RedisOptions.ts:226-280 (connectTimeout 10000, keepAlive 0, "
                + "maxRetriesPerRequest 20, autoResendUnfulfilledCommands true, no commandTimeout), :233-235 (retryStrategy "
                + "min(times x 50, 2000) ms); lib/Redis.ts:230-237"),
            "one connection; connect timeout 10 s; SO_KEEPALIVE on with the host's idle time (keepAlive 0); a command in flight when "
                + "the connection closes is sent again on a new one, up to 20 times, after the reconnect delay min(n x 50, 2000) ms"),
        new("node-redis", One with { ConnectTimeout = S(5), KeepAlive = S(5) },
            new(SourceKind.Doc, "@redis/client 5.12.1 lib/client/socket.ts:106 (connectTimeout 5000), :190-191 (keepAlive true, "
                + "keepAliveInitialDelay 5000); lib/client/index.ts:876-882 (commands awaiting a reply are rejected on a socket error); "
                + "no pingInterval by default"),
            "one connection; connect timeout 5 s; keepalive after 5 s idle; a command in flight when the socket errors fails "
                + "(no resend); reconnects at the next command; no pings"),
        new("mysql2", One with { KeepAlive = TimeSpan.Zero, Pool = new PoolSpec { Max = 10 } },
            new(SourceKind.Doc, "mysql2 3.23.4 lib/pool_config.js:15-26 (connectionLimit 10, maxIdle 10, idleTimeout 60000, queueLimit 0), "
                + "lib/base/pool.js:50-53 (the idle reaper starts only when maxIdle < connectionLimit), :80 (LIFO); "
                + "lib/connection_config.js:115-128 (connectTimeout 10000, enableKeepAlive true, no initial delay)"),
            "pool of 10, LIFO, waits without limit; no idle close (the reaper never starts with the defaults); connect timeout 10 s; "
                + "SO_KEEPALIVE on with the host's idle time; no validation"),
        new("pg", One with
            {
                ConnectTimeout = null, Pool = new PoolSpec { Max = 10, IdleTimeout = S(10), LifetimeRule = LifetimeRule.Timer },
            },
            new(SourceKind.Doc, "pg 8.23.0 with pg-pool 3.14.0: packages/pg-pool/index.js:89 (max 10), :98-99 (idleTimeoutMillis 10000), "
                + ":206 and :250 (connectionTimeoutMillis 0: none), :93 (maxLifetimeSeconds 0), :158 (LIFO); :311-328 (a lifetime "
                + "setTimeout per client from its connect: an idle client is removed when it fires, a busy one marked expired) and "
                + ":400-405 (an expired client is removed at its release); packages/pg/lib/client.js:95 (keepAlive false)"),
            "pool of 10, LIFO, waits without limit; idle close after 10 s (a timer that stops while frozen); "
                + "no connect timeout (the kernel's SYN retries decide); no keepalive; no lifetime (when set, a timer closes an idle "
                + "connection the instant its lifetime passes, a busy one at its release)"),
        new("postgres.js", One with
            {
                ConnectTimeout = S(30), KeepAlive = S(60),
                Pool = new PoolSpec
                {
                    Max = 10, MaxLifetime = new Uniform(1800, 3600), LifetimeRule = LifetimeRule.Timer, Order = PoolOrder.Fifo,
                },
            },
            new(SourceKind.Doc, "postgres 3.4.9 src/index.js:447-462 (max 10, idle_timeout null, connect_timeout 30, keep_alive 60), "
                + ":454 and :515-517 (max_lifetime 60 x (30 + random x 30) s per connection), :205-206 (FIFO: open.shift()); "
                + "src/connection.js:76 and :371 (a lifetime timer started at the socket's connect), :413-420 (when it fires, "
                + "end(): an idle connection terminates at once, a busy one after its last reply, :579-586)"),
            "pool of 10, FIFO; no idle close; each connection lives 30 to 60 min (drawn uniformly), closed by a timer the instant "
                + "its lifetime passes if idle, after its reply if busy; connect timeout 30 s; keepalive after 60 s idle"),
        new("mongodb", One with
            {
                ConnectTimeout = S(30), KeepAlive = S(120), Pool = new PoolSpec { Max = 100 },
                Monitoring = new MonitorSpec { Heartbeat = S(10), MinHeartbeat = S(0.5), ServerSelectionTimeout = S(30) },
            },
            new(SourceKind.Doc, "mongodb (Node driver) 7.5.0 src/connection_string.ts:800-801 (connectTimeoutMS 30000), "
                + ":902-907 (maxIdleTimeMS 0, maxPoolSize 100), :1174-1176 (waitQueueTimeoutMS 0), :846-847 (heartbeatFrequencyMS "
                + "10000), :930-931 (minHeartbeatFrequencyMS 500), :1085-1086 with src/sdam/monitor.ts:245-259 (serverMonitoringMode "
                + "auto: polling when a FaaS platform is detected), monitor.ts:356 (a check waits connectTimeoutMS); "
                + "serverSelectionTimeoutMS 30000; src/cmap/connect.ts:291, :336 (keepalive forced on, 120000 ms); "
                + "src/cmap/connection_pool.ts:394, :758 (LIFO)"),
            "pool of 100, LIFO, waits without limit; no idle close; connect timeout 30 s; keepalive after 120 s idle; "
                + "a monitor connection per server polled every 10 s (a check waits 30 s; a failed one clears the pool); "
                + "a command waits 30 s for an unknown server; the streaming monitor and its RTT connection (off a FaaS platform) "
                + "are not modelled"),
        new("prisma", One with { ConnectTimeout = S(5), MaxIdle = S(300), Pool = new PoolSpec { Max = 3, AcquireTimeout = S(10) } },
            new(SourceKind.Folk, "Prisma ORM 6 query engine, quaint/src/pooled.rs and connector url.rs (connection_limit "
                + "num_physical_cpus x 2 + 1, pool_timeout 10 s, connect_timeout 5 s, max_idle_connection_lifetime 300 s replaced at "
                + "check-out, socket_timeout none), DOC at commits whose release was not determined; the pool of 3 assumes one "
                + "physical core in a Lambda environment: FOLK, set pool.max to what your environment reports"),
            "pool of 3 (one physical core x 2 + 1: FOLK); a command waits at most 10 s for a connection; connect timeout 5 s; "
                + "a connection idle over 300 s is replaced when next used; no keepalive"),
        new("serverless-mysql", One with
            {
                KeepAlive = TimeSpan.Zero, Retries = 1, RetryOn = ClosedConnection, ZombieKiller = new ZombieKillerSpec(),
            },
            new(SourceKind.Doc, "serverless-mysql 2.1.0 index.js:145 and :473 (one mysql2 connection per container: mysql2's "
                + "connectTimeout 10000, keepalive on), :251-257 (a query failing with PROTOCOL_CONNECTION_LOST, EPIPE or "
                + "ECONNRESET is run again on a new connection), :477-488 (manageConns true, connUtilization 0.8, zombieMinTimeout 3, "
                + "zombieMaxTimeout 900, maxConnsFreq 15000, usedConnsFreq 0, maxRetries 50, base 2, cap 100, full jitter), "
                + ":178-207 and :338-414 (end(): the limit, the process list, KILL, or quit)"),
            "one connection; connect timeout 10 s; SO_KEEPALIVE on with the host's idle time; a query on a closed connection is "
                + "run again once on a new one; end() asks the limit (cached 15 s) and the process list, and above 80 % of the "
                + "limit KILLs the connections asleep longest (3 s to 900 s) or quits its own; a refused connect is tried again up "
                + "to 50 times after 0 to min(100, 2 x 2^n) ms"),
        new("http-agent", One with
            {
                ConnectTimeout = null, KeepAlive = S(1), Pool = new PoolSpec { Max = 10_000, IdleTimeout = S(5) },
            },
            new(SourceKind.Doc, "Node.js 20.20.2 and 22.23.5 lib/_http_agent.js: http.globalAgent { keepAlive: true, timeout: 5000, "
                + "scheduling: 'lifo' } (v20 :552, v22 :719-723), maxSockets Infinity, keepAliveMsecs 1000 applied to a free "
                + "socket (v20 :474-508); lib/_http_client.js 'socket hang up' (ECONNRESET) when a reused socket closes"),
            "keep-alive sockets without limit (10,000 in the model), LIFO; a free socket closed after 5 s idle (a timer that stops "
                + "while frozen); keepalive after 1 s idle; no connect timeout"),
    ]);
}
