using Zombiesim.Core.Presets;
using Zombiesim.Core.Random;

namespace Zombiesim.Core.Platforms;

/// <summary>What a platform preset sets; a scenario's own `platform` keys override each value.</summary>
public sealed record PlatformDefaults(Distribution FreezeAfter, FreezeMode FreezeMode, Distribution ReapAfter, Distribution ColdStart,
    bool ShutdownHook, Distribution? MaxLifetime, int Concurrency)
{
    /// <summary>What happens to an instance between requests.</summary>
    public IdleMode Idle { get; init; } = IdleMode.Freeze;
    /// <summary>Lambda extensions: they set the shutdown phase (0, 500 or 2,000 ms).</summary>
    public ExtensionKind Extensions { get; init; }
    /// <summary>How long the instance (its kernel included) lives on once its shutdown begins; null: from the extensions.</summary>
    public TimeSpan? ShutdownPhase { get; init; }
    /// <summary>Instances initialised ahead of traffic and kept warm (provisioned concurrency, min instances).</summary>
    public int Provisioned { get; init; }
    /// <summary>Whether environments are restored from a snapshot taken after init (SnapStart).</summary>
    public bool Snapshot { get; init; }
    /// <summary>Time to restore an environment from its snapshot.</summary>
    public Distribution RestoreLatency { get; init; } = new Constant(0.2);
    /// <summary>The share of a CPU user space gets while throttled (0: none).</summary>
    public double CpuFraction { get; init; }
    /// <summary>Invocations one instance serves at once.</summary>
    public int InstanceConcurrency { get; init; } = 1;
    /// <summary>The most instances of a function; null: bounded by concurrency only.</summary>
    public int? MaxInstances { get; init; }
    /// <summary>How long a request waits for a free instance at max instances before it is refused.</summary>
    public TimeSpan QueueTimeout { get; init; }
    /// <summary>A middlebox preset the platform puts on every path to the server; null: none.</summary>
    public string? PathMiddlebox { get; init; }
    /// <summary>Whether a socket cannot outlive the request that opened it.</summary>
    public bool PerRequestSockets { get; init; }
    /// <summary>The most outbound connections one instance may hold (Azure's sandbox); past it connect() fails with EACCES.</summary>
    public OutboundLimit Outbound { get; init; } = OutboundLimit.None;
}

/// <summary>The platform presets, each with its source. docs/model.md shows this table; the
/// behaviour behind each value, with a source per value, is in the table above it there.</summary>
public static class PlatformPresets
{
    /// <summary>The preset a scenario gets when it names none.</summary>
    public const string Default = "aws-lambda";

    private static readonly PlatformDefaults Lambda = new(new Constant(0), FreezeMode.Process, new Constant(600), new Constant(0.2), false,
        new Constant(7200), 1000);

    public static PresetTable<PlatformDefaults> Table { get; } = new("platform",
    [
        new(Default, Lambda,
            new(SourceKind.Doc,
                "AWS Lambda developer guide (execution environment lifecycle: Init, Invoke, Shutdown; the shutdown phase lasts "
                + "0 ms without extensions, 500 ms with internal, 2,000 ms with external ones; quotas: 1,000 concurrent executions "
                + "per region). Reaping after 10 min idle is MEAS (mikhail.io, since July 2019); busy environments recycled after "
                + "about 2 h is MEAS (mikhail.io); freezing at once, in process mode, and a 0.2 s cold start are FOLK, "
                + "parameters of the scenario"),
            "freeze at once (process); reaped after 600 s idle; cold start 0.2 s; no extensions (shutdown phase 0 ms), "
            + "no shutdown hook; busy environments recycled after 2 h; concurrency 1000"),
        new("aws-lambda-provisioned", Lambda with { Provisioned = 1 },
            new(SourceKind.Doc,
                "AWS Lambda developer guide (provisioned concurrency: environments initialised before invocations, the Init "
                + "phase runs ahead of traffic; init code may run up to 15 min). Kept warm (not reaped) is DOC; the count (1 "
                + "unless set) is the scenario's; periodic recycling at about 2 h is FOLK (reported, not published), a parameter"),
            "as aws-lambda, with 1 environment initialised at 0 s, frozen until its first event, never reaped, "
            + "recycled (and replaced) after 2 h"),
        new("aws-lambda-snapstart", Lambda with { Snapshot = true },
            new(SourceKind.Doc,
                "AWS Lambda developer guide (SnapStart: Init runs when a version is published, a snapshot of memory and disk is "
                + "taken after it; before-checkpoint and after-restore runtime hooks; the after-restore hook must finish within "
                + "10 s). Connections opened in init are in the snapshot and dead on restore (aws-lambda-web-adapter #569). "
                + "Restore latency 0.2 s is FOLK, a parameter"),
            "as aws-lambda; a snapshot taken at the end of an init at 0 s (the machine paused), restored in 0.2 s by "
            + "the first invocation; no hooks unless set"),
        new("google-cloud-run", Lambda with
            {
                Idle = IdleMode.Throttle, ReapAfter = new Constant(900), ShutdownPhase = TimeSpan.FromSeconds(10), MaxLifetime = null,
                InstanceConcurrency = 80, MaxInstances = 100, QueueTimeout = TimeSpan.FromSeconds(10), Concurrency = 8000,
                CpuFraction = 0,
            },
            new(SourceKind.Doc,
                "Google Cloud Run docs: CPU allocated only during requests (throttled outside them) unless always allocated; "
                + "80 concurrent requests per instance by default; max instances 100 by default; at max instances a request "
                + "waits up to 10 s, then 429; SIGTERM, then SIGKILL 10 s later (container runtime contract). No account-wide "
                + "concurrency: the model's 8,000 is max instances times requests per instance, so it never binds first. Idle "
                + "instances kept "
                + "for up to 15 min (DOC for instances above max; otherwise \"unspecified\": FOLK, a parameter); the CPU share "
                + "while throttled, 0 (\"near zero\"), is FOLK, a parameter"),
            "throttled between requests (user space gets 0 of a CPU, the kernel runs); 80 requests per instance; idle "
            + "instances shut down after 900 s with a 10 s SIGTERM grace; at most 100 instances, then 10 s of queue and 429"),
        new("azure-functions", Lambda with
            {
                Idle = IdleMode.Run, ReapAfter = new Constant(1200), MaxLifetime = null, InstanceConcurrency = 100,
                MaxInstances = 200, PathMiddlebox = "azure-load-balancer", Concurrency = 20000, Outbound = new(600, 1200),
            },
            new(SourceKind.Doc,
                "Microsoft docs (Azure Functions, Consumption plan; \"Manage connections in Azure Functions\" of 2021-08-23 and the "
                + "service limits table, functions-limits.md of 2023-05-23): 600 active (1,200 total) outbound connections per instance, "
                + "past it the runtime logs \"Host thresholds exceeded: Connections\"; max 200 instances (Windows); Azure Load "
                + "Balancer idle timeout 4 min, silent drop. The process keeps running between requests (DOC). What the function "
                + "sees past the limit, connect() failing at once with WSAEACCES (\"An attempt was made to access a socket in a way "
                + "forbidden by its access permissions\"), is MEAS (App Service reports of 2015-2017), EACCES in Node (libuv "
                + "src/win/error.c:72 @ v1.52.1-51-g6179e7af8); what counts as active (open, not closed by the application) "
                + "and total (every socket the kernel holds, TIME_WAIT included) is FOLK. Unload after 20 min idle and 100 "
                + "concurrent HTTP requests per instance (host.json maxConcurrentRequests) are FOLK, parameters; the model's "
                + "account-wide concurrency, 20,000, is max instances times requests per instance, so it never binds first. SNAT (128 "
                + "preallocated ports per instance and destination) is not modelled"),
            "keeps running between requests; unloaded after 1200 s idle; 100 requests per instance; at most 200 instances; "
            + "an azure-load-balancer (240 s, silent drop) on the path; 600 active (1,200 total) outbound connections per instance, "
            + "then EACCES"),
        new("vercel-fluid", Lambda with { Idle = IdleMode.Suspend, InstanceConcurrency = 100, MaxLifetime = null },
            new(SourceKind.Folk,
                "Vercel docs and blog (Fluid compute: several requests per instance, the instance suspended between them; "
                + "waitUntil and attachDatabasePool from @vercel/functions keep it running while their work or the pool's idle "
                + "timers are pending; Vercel suggests a pool idle timeout of about 5 s). How many requests per instance (100) "
                + "and reaping after 10 min (as the Lambda underneath) are FOLK, parameters"),
            "suspended (process) once no request is pending; 100 requests per instance; reaped after 600 s"),
        new("cloudflare-workers", Lambda with
            {
                Idle = IdleMode.Run, PerRequestSockets = true, MaxLifetime = null, InstanceConcurrency = 1, ColdStart = new Constant(0.005),
            },
            new(SourceKind.Doc,
                "Cloudflare Workers docs (TCP sockets, connect(): a socket belongs to the request that opened it and cannot be "
                + "used by another; the I/O context ends with the request). Isolate start 5 ms and eviction after 10 min idle are "
                + "FOLK, parameters; Hyperdrive is not modelled"),
            "a socket cannot outlive its request (each invocation connects and closes); isolates keep running; cold start 5 ms"),
    ]);
}
