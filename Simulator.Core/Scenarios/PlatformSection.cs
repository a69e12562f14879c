using Zombiesim.Core.Network;
using Zombiesim.Core.Platforms;

namespace Zombiesim.Core.Scenarios;

/// <summary>The `platform` section: a preset's row (<see cref="PlatformPresets"/>) with every key over it.</summary>
internal static class PlatformSection
{
    internal static PlatformSpec Read(Reader r)
    {
        string preset = r.Choice("preset", PlatformPresets.Default,
            $"the platform whose defaults apply: {string.Join(", ", PlatformPresets.Table.Names)} (values and sources in docs/model.md)",
            PlatformPresets.Table.Names.ToDictionary(n => n));
        var d = PlatformPresets.Table[preset].Values;
        var (freezeAfter, mode) = r.Section("freeze", "when and how an idle execution environment is frozen (or suspended)", f => (
            f.Distribution("after", d.FreezeAfter, "time from the end of an invocation to the freeze (the seed story saw 5s)"),
            f.Choice("mode", d.FreezeMode,
                "process: the kernel still ACKs and resets; vm: the whole microVM is paused (undocumented by AWS: FOLK)",
                new Dictionary<string, FreezeMode> { ["process"] = FreezeMode.Process, ["vm"] = FreezeMode.Vm })));
        var reap = r.Section("reap", "destruction of idle environments", x =>
            x.Distribution("after", d.ReapAfter,
                "idle time after the last invocation until the environment is destroyed (MEAS: "
                    + "10 min since 2019; the 2020 story assumed 300s)"));
        var coldStart = r.Distribution("coldStart", d.ColdStart, "time to create an environment and run the init code");
        bool hook = r.Bool("shutdownHook", d.ShutdownHook,
            "true: cached connections are closed cleanly when an environment is destroyed (needs an extension on Lambda)");
        var maxLifetime = r.OptionalDistribution("maxLifetime",
            "environments are recycled after this age, at the end of an invocation (MEAS: about 2h)", d.MaxLifetime) ?? d.MaxLifetime;
        int concurrency = r.Int("concurrency", d.Concurrency, "the account's regional concurrency limit (DOC: 1000)", 1);
        var idle = r.Choice("idle", d.Idle,
            "what an instance does between requests: freeze (Lambda), throttle (Cloud Run), suspend (Vercel), run (Azure, Workers)",
            new Dictionary<string, IdleMode>
            {
                ["freeze"] = IdleMode.Freeze, ["throttle"] = IdleMode.Throttle, ["suspend"] = IdleMode.Suspend, ["run"] = IdleMode.Run,
            });
        var extensions = r.Choice("extensions", d.Extensions,
            "Lambda extensions: none, internal or external; they set the shutdown phase to 0, 500 or 2000 ms (DOC)",
            new Dictionary<string, ExtensionKind>
            {
                ["none"] = ExtensionKind.None, ["internal"] = ExtensionKind.Internal, ["external"] = ExtensionKind.External,
            });
        var phase = r.OptionalDuration("shutdownPhase",
            "how long an instance, its kernel included, lives on once its shutdown begins (default: from extensions; Cloud Run: "
                + "the 10s SIGTERM grace)", d.ShutdownPhase);
        int provisioned = r.Int("provisioned", d.Provisioned,
            "environments per function initialised at 0s ahead of traffic, kept warm, never reaped (provisioned concurrency, min "
                + "instances)", 0, 10000);
        bool snapshot = r.Bool("snapStart", d.Snapshot,
            "environments are restored from a snapshot taken after an init at 0s (Lambda SnapStart)");
        var restore = r.Distribution("restoreLatency", d.RestoreLatency, "with snapStart: time to restore an environment (FOLK)");
        bool beforeCheckpoint = r.Bool("beforeCheckpointHook", false,
            "with snapStart: a before-checkpoint hook closes the connections opened in init before the snapshot");
        bool afterRestore = r.Bool("afterRestoreHook", false,
            "with snapStart: an after-restore hook drops the connections found in the snapshot and reconnects lazily");
        double cpu = r.Double("cpuFraction", d.CpuFraction,
            "with idle throttle: the share of a CPU user space gets outside requests; 0: none (FOLK: \"near zero\")", 0, 1);
        int perInstance = r.Int("instanceConcurrency", d.InstanceConcurrency,
            "invocations one instance serves at once (more than 1 needs client.pool: they share it)", 1, 1000);
        int? maxInstances = r.OptionalInt("maxInstances", "the most instances of a function (Cloud Run: 100)", 1, 1000000, d.MaxInstances)
            ?? d.MaxInstances;
        var queue = r.Duration("queueTimeout", d.QueueTimeout,
            "at maxInstances, how long a request waits for a free slot before it is refused (Cloud Run: 10s, then 429)");
        string pathBox = r.Choice("pathMiddlebox", d.PathMiddlebox ?? "none",
            $"a box the platform puts on every path: none, {string.Join(", ", MiddleboxPresets.Table.Names)} (Azure: azure-load-balancer)",
            MiddleboxPresets.Table.Names.Prepend("none").ToDictionary(k => k, k => k));
        bool perRequest = r.Bool("perRequestSockets", d.PerRequestSockets,
            "a socket cannot outlive its request: every invocation connects and closes (Cloudflare Workers)");
        bool poolHook = r.Bool("poolHook", false,
            "with idle suspend: attachDatabasePool, which keeps the instance running while the pool's idle timers are pending");
        var waitUntil = r.Duration("waitUntil", TimeSpan.Zero,
            "with idle suspend: background work (waitUntil) that keeps the instance running this long after each request");
        var outbound = r.Section("outboundConnections",
            "the most outbound connections one instance may hold; past either count connect() fails at once with EACCES "
                + "(Azure Functions Consumption: 600 active, 1200 in all)", o => new OutboundLimit(
                o.Int("active", d.Outbound.Active,
                    "sockets the application holds open (SYN_SENT to CLOSE_WAIT); 0: no limit (FOLK: how the sandbox counts)", 0),
                o.Int("total", d.Outbound.Total, "every socket the kernel holds, TIME_WAIT included; 0: no limit (FOLK)", 0)));
        if (r.SchemaOnly)
            return null!;
        if (provisioned > 0 && snapshot)
            throw r.ErrorAt("snapStart", "Lambda does not combine SnapStart with provisioned concurrency; set one of them");
        return new PlatformSpec
        {
            FreezeAfter = freezeAfter, FreezeMode = mode, ReapAfter = reap, ColdStart = coldStart, ShutdownHook = hook,
            MaxLifetime = maxLifetime, Concurrency = concurrency, Preset = preset, Idle = idle, Extensions = extensions,
            ShutdownPhase = phase ?? d.ShutdownPhase ?? extensions.ShutdownPhase(), Provisioned = provisioned,
            Snapshot = snapshot ? new SnapshotSpec(restore, beforeCheckpoint, afterRestore) : null, CpuFraction = cpu,
            InstanceConcurrency = perInstance, MaxInstances = maxInstances, QueueTimeout = queue,
            PathMiddlebox = pathBox == "none" ? null : new MiddleboxSpec(pathBox, MiddleboxPresets.Table[pathBox].Values),
            PerRequestSockets = perRequest, PoolHook = poolHook, WaitUntil = waitUntil, Outbound = outbound,
        };
    }
}
