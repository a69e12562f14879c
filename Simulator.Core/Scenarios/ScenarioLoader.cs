using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using Zombiesim.Core.Clients;
using Zombiesim.Core.Network;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Scenarios;

/// <summary>
/// Reads scenario files (YAML, strict) and <c>--set path=value</c> overrides into a
/// <see cref="Scenario"/>. Every key, its default and its meaning live in <see cref="Read"/> only;
/// the JSON Schema is recorded from the same code.
/// </summary>
public static class ScenarioLoader
{

    public static Scenario LoadFile(string path, IReadOnlyList<string>? sets = null) => Load(ReadFile(path), path, sets);

    /// <summary>A scenario file's text; a file that cannot be read is bad input.</summary>
    public static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioException(path, 0, 0, $"cannot read the file: {e.Message}");
        }
    }

    public static Scenario Load(string yaml, string file, IReadOnlyList<string>? sets = null)
    {
        var origins = new Scenarios.Origins(file);
        YamlNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count != 1)
                throw new ScenarioException(file, 1, 1, $"expected one YAML document, found {stream.Documents.Count}");
            root = stream.Documents[0].RootNode;
        }
        catch (YamlException e)
        {
            throw new ScenarioException(file, e.Start.Line, e.Start.Column, $"YAML syntax: {Inner(e).Message}");
        }
        for (int i = 0; i < (sets?.Count ?? 0); i++)
            ApplySet(ref root, sets![i], i, origins);
        var reader = new Reader(root, origins, "", null);
        var scenario = Read(reader);
        reader.Done();
        return scenario;
    }

    /// <summary>The JSON Schema of the scenario format, for editors.</summary>
    public static JsonObject Schema()
    {
        var root = new JsonObject();
        Read(new Reader(null, new Scenarios.Origins("schema"), "", root));
        var varying = new JsonObject
        {
            ["description"] = "a duration, or a distribution of durations",
            ["oneOf"] = new JsonArray(
                new JsonObject { ["$ref"] = "#/definitions/duration" },
                Dist("constant", new JsonObject { ["$ref"] = "#/definitions/duration" }),
                Dist("uniform", new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["$ref"] = "#/definitions/duration" }, ["minItems"] = 2, ["maxItems"] = 2 }),
                Dist("exponential", Obj(("mean", Ref("duration")))),
                Dist("normal", Obj(("mean", Ref("duration")), ("sd", Ref("duration")))),
                Dist("lognormal", Obj(("median", Ref("duration")), ("sigma", new JsonObject { ["type"] = "number" }))),
                Dist("empirical", new JsonObject { ["type"] = "array", ["items"] = Obj(("value", Ref("duration")), ("weight", new JsonObject { ["type"] = "number" })) }),
                Dist("mixture", new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "object" } })),
        };
        var schema = new JsonObject
        {
            ["$schema"] = "http://json-schema.org/draft-07/schema#",
            ["title"] = "zombiesim scenario",
            ["definitions"] = new JsonObject
            {
                ["duration"] = new JsonObject
                {
                    ["type"] = "string",
                    ["pattern"] = @"^\s*[0-9]+(\.[0-9]+)?\s*(us|µs|ms|s|m|min|h|d)\s*$",
                    ["description"] = DurationText.Expected,
                },
                ["varying-duration"] = varying,
            },
        };
        foreach (var (k, v) in root.ToArray())
        {
            root.Remove(k);
            schema[k] = v;
        }
        return schema;

        static JsonObject Ref(string name) => new() { ["$ref"] = $"#/definitions/{name}" };
        static JsonObject Dist(string name, JsonNode body) => new()
        {
            ["type"] = "object", ["additionalProperties"] = false, ["required"] = new JsonArray(name),
            ["properties"] = new JsonObject { [name] = body },
        };
        static JsonObject Obj(params (string Key, JsonNode Value)[] props)
        {
            var p = new JsonObject();
            foreach (var (k, v) in props) p[k] = v;
            return new JsonObject { ["type"] = "object", ["additionalProperties"] = false, ["properties"] = p };
        }
    }

    private static Scenario Read(Reader r)
    {
        string name = r.RequiredString("name", "the scenario's name");
        string? description = r.OptionalString("description", "what the scenario shows");
        ulong seed = r.ULong("seed", 1, "seed of every random draw: same seed, same run");
        TimeSpan horizon = r.Duration("horizon", TimeSpan.FromHours(1), "how much simulated time to run");
        var platform = r.Section("platform", "the serverless platform (AWS Lambda by default)", ReadPlatform);
        var functions = r.List("functions", "the functions and their client libraries", ReadFunction);
        var names = functions.Where(f => f is not null).Select(f => f.Name).ToHashSet();
        var server = r.Section("server", "the connection-oriented server", ReadServer);
        var network = r.Section("network", "the path between functions and server", ReadNetwork);
        var traffic = r.List("traffic", "when functions are invoked", t => ReadTraffic(t, names));
        var events = r.List("events", "things that happen: partitions, redeploys, server restarts", e => ReadEvent(e, names));
        var expect = r.List("expect", "assertions that turn the scenario into a regression test (exit code 1 when violated)", x => ReadExpect(x, names));
        bool hasSearch = r.Has("search");
        var search = r.Section("search", "what `zombiesim search` varies and looks for (its flags override this)", ReadSearch);
        if (r.SchemaOnly)
            return null!;

        if (horizon <= TimeSpan.Zero)
            throw r.ErrorAt("horizon", "'horizon' must be positive, like 420s or 24h");
        if (functions.Count == 0)
            throw r.Error("the scenario needs at least one function under 'functions'");
        if (names.Count != functions.Count)
            throw r.ErrorAt("functions", $"two functions are named '{functions.GroupBy(f => f.Name).First(g => g.Count() > 1).Key}'; names must be unique");
        foreach (var f in functions.Where(f => f.Strategy == Strategy.Proxy))
        {
            if (f.Proxy is null || !names.Contains(f.Proxy))
                throw r.ErrorAt("functions", $"function '{f.Name}' uses strategy proxy, so 'proxy' must name another function (one of {string.Join(", ", names.Where(n => n != f.Name))}), got '{f.Proxy}'");
            var target = functions.First(x => x.Name == f.Proxy);
            if (target.Strategy == Strategy.Proxy || target.Name == f.Name)
                throw r.ErrorAt("functions", $"the proxy of '{f.Name}' ('{target.Name}') must itself connect to the server (reuse or per-invocation)");
        }
        return new Scenario
        {
            Name = name, Description = description, Seed = seed, Horizon = horizon, Platform = platform, Functions = functions,
            Server = server, Network = network, Traffic = traffic, Events = events, Expect = expect,
            Search = hasSearch ? search : null,
        };
    }

    private static PlatformSpec ReadPlatform(Reader r)
    {
        var d = PlatformPresets.Table[PlatformPresets.Default].Values;
        var (freezeAfter, mode) = r.Section("freeze", "when and how an idle execution environment is frozen", f => (
            f.Distribution("after", d.FreezeAfter, "time from the end of an invocation to the freeze (the seed story saw 5s)"),
            f.Choice("mode", d.FreezeMode, "process: the kernel still ACKs and resets; vm: the whole microVM is paused (undocumented by AWS: FOLK)",
                new Dictionary<string, FreezeMode> { ["process"] = FreezeMode.Process, ["vm"] = FreezeMode.Vm })));
        var reap = r.Section("reap", "destruction of idle environments", x =>
            x.Distribution("after", d.ReapAfter, "idle time after the last invocation until the environment is destroyed (MEAS: 10 min since 2019; the 2020 story assumed 300s)"));
        var coldStart = r.Distribution("coldStart", d.ColdStart, "time to create an environment and run the init code");
        bool hook = r.Bool("shutdownHook", d.ShutdownHook, "true: cached connections are closed cleanly when an environment is destroyed (needs an extension on Lambda)");
        var maxLifetime = r.OptionalDistribution("maxLifetime", "environments are recycled after this age, at the end of an invocation (MEAS: about 2h)", d.MaxLifetime) ?? d.MaxLifetime;
        int concurrency = r.Int("concurrency", d.Concurrency, "the account's regional concurrency limit (DOC: 1000)", 1);
        return new PlatformSpec
        {
            FreezeAfter = freezeAfter, FreezeMode = mode, ReapAfter = reap, ColdStart = coldStart, ShutdownHook = hook,
            MaxLifetime = maxLifetime, Concurrency = concurrency,
        };
    }

    private static FunctionSpec ReadFunction(Reader r)
    {
        string name = r.RequiredString("name", "the function's name");
        int memory = r.Int("memory", 128, "memory in MB; CPU share is proportional (DOC: 1769 MB = one vCPU)", 128, 10240);
        var timeout = r.Duration("timeout", TimeSpan.FromSeconds(3), "the platform's limit on one invocation (DOC: default 3s, at most 900s)");
        var strategy = r.Choice("strategy", Strategy.Reuse, "reuse: cache one connection per environment; per-invocation: open and close in every invocation; proxy: call another function that holds the connection",
            new Dictionary<string, Strategy> { ["reuse"] = Strategy.Reuse, ["per-invocation"] = Strategy.PerInvocation, ["proxy"] = Strategy.Proxy });
        string? proxy = r.OptionalString("proxy", "with strategy proxy: the function to invoke");
        var proxyLatency = r.Duration("proxyInvokeLatency", TimeSpan.FromMilliseconds(10), "with strategy proxy: one-way latency of invoking the proxy function (FOLK)");
        int? reserved = r.OptionalInt("reservedConcurrency", "the most environments this function may have at once", 0);
        var work = r.Distribution("work", new Constant(0), "time the handler spends besides talking to the server");
        var client = r.Section("client", "client library settings", ReadClient);
        var host = r.Section("host", "the function's kernel sysctls, Linux names", ReadSysctls);
        if (r.SchemaOnly)
            return null!;
        if (timeout <= TimeSpan.Zero || timeout > TimeSpan.FromSeconds(900))
            throw r.ErrorAt("timeout", $"function '{name}': timeout must be between 1ms and 900s (the Lambda maximum), got {DurationText.Format(timeout)}");
        if (strategy != Strategy.Proxy && proxy is not null)
            throw r.ErrorAt("proxy", $"function '{name}' has 'proxy' but its strategy is not proxy");
        return new FunctionSpec
        {
            Name = name, Memory = memory, Timeout = timeout, Strategy = strategy, Proxy = proxy, ProxyInvokeLatency = proxyLatency,
            ReservedConcurrency = reserved, Work = work, Client = client, Host = host,
        };
    }

    private static ClientSpec ReadClient(Reader r)
    {
        var d = ClientPresets.Table[ClientPresets.Default].Values;
        var connect = r.Duration("connectTimeout", d.ConnectTimeout, "the library gives up connecting after this (ioredis: 10s, DOC); error ETIMEDOUT, origin library-timeout");
        var command = r.OptionalDuration("commandTimeout", "the library gives up waiting for a reply after this (ioredis: unset, DOC)", d.CommandTimeout) ?? d.CommandTimeout;
        int retries = r.Int("retries", d.Retries, "how many times a failed command is retried on a new connection", 0, 100);
        var retryOnNode = r.Words("retryOn", "which outcomes are retried", d.RetryOn.Select(o => o.Name()).ToArray(), OutcomeNames.ErrorWords.ToArray());
        bool validate = r.Bool("validateBeforeUse", d.ValidateBeforeUse, "check a cached connection (a read that would show EOF or a pending error) before each command");
        var maxIdle = r.OptionalDuration("maxIdle", "discard a cached connection idle for longer than this before using it", d.MaxIdle) ?? d.MaxIdle;
        var keepAlive = r.OptionalDuration("keepAlive", "SO_KEEPALIVE with this TCP_KEEPIDLE (off by default)", d.KeepAlive) ?? d.KeepAlive;
        var userTimeout = r.OptionalDuration("userTimeout", "TCP_USER_TIMEOUT (off by default)", d.UserTimeout) ?? d.UserTimeout;
        var ping = r.OptionalDuration("pingInterval", "an application ping every this while the environment runs (timers pause while frozen)", d.PingInterval) ?? d.PingInterval;
        var setup = r.OptionalDistribution("setupCost", "CPU time to set a connection up and close it; default from memory: 75us on a full vCPU to 6.5ms at 128 MB (MEAS, Upstash)");
        if (r.SchemaOnly)
            return null!;
        return new ClientSpec
        {
            ConnectTimeout = connect, CommandTimeout = command, Retries = retries, RetryOn = retryOnNode.Select(w => OutcomeNames.TryParse(w, out Outcome o) ? o : throw new InvalidOperationException(w)).ToHashSet(), ValidateBeforeUse = validate,
            MaxIdle = maxIdle, KeepAlive = keepAlive, UserTimeout = userTimeout, PingInterval = ping, SetupCost = setup,
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
            TcpSynLinearTimeouts = r.Int("tcp_syn_linear_timeouts", d.TcpSynLinearTimeouts, "SYN retransmissions before backoff (Linux 6.5+; 4 gives 131s)", 0, 32),
            TcpOrphanRetries = r.Int("tcp_orphan_retries", d.TcpOrphanRetries, "orphan budget (0 means 8)", 0, 255),
            TcpKeepaliveTime = r.Duration("tcp_keepalive_time", d.TcpKeepaliveTime, "idle time before keepalive probes"),
            TcpKeepaliveIntvl = r.Duration("tcp_keepalive_intvl", d.TcpKeepaliveIntvl, "time between keepalive probes"),
            TcpKeepaliveProbes = r.Int("tcp_keepalive_probes", d.TcpKeepaliveProbes, "unanswered probes before ETIMEDOUT", 1, 127),
            TcpRtoMin = r.Duration("tcp_rto_min", d.TcpRtoMin, "RTO floor"),
            TcpRtoMax = r.Duration("tcp_rto_max", d.TcpRtoMax, "RTO cap"),
        };
        if (!r.SchemaOnly && s.TcpRtoMin > s.TcpRtoMax)
            throw r.Error($"tcp_rto_min ({DurationText.Format(s.TcpRtoMin)}) must not exceed tcp_rto_max ({DurationText.Format(s.TcpRtoMax)})");
        if (!r.SchemaOnly && s.TcpRtoMin <= TimeSpan.Zero)
            throw r.ErrorAt("tcp_rto_min", "tcp_rto_min must be positive");
        return s;
    }

    private static ServerSpec ReadServer(Reader r)
    {
        string preset = r.Choice("preset", "generic", $"defaults for a kind of server: {string.Join(", ", ServerPresets.Table.Names)} (values and sources in docs/model.md)",
            ServerPresets.Table.Names.ToDictionary(k => k, k => k));
        var p = ServerPresets.Table[preset].Values;
        var port = r.OptionalInt("port", "the server's port (preset default)", 1, 65535);
        var idle = r.OptionalDuration("idleTimeout", "close connections idle this long (0s: never; preset default)");
        var check = r.OptionalChoice("idleCheck", "exact: at the timeout; cron: Redis's whole-second check, between N and N+1 s (preset default)",
            new Dictionary<string, IdleCheck> { ["exact"] = IdleCheck.Exact, ["cron"] = IdleCheck.Cron });
        var maxClients = r.OptionalInt("maxClients", "connections beyond this are refused with an error (Redis: 10000)", 1);
        var (soft, hard, evict) = r.Section("limits", "Upstash's soft and hard limits", l => (
            l.OptionalInt("soft", "above it, idle connections are evicted (new ones still accepted)", 1),
            l.OptionalInt("hard", "at it, new connections are rejected", 1),
            l.Duration("evictIdleAfter", TimeSpan.FromSeconds(1), "a connection counts as idle for eviction after this long without a command (FOLK)")));
        var keepAlive = r.OptionalDuration("keepAlive", "server-side SO_KEEPALIVE idle time; probes every third of it, 3 probes (Redis tcp-keepalive: 300s; 0s: off)");
        var response = r.Distribution("responseTime", new Constant(0.0001), "time to answer a command");
        var host = r.Section("host", "the server's kernel sysctls, Linux names", ReadSysctls);
        var noSocket = r.Choice("noSocket", NoSocketPolicy.Reset, "what the server's host does with a segment for no socket: rst (RFC 9293) or drop (a DROP firewall policy)",
            new Dictionary<string, NoSocketPolicy> { ["rst"] = NoSocketPolicy.Reset, ["drop"] = NoSocketPolicy.Drop });
        if (r.SchemaOnly)
            return null!;
        if (soft is { } s && hard is { } h && s > h)
            throw r.ErrorAt("limits", $"the soft limit ({s}) must not exceed the hard limit ({h})");
        return new ServerSpec
        {
            Preset = preset, Port = (ushort)(port ?? p.Port),
            IdleTimeout = idle is { } i ? (i == TimeSpan.Zero ? null : i) : p.IdleTimeout,
            IdleCheck = check ?? p.Check, MaxClients = maxClients ?? p.MaxClients, SoftLimit = soft, HardLimit = hard, EvictIdleAfter = evict,
            KeepAlive = keepAlive is { } k ? (k == TimeSpan.Zero ? null : k) : p.KeepAlive,
            ResponseTime = response, Host = host, NoSocket = noSocket,
        };
    }

    private static NetworkSpec ReadNetwork(Reader r)
    {
        var latency = r.Distribution("latency", new Constant(0.0005), "one-way latency between a function and the server");
        var boxes = r.List("middleboxes", "boxes on the path that forget idle flows", b =>
        {
            string preset = b.Choice("preset", "aws-nat-gateway", $"a kind of box: {string.Join(", ", MiddleboxPresets.Table.Names)} (timeouts, behaviour and sources in docs/model.md)",
                MiddleboxPresets.Table.Names.ToDictionary(k => k, k => k));
            var idle = b.OptionalDuration("idleTimeout", "override the preset's idle timeout");
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
            return new MiddleboxSpec(name ?? preset, profile);
        });
        if (r.SchemaOnly)
            return null!;
        return new NetworkSpec { Latency = latency, Middleboxes = boxes };
    }

    private static TrafficSpec ReadTraffic(Reader r, IReadOnlySet<string> functions)
    {
        string function = r.Name("function", "the function invoked", functions, required: true)!;
        var at = r.DistributionList("at", "explicit instants; each may be a distribution, like [0s, { uniform: [250s, 350s] }]");
        var every = r.OptionalDistribution("every", "time between invocations: a plain duration gives a steady rate, { exponential: { mean: 200s } } Poisson arrivals");
        var from = r.Duration("from", TimeSpan.Zero, "start of 'every' or 'burst' traffic");
        var until = r.OptionalDuration("until", "end of 'every' traffic (default: the horizon)");
        var (count, over) = r.Section("burst", "count invocations spread evenly over a span, starting at 'from'", b => (
            b.Int("count", 0, "how many", 0),
            b.Duration("over", TimeSpan.Zero, "the span they are spread over")));
        if (r.SchemaOnly)
            return null!;
        if (at.Count == 0 && every is null && count == 0)
            throw r.Error($"traffic for '{function}' needs 'at', 'every' or 'burst'");
        if (every is not null && every.Mean <= 0)
            throw r.ErrorAt("every", "'every' must have a positive mean");
        if (until is { } u && u < from)
            throw r.ErrorAt("until", $"'until' ({DurationText.Format(u)}) is before 'from' ({DurationText.Format(from)})");
        return new TrafficSpec { Function = function, At = at, Every = every, From = from, Until = until, BurstCount = count, BurstAt = from, BurstOver = over };
    }

    private static EventSpec ReadEvent(Reader r, IReadOnlySet<string> functions)
    {
        var partition = r.Section("partition", "the path drops everything in both directions", p => (p.OptionalDuration("from", "start"), p.OptionalDuration("to", "end")));
        var redeploy = r.Section("redeploy", "a new version: environments of the function are abandoned", p => (p.OptionalDuration("at", "when"), p.Name("function", "which function", functions, required: false)));
        var restart = r.Section("serverRestart", "the server process restarts: its connections are closed, and it listens again after the downtime", p => (p.OptionalDuration("at", "when"), p.Duration("downtime", TimeSpan.FromSeconds(1), "how long it is down")));
        if (r.SchemaOnly)
            return null!;
        int kinds = (r.Has("partition") ? 1 : 0) + (r.Has("redeploy") ? 1 : 0) + (r.Has("serverRestart") ? 1 : 0);
        if (kinds != 1)
            throw r.Error("each event is exactly one of: partition: { from, to }, redeploy: { at, function }, serverRestart: { at, downtime }");
        if (r.Has("partition"))
        {
            if (partition.Item1 is not { } from || partition.Item2 is not { } to || to <= from)
                throw r.ErrorAt("partition", "a partition needs 'from' and 'to', with to after from, like { from: 5s, to: 120s }");
            return new EventSpec(EventKind.Partition, from, to, null);
        }
        if (r.Has("redeploy"))
        {
            if (redeploy.Item1 is not { } at || redeploy.Item2 is not { } f)
                throw r.ErrorAt("redeploy", "a redeploy needs 'at' and 'function', like { at: 30m, function: hello }");
            return new EventSpec(EventKind.Redeploy, at, at, f);
        }
        if (restart.Item1 is not { } when)
            throw r.ErrorAt("serverRestart", "a server restart needs 'at', like { at: 10m, downtime: 5s }");
        return new EventSpec(EventKind.ServerRestart, when, when + restart.Item2, null);
    }

    private static ExpectSpec ReadExpect(Reader r, IReadOnlySet<string> functions)
    {
        var at = r.OptionalDuration("at", "the instant: the request that starts then, or the moment a count is taken");
        string? function = r.Name("function", "only requests of this function", functions, required: false);
        string? outcome = r.OptionalString("outcome", "ok, error (any error), EOF, ECONNRESET, EPIPE, ETIMEDOUT, ECONNREFUSED, REJECTED or THROTTLED");
        string? origin = r.OptionalString("origin", "fin, rst, kernel-timeout, library-timeout, server or platform");
        int? count = r.OptionalInt("count", "exactly this many", 0);
        int? atLeast = r.OptionalInt("atLeast", "at least this many", 0);
        int? atMost = r.OptionalInt("atMost", "at most this many", 0);
        int? zombies = r.OptionalInt("zombies", "server sockets whose client environment is frozen or destroyed, at 'at'", 0);
        int? serverConnections = r.OptionalInt("serverConnections", "server sockets (optionally in 'state') at 'at'", 0);
        string? state = r.OptionalString("state", "with serverConnections: a TCP state such as ESTABLISHED or FIN_WAIT_2");
        if (r.SchemaOnly)
            return null!;
        var outcomes = OutcomeNames.ExpectationWords;
        Outcome? parsedOutcome = null;
        if (outcome is not null && outcome != OutcomeNames.AnyError)
            parsedOutcome = OutcomeNames.TryParse(outcome, out Outcome o) ? o
                : throw r.ErrorAt("outcome", $"'{outcome}' is not an outcome: expected one of {string.Join(", ", outcomes)}{Reader.Suggest(outcome, outcomes)}");
        Origin? parsedOrigin = null;
        if (origin is not null)
            parsedOrigin = OutcomeNames.TryParse(origin, out Origin g) ? g
                : throw r.ErrorAt("origin", $"'{origin}' is not an origin: expected one of {string.Join(", ", OutcomeNames.OriginWords)}");
        TcpState? parsedState = null;
        if (state is not null)
        {
            var states = Enum.GetValues<TcpState>().ToDictionary(s => s.Name(), s => s);
            parsedState = states.TryGetValue(state, out var st) ? st
                : throw r.ErrorAt("state", $"'{state}' is not a TCP state: expected one of {string.Join(", ", states.Keys)}{Reader.Suggest(state, states.Keys)}");
        }
        int kinds = (outcome is not null || origin is not null ? 1 : 0) + (zombies is not null ? 1 : 0) + (serverConnections is not null ? 1 : 0);
        if (kinds != 1)
            throw r.Error("each expectation is about one thing: an 'outcome' (with at, function, count/atLeast/atMost), 'zombies' or 'serverConnections' (with at)");
        if (zombies is not null || serverConnections is not null)
        {
            if (at is null)
                throw r.Error("'zombies' and 'serverConnections' need 'at', the instant they are counted");
            return new ExpectSpec
            {
                Kind = zombies is not null ? ExpectKind.Zombies : ExpectKind.ServerConnections, At = at, Count = zombies ?? serverConnections, State = parsedState,
                Text = zombies is not null ? $"at {DurationText.Format(at.Value)}: {zombies} zombies"
                    : $"at {DurationText.Format(at.Value)}: {serverConnections} server connections{(state is null ? "" : " in " + state)}",
            };
        }
        if (at is not null && (count ?? atLeast ?? atMost) is not null)
            throw r.Error("an outcome expectation with 'at' is about the one request starting then; drop count/atLeast/atMost, or drop 'at'");
        if (at is null && (count ?? atLeast ?? atMost) is null)
            throw r.Error("an outcome expectation needs 'at' (one request) or count/atLeast/atMost (how many requests)");
        string what = $"{outcome ?? "any outcome"}{(origin is null ? "" : $" ({origin})")}{(function is null ? "" : $" for {function}")}";
        string text = at is { } a ? $"the request at {DurationText.Format(a)}{(function is null ? "" : $" of {function}")} is {outcome ?? "any outcome"}{(origin is null ? "" : $" ({origin})")}"
            : count is { } c ? $"exactly {c} requests {what}"
            : $"{(atLeast is { } l ? $"at least {l} " : "")}{(atMost is { } m ? $"{(atLeast is null ? "" : "and ")}at most {m} " : "")}requests {what}";
        return new ExpectSpec { Kind = ExpectKind.Outcome, At = at, Function = function, Outcome = parsedOutcome, AnyError = outcome == OutcomeNames.AnyError, Origin = parsedOrigin, Count = count, AtLeast = atLeast, AtMost = atMost, Text = text };
    }

    private static SearchSection ReadSearch(Reader r)
    {
        var vary = r.List("vary", "the parameters to vary", v =>
        {
            string path = v.RequiredString("path", "a scenario path, as for --set: server.idleTimeout");
            string? range = v.OptionalString("range", "FROM..TO[:STEP], like 60s..400s:10s");
            var values = v.Strings("values", "the values, instead of a range: [250s, 300s, 310s]");
            if (v.SchemaOnly)
                return default;
            if ((range is null) == (values.Count == 0))
                throw v.Error($"vary '{path}' needs either 'range' (like 60s..400s:10s) or 'values' (like [250s, 300s, 310s])");
            try
            {
                return (path, range is null ? values : Zombiesim.Core.Search.Parameter.ParseValues(range, "range"));
            }
            catch (BadInputException e)
            {
                throw v.ErrorAt("range", e.Problem);
            }
        });
        int? replications = r.OptionalInt("replications", "runs per point, replication i with seed + i at every point (default 100)", 1, 1_000_000);
        string? goal = r.OptionalString("goal", "'no EOF,ECONNRESET,EPIPE,ETIMEDOUT' or 'errors <= 1% at 95%'");
        string? objective = r.OptionalString("objective", "'min server.idleTimeout', 'min peakServerConnections', 'min zombieSeconds', ...");
        string? strategy = r.OptionalString("strategy", "bisect (one monotone parameter) or grid");
        int? margin = r.OptionalInt("marginSteps", "steps above the boundary to recommend (default 1)", 0, 1000);
        if (r.SchemaOnly)
            return null!;
        return new SearchSection(vary, replications, goal, objective, strategy, margin);
    }

    // ---------------------------------------------------------------- --set

    private static void ApplySet(ref YamlNode root, string assignment, int index, Scenarios.Origins origins)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0)
            throw new ScenarioException($"--set #{index + 1}", 1, 1, $"'{assignment}' is not path=value, like server.idleTimeout=310s or traffic.0.at=[0s,75s]");
        string path = assignment[..eq].Trim();
        string valueText = assignment[(eq + 1)..];
        YamlNode value;
        try
        {
            var s = new YamlStream();
            s.Load(new StringReader(valueText.Length == 0 ? "''" : valueText));
            value = s.Documents.Count == 0 ? new YamlScalarNode("") : s.Documents[0].RootNode;
        }
        catch (YamlException e)
        {
            throw new ScenarioException($"--set #{index + 1} ({assignment})", 1, eq + 1 + e.Start.Column, $"the value is not valid YAML: {Inner(e).Message}");
        }
        MarkFromSet(value, assignment, index, origins);
        string[] parts = path.Split('.');
        YamlNode current = root;
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i];
            bool last = i == parts.Length - 1;
            string soFar = string.Join('.', parts.Take(i + 1));
            switch (current)
            {
                case YamlMappingNode m:
                {
                    var key = new YamlScalarNode(part);
                    if (last)
                    {
                        m.Children[key] = value;
                        origins.FromSet[key] = (assignment, index);
                        foreach (var k in m.Children.Keys.Where(k => k.Equals(key)))
                            origins.FromSet[k] = (assignment, index);
                        return;
                    }
                    if (!m.Children.TryGetValue(key, out var next))
                    {
                        next = int.TryParse(parts[i + 1], out _) ? new YamlSequenceNode() : new YamlMappingNode();
                        m.Children[key] = next;
                        origins.FromSet[next] = (assignment, index);
                        foreach (var k in m.Children.Keys.Where(k => k.Equals(key)))
                            origins.FromSet[k] = (assignment, index);
                    }
                    current = next;
                    break;
                }
                case YamlSequenceNode seq:
                {
                    if (!int.TryParse(part, out int n) || n < 0 || n >= seq.Children.Count)
                        throw new ScenarioException($"--set #{index + 1} ({assignment})", 1, 1,
                            $"'{soFar}' does not exist: the list has {seq.Children.Count} item(s), so the index must be 0 to {seq.Children.Count - 1}");
                    if (last)
                    {
                        seq.Children[n] = value;
                        return;
                    }
                    current = seq.Children[n];
                    break;
                }
                default:
                    throw new ScenarioException($"--set #{index + 1} ({assignment})", 1, 1,
                        $"'{string.Join('.', parts.Take(i))}' is a single value, so '{soFar}' does not exist");
            }
        }
    }

    private static void MarkFromSet(YamlNode node, string assignment, int index, Scenarios.Origins origins)
    {
        origins.FromSet[node] = (assignment, index);
        foreach (var child in node.AllNodes)
            origins.FromSet[child] = (assignment, index);
    }

    private static Exception Inner(YamlException e) => e.InnerException is YamlException inner ? inner : e;
}
