using FluentAssertions;
using Xunit;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Tests.Core;

/// <summary>
/// Each platform preset, loaded as a user writes it, has the defaults its source states, and the
/// source says so (the citation carries the figure); every value yields to the scenario's own key.
/// </summary>
public class PlatformPresetTests
{
    private static PlatformSpec Platform(string platform) =>
        ScenarioLoader.Load($"name: t\nplatform: {platform}\nfunctions:\n  - name: f\n    client: {{ pool: {{}} }}\n", "t.yaml").Platform;

    private static string Source(string preset) => PlatformPresets.Table[preset].Source.ToString();

    private static TimeSpan S(double s) => TimeSpan.FromSeconds(s);

    [Fact]
    public void Aws_lambda_freezes_at_once_reaps_after_10_minutes_and_has_no_shutdown_phase_without_extensions()
    {
        var p = Platform("{}");
        (p.Preset, p.Idle, p.FreezeMode, p.ShutdownPhase, p.Provisioned, p.Snapshot).Should()
            .Be(("aws-lambda", IdleMode.Freeze, FreezeMode.Process, TimeSpan.Zero, 0, (SnapshotSpec?)null));
        ((Constant)p.ReapAfter).Value.Should().Be(600);
        ((Constant)p.MaxLifetime!).Value.Should().Be(7200);
        (p.Concurrency, p.InstanceConcurrency, p.ShutdownHook, p.Extensions).Should().Be((1000, 1, false, ExtensionKind.None));
        (((Constant)p.ColdStart).Value, ((Constant)p.FreezeAfter).Value).Should().Be((0.2, 0.0));
        Source("aws-lambda").Should().StartWith("DOC: ")
            .And.Contain("0 ms without extensions, 500 ms with internal, 2,000 ms with external")
            .And.Contain("1,000 concurrent executions").And.Contain("10 min idle is MEAS").And.Contain("about 2 h is MEAS");
    }

    [Theory]
    [InlineData("none", 0)]
    [InlineData("internal", 500)]
    [InlineData("external", 2000)]
    public void Lambda_extensions_set_the_shutdown_phase_as_the_lambda_docs_say(string extensions, int ms)
    {
        Platform($"{{ extensions: {extensions} }}").ShutdownPhase.Should().Be(TimeSpan.FromMilliseconds(ms));
        Platform($"{{ extensions: {extensions}, shutdownPhase: 1s }}").ShutdownPhase.Should().Be(S(1), "the key overrides");
    }

    [Fact]
    public void Aws_lambda_provisioned_initialises_one_environment_ahead_of_traffic()
    {
        var p = Platform("{ preset: aws-lambda-provisioned }");
        (p.Provisioned, p.Idle, p.ShutdownPhase).Should().Be((1, IdleMode.Freeze, TimeSpan.Zero));
        Platform("{ preset: aws-lambda-provisioned, provisioned: 5 }").Provisioned.Should().Be(5);
        Source("aws-lambda-provisioned").Should().Contain("initialised before invocations").And.Contain("recycling at about 2 h is FOLK");
    }

    [Fact]
    public void Aws_lambda_snapstart_restores_in_200ms_without_hooks_unless_set()
    {
        var p = Platform("{ preset: aws-lambda-snapstart }");
        p.Snapshot.Should().NotBeNull();
        ((Constant)p.Snapshot!.RestoreLatency).Value.Should().Be(0.2);
        (p.Snapshot.BeforeCheckpointCloses, p.Snapshot.AfterRestoreReconnects).Should().Be((false, false));
        Platform("{ preset: aws-lambda-snapstart, afterRestoreHook: true }").Snapshot!.AfterRestoreReconnects.Should().BeTrue();
        Source("aws-lambda-snapstart").Should().Contain("before-checkpoint and after-restore").And.Contain("within 10 s")
            .And.Contain("aws-lambda-web-adapter #569").And.Contain("Restore latency 0.2 s is FOLK");
    }

    [Fact]
    public void Snapstart_and_provisioned_concurrency_cannot_be_combined()
    {
        var act = () => Platform("{ preset: aws-lambda-snapstart, provisioned: 1 }");
        act.Should().Throw<BadInputException>().WithMessage("*SnapStart*provisioned*");
    }

    [Fact]
    public void Google_cloud_run_throttles_serves_80_at_once_and_queues_10s_at_100_instances_then_429()
    {
        var p = Platform("{ preset: google-cloud-run }");
        (p.Idle, p.CpuFraction, p.InstanceConcurrency, p.MaxInstances, p.QueueTimeout, p.ShutdownPhase).Should()
            .Be((IdleMode.Throttle, 0.0, 80, (int?)100, S(10), S(10)));
        p.Concurrency.Should().Be(100 * 80, "max instances times requests per instance: no account-wide limit binds first");
        ((Constant)p.ReapAfter).Value.Should().Be(900);
        p.MaxLifetime.Should().BeNull();
        Platform("{ preset: google-cloud-run, cpuFraction: 0.01, instanceConcurrency: 1 }").Should()
            .Match<PlatformSpec>(x => x.CpuFraction == 0.01 && x.InstanceConcurrency == 1);
        Source("google-cloud-run").Should().Contain("80 concurrent requests per instance").And.Contain("max instances 100")
            .And.Contain("waits up to 10 s, then 429").And.Contain("SIGKILL 10 s later").And.Contain("0 (\"near zero\"), is FOLK")
            .And.Contain("max instances times requests per instance");
    }

    [Fact]
    public void Azure_functions_keeps_running_and_puts_the_azure_load_balancer_on_the_path()
    {
        var p = Platform("{ preset: azure-functions }");
        (p.Idle, p.MaxInstances, p.InstanceConcurrency, p.Concurrency).Should().Be((IdleMode.Run, (int?)200, 100, 200 * 100));
        ((Constant)p.ReapAfter).Value.Should().Be(1200);
        p.PathMiddlebox!.Profile.IdleTimeout.Should().Be(TimeSpan.FromMinutes(4));
        p.PathMiddlebox.Profile.OnExpired.Should().Be(Zombiesim.Tcp.FlowAction.Drop);
        Platform("{ preset: azure-functions, pathMiddlebox: none }").PathMiddlebox.Should().BeNull();
        p.Outbound.Should().Be(new OutboundLimit(600, 1200));
        Platform("{ preset: azure-functions, outboundConnections: { active: 10 } }").Outbound.Should().Be(new OutboundLimit(10, 1200));
        Platform("{}").Outbound.IsNone.Should().BeTrue("Lambda documents no outbound connection limit");
        Source("azure-functions").Should().Contain("600 active (1,200 total) outbound connections per instance")
            .And.Contain("Host thresholds exceeded: Connections").And.Contain("idle timeout 4 min, silent drop")
            .And.Contain("WSAEACCES").And.Contain("EACCES in Node (libuv src/win/error.c:72 @ v1.52.1")
            .And.Contain("what counts as active (open, not closed by the application) and total").And.Contain("is FOLK")
            .And.Contain("20 min idle and 100 concurrent HTTP requests per instance").And.Contain("SNAT");
    }

    [Fact]
    public void Vercel_fluid_suspends_between_requests_and_has_no_pool_hook_unless_set()
    {
        var p = Platform("{ preset: vercel-fluid }");
        (p.Idle, p.InstanceConcurrency, p.PoolHook, p.WaitUntil).Should().Be((IdleMode.Suspend, 100, false, TimeSpan.Zero));
        (((Constant)p.ReapAfter).Value, p.FreezeMode, p.MaxLifetime).Should().Be((600.0, FreezeMode.Process, (Distribution?)null));
        Platform("{ preset: vercel-fluid, poolHook: true, waitUntil: 2s }").Should()
            .Match<PlatformSpec>(x => x.PoolHook && x.WaitUntil == S(2));
        Source("vercel-fluid").Should().StartWith("FOLK: ").And.Contain("attachDatabasePool").And.Contain("waitUntil");
    }

    [Fact]
    public void Cloudflare_workers_give_every_request_its_own_socket()
    {
        var p = Platform("{ preset: cloudflare-workers }");
        (p.PerRequestSockets, p.Idle, p.InstanceConcurrency, p.MaxLifetime).Should().Be((true, IdleMode.Run, 1, (Distribution?)null));
        (((Constant)p.ColdStart).Value, ((Constant)p.ReapAfter).Value).Should().Be((0.005, 600.0));
        Source("cloudflare-workers").Should().Contain("Isolate start 5 ms and eviction after 10 min idle are FOLK");
        Source("cloudflare-workers").Should().Contain("cannot be used by another").And.Contain("Hyperdrive is not modelled");
    }

    [Fact]
    public void An_unknown_preset_is_refused_with_the_known_ones()
    {
        var act = () => Platform("{ preset: heroku }");
        act.Should().Throw<BadInputException>().WithMessage("*aws-lambda*google-cloud-run*");
    }
}
