using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tcp;

namespace Zombiesim.Tests.World;

/// <summary>
/// Each platform preset's lifecycle, instant by instant. The path is 0.5 ms each way, the server
/// answers at once, and set-up and cold start cost nothing unless said: a command on a new
/// connection takes 2.1 ms (handshake 1 ms, command and reply 1.1 ms), on an open one 1.1 ms.
/// </summary>
public class PlatformLifecycleTests
{
    private static RunRecorder Run(string platform, string at, string client = "", string server = "idleTimeout: 0s",
        string horizon = "400s", string function = "", params string[] sets)
    {
        string yaml = $"""
            name: lifecycle
            horizon: {horizon}
            platform: {platform}
            functions:
              - name: fn
                timeout: 30s
                client: {"{"} setupCost: 0s{client} {"}"}
                {function}
            server:
              preset: generic
              {server}
            network:
              latency: 0.5ms
            traffic:
              - function: fn
                at: {at}
            """;
        return Scenarios.RunYaml(yaml, "lifecycle.yaml", sets).Records;
    }

    /// <summary>The server's side of a connection opened at 0 s: SYN at 0.5 ms, its ACK at 1.5 ms.</summary>
    private static readonly (TimeSpan, TcpState)[] Opened = [(S(0.0005), TcpState.SynReceived), (S(0.0015), TcpState.Established)];

    private static TimeSpan S(double seconds) => TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));

    private static IEnumerable<(TimeSpan, string, LifecycleEvent)> Life(RunRecorder r) =>
        r.Lifecycle.Select(l => (l.T, l.Environment, l.Event));

    private static IEnumerable<(TimeSpan, TcpState)> Server(RunRecorder r, string connection) =>
        r.Transitions.Where(t => t.Host == "server" && t.Connection == connection).Select(t => (t.T, t.To));

    [Fact]
    public void Lambda_with_an_external_extension_shuts_down_for_2s_so_the_hook_closes_the_server_socket_cleanly()
    {
        var r = Run("{ freeze: { after: 0s }, reap: { after: 300s }, coldStart: 0s, extensions: external, shutdownHook: true }",
            "[0s]");
        Life(r).Should().Equal((S(0), "fn#1", LifecycleEvent.ColdStart), (S(0.0021), "fn#1", LifecycleEvent.Frozen),
            (S(300.0021), "fn#1", LifecycleEvent.Shutdown), (S(302.0021), "fn#1", LifecycleEvent.Destroyed));
        // The hook's FIN at 300.0021 s; the server answers with its own FIN, which the living kernel ACKs.
        Server(r, "c1").Should().Equal([.. Opened, (S(300.0026), TcpState.CloseWait),
            (S(300.0026), TcpState.LastAck), (S(300.0036), TcpState.Closed)]);
        r.Samples[^1].Server.Values.Sum().Should().Be(0, "no LAST_ACK is left to orphan retries");
    }

    [Fact]
    public void Lambda_without_extensions_destroys_at_once_and_the_hooks_fin_leaves_the_server_in_last_ack()
    {
        var r = Run("{ freeze: { after: 0s }, reap: { after: 300s }, coldStart: 0s, shutdownHook: true }", "[0s]");
        Life(r).Should().Equal((S(0), "fn#1", LifecycleEvent.ColdStart), (S(0.0021), "fn#1", LifecycleEvent.Frozen),
            (S(300.0021), "fn#1", LifecycleEvent.Destroyed));
        Server(r, "c1").Should().StartWith([.. Opened, (S(300.0026), TcpState.CloseWait),
            (S(300.0026), TcpState.LastAck)]);
        Server(r, "c1").Should().NotContain(t => t.Item2 == TcpState.Closed && t.Item1 < S(300.1),
            "the server's FIN goes to a destroyed machine: LAST_ACK retransmits until its orphan budget runs out");
    }

    [Fact]
    public void Internal_extensions_give_a_500ms_shutdown_phase()
    {
        var r = Run("{ freeze: { after: 0s }, reap: { after: 300s }, coldStart: 0s, extensions: internal }", "[0s]");
        r.Lifecycle.Where(l => l.Event is LifecycleEvent.Shutdown or LifecycleEvent.Destroyed).Select(l => l.T)
            .Should().Equal(S(300.0021), S(300.5021));
    }

    [Fact]
    public void Provisioned_environments_init_at_0s_freeze_before_their_first_event_and_are_recycled_and_replaced()
    {
        var r = Run("{ preset: aws-lambda-provisioned, coldStart: 1s, maxLifetime: 1h }", "[60s, 1800s]", horizon: "2h",
            function: "connectInInit: true");
        Life(r).Should().Equal((S(0), "fn#1", LifecycleEvent.ColdStart), (S(1), "fn#1", LifecycleEvent.Frozen),
            (S(60), "fn#1", LifecycleEvent.Thawed), (S(60.0011), "fn#1", LifecycleEvent.Frozen),
            (S(1800), "fn#1", LifecycleEvent.Thawed), (S(1800.0011), "fn#1", LifecycleEvent.Frozen),
            (S(3600), "fn#1", LifecycleEvent.Destroyed), (S(3600), "fn#2", LifecycleEvent.ColdStart),
            (S(3601), "fn#2", LifecycleEvent.Frozen), (S(7200), "fn#2", LifecycleEvent.Destroyed),
            (S(7200), "fn#3", LifecycleEvent.ColdStart));
        // Init connected c1 at 0 s, before any event: both requests use it, in 1.1 ms.
        r.Requests.Select(q => (q.Outcome, q.Connection, q.LatencyMs)).Should().Equal((Outcome.Ok, "c1", 1.1), (Outcome.Ok, "c1", 1.1));
        r.Lifecycle.Single(l => l.T == S(3600) && l.Event == LifecycleEvent.Destroyed).Reason.Should().Be(DestroyReason.MaxLifetime);
    }

    [Fact]
    public void Snapstart_restores_the_snapshot_whose_connection_the_server_forgot_and_the_first_command_gets_a_reset()
    {
        var r = Run("{ preset: aws-lambda-snapstart, coldStart: 1s }", "[300s, 301s]", server: "idleTimeout: 60s",
            function: "connectInInit: true");
        Life(r).Should().Equal((S(0), "fn#1", LifecycleEvent.ColdStart), (S(1), "fn#1", LifecycleEvent.Snapshotted),
            (S(300.2), "fn#1", LifecycleEvent.Restored), (S(300.201), "fn#1", LifecycleEvent.Frozen),
            (S(301), "fn#1", LifecycleEvent.Thawed), (S(301.0021), "fn#1", LifecycleEvent.Frozen));
        // The server closed c1 60 s after its last use; its FIN was lost on the paused machine; the orphan
        // died long before the restore.
        Server(r, "c1").Should().Equal([.. Opened, (S(60.0015), TcpState.FinWait1),
            (S(164.4495), TcpState.Closed)]);
        r.Requests.Select(q => (q.Outcome, q.Connection)).Should().Equal((Outcome.ECONNRESET, "c1"), (Outcome.Ok, "c2"));
    }

    [Fact]
    public void Snapstart_with_an_after_restore_hook_drops_the_snapshots_connection_before_the_handler()
    {
        var r = Run("{ preset: aws-lambda-snapstart, coldStart: 1s, afterRestoreHook: true }", "[300s]", server: "idleTimeout: 60s",
            function: "connectInInit: true");
        var q = r.Requests.Single();
        (q.Outcome, q.Connection, q.LatencyMs).Should().Be((Outcome.Ok, "c2", 202.1), "restore 200 ms, then a new connection");
    }

    [Fact]
    public void Cloud_run_throttles_after_the_request_the_kernel_still_answers_and_idle_instances_get_a_10s_sigterm_grace()
    {
        var r = Run("{ preset: google-cloud-run, coldStart: 0s }", "[0s, 150s]", server: "idleTimeout: 100s", horizon: "1200s");
        Life(r).Should().Equal((S(0), "fn#1", LifecycleEvent.ColdStart), (S(0.0021), "fn#1", LifecycleEvent.Throttled),
            (S(150), "fn#1", LifecycleEvent.Unthrottled), (S(150), "fn#1", LifecycleEvent.Throttled),
            (S(1050), "fn#1", LifecycleEvent.Shutdown), (S(1060), "fn#1", LifecycleEvent.Destroyed));
        // Throttled, not frozen: the kernel ACKs the server's FIN at once (FIN_WAIT_2 after the delayed ACK).
        r.Transitions.Should().Contain(t => t.Host == "fn#1" && t.T == S(100.0021) && t.To == TcpState.CloseWait);
        r.Requests[1].Outcome.Should().Be(Outcome.Eof, "the process reads the FIN only when a request gives it the CPU");
    }

    [Fact]
    public void Cloud_run_serves_concurrent_requests_on_one_instance_sharing_its_pool()
    {
        var r = Run("{ preset: google-cloud-run, coldStart: 0s }", "[0s, 0.001s, 0.002s]", client: ", pool: { max: 10 }",
            function: "work: 10ms");
        r.Requests.Should().OnlyContain(q => q.Ok && q.Environment == "fn#1");
        r.Lifecycle.Count(l => l.Event == LifecycleEvent.ColdStart).Should().Be(1);
    }

    [Fact]
    public void Cloud_run_at_max_instances_queues_a_request_then_refuses_it_with_429_after_the_queue_timeout()
    {
        var r = Run("{ preset: google-cloud-run, coldStart: 0s, maxInstances: 1, instanceConcurrency: 1, queueTimeout: 1s }",
            "[0s, 0.001s]", client: ", pool: { max: 10 }", function: "work: 5s");
        var refused = r.Requests.Single(q => q.Outcome == Outcome.Throttled);
        (refused.T, refused.LatencyMs, refused.Cause!.Kind).Should().Be((S(0.001), 1000.0, CauseKind.MaxInstances));
        refused.Cause.Text().Should().Be("all 1 instances busy and no slot free within the queue timeout of 1s (429)");
    }

    [Fact]
    public void Cloud_run_queued_request_takes_the_slot_freed_within_the_queue_timeout()
    {
        var r = Run("{ preset: google-cloud-run, coldStart: 0s, maxInstances: 1, instanceConcurrency: 1, queueTimeout: 10s }",
            "[0s, 0.001s]", client: ", pool: { max: 10 }", function: "work: 5s");
        r.Requests.Should().OnlyContain(q => q.Ok);
        r.Requests.Single(q => q.T == S(0.001)).LatencyMs.Should().BeApproximately(5000 - 1 + 2.1 + 5000 + 1.1, 1e-6);
    }

    [Fact]
    public void Vercel_suspends_at_once_but_the_pool_hook_waits_for_the_pools_idle_timer_so_no_zombie_is_left()
    {
        var without = Run("{ preset: vercel-fluid, coldStart: 0s }", "[0s]", client: ", pool: { idleTimeout: 5s }");
        Life(without).Should().Equal((S(0), "fn#1", LifecycleEvent.ColdStart), (S(0.0021), "fn#1", LifecycleEvent.Suspended));
        Server(without, "c1").Should().Equal(Opened);
        var with = Run("{ preset: vercel-fluid, coldStart: 0s, poolHook: true }", "[0s]", client: ", pool: { idleTimeout: 5s }");
        Life(with).Should().Equal((S(0), "fn#1", LifecycleEvent.ColdStart), (S(5.0021), "fn#1", LifecycleEvent.Suspended));
        Server(with, "c1").Should().Equal([.. Opened, (S(5.0026), TcpState.CloseWait),
            (S(5.0026), TcpState.LastAck), (S(5.0036), TcpState.Closed)]);
    }

    [Fact]
    public void Vercel_wait_until_keeps_the_instance_running_for_its_time()
    {
        var r = Run("{ preset: vercel-fluid, coldStart: 0s, waitUntil: 3s }", "[0s]");
        r.Lifecycle.Single(l => l.Event == LifecycleEvent.Suspended).T.Should().Be(S(3.0021), "3 s after the request ended");
    }

    [Fact]
    public void Azure_keeps_the_process_running_and_unloads_it_after_20_minutes_idle()
    {
        var r = Run("{ preset: azure-functions, coldStart: 0s }", "[0s]", horizon: "1300s");
        Life(r).Should().Equal((S(0), "fn#1", LifecycleEvent.ColdStart), (S(1200.0021), "fn#1", LifecycleEvent.Destroyed));
    }

    [Fact]
    public void Azure_load_balancer_drops_the_idle_flow_after_4_minutes_silently()
    {
        var r = Run("{ preset: azure-functions, coldStart: 0s }", "[0s, 300s]", client: ", commandTimeout: 2s");
        var late = r.Requests.Single(q => q.T == S(300));
        (late.Outcome, late.Origin).Should().Be((Outcome.ETIMEDOUT, Origin.LibraryTimeout));
        var kept = Run("{ preset: azure-functions, coldStart: 0s }", "[0s, 300s]", client: ", commandTimeout: 2s, keepAlive: 60s");
        kept.Requests.Should().OnlyContain(q => q.Ok, "keepalive probes every 60 s keep the load balancer's flow");
    }

    [Fact]
    public void Cloudflare_workers_connect_and_close_in_every_request_even_with_strategy_reuse()
    {
        var r = Run("{ preset: cloudflare-workers, coldStart: 0s }", "[0s, 10s]");
        r.Requests.Select(q => q.Connection).Should().Equal("c1", "c2");
        r.Transitions.Should().Contain(t => t.Host == "fn#1" && t.Connection == "c1" && t.T == S(0.0021) && t.To == TcpState.FinWait1);
    }

    [Fact]
    public void Cloud_run_with_a_cpu_share_runs_the_overdue_pool_timer_at_its_next_turn()
    {
        // cpuFraction 0.01: a turn every 100 ms / 0.01 = 10 s from the throttle at 2.1 ms; the pool's
        // 5 s idle timer is overdue at the first turn, 10.0021 s, and closes the connection then.
        var r = Run("{ preset: google-cloud-run, coldStart: 0s, cpuFraction: 0.01 }", "[0s]", client: ", pool: { idleTimeout: 5s }");
        r.Transitions.Where(t => t.Host == "fn#1" && t.Connection == "c1" && t.From == TcpState.Established).Select(t => (t.T, t.To))
            .Should().Equal((S(10.0021), TcpState.FinWait1));
        var none = Run("{ preset: google-cloud-run, coldStart: 0s }", "[0s]", client: ", pool: { idleTimeout: 5s }");
        Server(none, "c1").Should().Equal(Opened, "with no CPU share the timer never runs: the connection is a zombie");
    }

    [Fact]
    public void Cloudflare_workers_close_the_pool_of_a_request_when_it_ends()
    {
        var r = Run("{ preset: cloudflare-workers, coldStart: 0s }", "[0s]", client: ", pool: { max: 2 }", function: "parallel: 2");
        r.Requests.Single().Ok.Should().BeTrue();
        r.Transitions.Where(t => t.Host == "fn#1" && t.To == TcpState.FinWait1).Select(t => (t.T, t.Connection))
            .Should().Equal((S(0.0021), "c1"), (S(0.0021), "c2"));
    }

    [Fact]
    public void Azure_refuses_the_connect_past_the_instances_active_outbound_connections_with_eacces_and_sends_nothing()
    {
        var r = Run("{ preset: azure-functions, coldStart: 0s, outboundConnections: { active: 3 } }", "[0s, 1s, 2s, 3s]",
            client: ", close: never", function: "strategy: per-invocation");
        r.Requests.Select(q => (q.T, q.Outcome, q.Connection)).Should().Equal((S(0), Outcome.Ok, "c1"), (S(1), Outcome.Ok, "c2"),
            (S(2), Outcome.Ok, "c3"), (S(3), Outcome.EACCES, "c4"));
        var refused = r.Requests[^1];
        (refused.Origin, refused.LatencyMs, refused.Cause!.Kind).Should().Be((Origin.Platform, 0.0, CauseKind.Incident));
        (refused.Cause.Incident!.Kind, refused.Cause.Incident.Limit, refused.Cause.Incident.At).Should()
            .Be((IncidentKind.OutboundLimit, (int?)3, S(3)));
        refused.Cause.Text().Should().Be("at 3s the platform refused the connect: fn#1 held 3 outbound connections, its limit");
        r.Transitions.Should().NotContain(t => t.Connection == "c4", "the refused connect sends no SYN");
        Server(r, "c3").Should().Equal((S(2.0005), TcpState.SynReceived), (S(2.0015), TcpState.Established));
    }

    [Fact]
    public void Azure_counts_time_wait_sockets_in_its_total_outbound_connections_until_they_expire()
    {
        // Per-invocation connections closed by the client wait 60 s in TIME_WAIT on the instance.
        var r = Run("{ preset: azure-functions, coldStart: 0s, outboundConnections: { active: 0, total: 2 } }", "[0s, 1s, 2s, 70s]",
            function: "strategy: per-invocation");
        r.Requests.Select(q => (q.T, q.Outcome)).Should().Equal((S(0), Outcome.Ok), (S(1), Outcome.Ok), (S(2), Outcome.EACCES),
            (S(70), Outcome.Ok));
        r.Requests[2].Cause!.Incident!.Limit.Should().Be(2);
    }

    [Fact]
    public void Azure_reusing_one_static_client_never_meets_the_outbound_connection_limit()
    {
        var r = Run("{ preset: azure-functions, coldStart: 0s, outboundConnections: { active: 1, total: 1 } }", "[0s, 1s, 2s, 3s]");
        r.Requests.Should().OnlyContain(q => q.Ok && q.Connection == "c1");
    }

    [Fact]
    public void Azure_refuses_a_pools_connect_past_the_limit_and_the_library_says_connect_eacces()
    {
        var r = Run("{ preset: azure-functions, coldStart: 0s, outboundConnections: { active: 2 } }", "[0s]",
            client: ", preset: pg, pool: { max: 3 }", function: "parallel: 3");
        var q = r.Requests.Single();
        (q.Outcome, q.Origin, q.Message).Should().Be((Outcome.EACCES, Origin.Platform, "connect EACCES server:6379"));
        r.Transitions.Where(t => t.Host == "server" && t.To == TcpState.Established).Select(t => t.Connection)
            .Should().Equal("c1", "c2");
    }

    [Fact]
    public void Azure_functions_preset_limits_outbound_connections_and_zero_turns_the_limit_off()
    {
        var r = Run("{ preset: azure-functions, coldStart: 0s, outboundConnections: { active: 0, total: 0 } }",
            "[0s, 1s, 2s, 3s]", client: ", close: never", function: "strategy: per-invocation");
        r.Requests.Should().OnlyContain(q => q.Ok);
    }

    [Fact]
    public void A_handler_leaking_a_client_per_invocation_meets_azures_600_connections_at_the_601st_request_and_a_static_client_never()
    {
        var (_, rec) = Scenarios.Run("azure-outbound-connection-limit.yaml");
        // One request a second from 1 s, one instance, one leaked connection each: c1 to c600 stay open.
        var first = rec.Requests.First(q => !q.Ok);
        (first.T, first.Connection, first.Outcome, first.Origin, first.Message).Should()
            .Be((S(601), "c601", Outcome.EACCES, Origin.Platform, "connect EACCES server:6379"));
        first.Cause!.Incident!.Limit.Should().Be(600);
        rec.Requests.Count(q => q.Outcome == Outcome.EACCES).Should().Be(99, "every request from 601 s to 699 s");
        var (_, fixedRec) = Scenarios.Run("azure-outbound-connection-limit.yaml", "functions.0.strategy=reuse");
        fixedRec.Requests.Should().HaveCount(699).And.OnlyContain(q => q.Ok && q.Connection == "c1");
    }

    // Each preset with its own defaults only (cold start 0.2 s unless the preset says otherwise): init,
    // stop, wake, and destruction at the preset's reap or recycle, with no shutdown phase where it has none.

    [Fact]
    public void Aws_lambda_defaults_cold_start_200ms_freeze_at_once_thaw_and_reap_after_600s_without_a_shutdown_phase()
    {
        var r = Run("{}", "[0s, 100s]", horizon: "800s");
        Life(r).Should().Equal((S(0), "fn#1", LifecycleEvent.ColdStart), (S(0.2021), "fn#1", LifecycleEvent.Frozen),
            (S(100), "fn#1", LifecycleEvent.Thawed), (S(100.0011), "fn#1", LifecycleEvent.Frozen),
            (S(700.0011), "fn#1", LifecycleEvent.Destroyed));
        r.Lifecycle[^1].Reason.Should().Be(DestroyReason.Reaped);
    }

    [Fact]
    public void Aws_lambda_recycles_a_busy_environment_at_the_end_of_its_first_invocation_past_2_hours()
    {
        string every5Minutes = "[" + string.Join(", ", Enumerable.Range(0, 25).Select(i => $"{i * 300}s")) + "]"; // 0 s to 7,200 s
        var r = Run("{}", every5Minutes, horizon: "7300s");
        var last = r.Lifecycle.TakeLast(2).Select(l => (l.T, l.Event, l.Reason)).ToList();
        last.Should().Equal((S(7200), LifecycleEvent.Thawed, (DestroyReason?)null),
            (S(7200.0011), LifecycleEvent.Destroyed, DestroyReason.MaxLifetime));
        r.Lifecycle.Should().OnlyContain(l => l.Environment == "fn#1");
    }

    [Fact]
    public void Aws_lambda_provisioned_defaults_init_one_environment_at_0s_keep_it_frozen_and_replace_it_at_2_hours()
    {
        var r = Run("{ preset: aws-lambda-provisioned }", "[60s]", horizon: "7300s");
        Life(r).Should().Equal((S(0), "fn#1", LifecycleEvent.ColdStart), (S(0.2), "fn#1", LifecycleEvent.Frozen),
            (S(60), "fn#1", LifecycleEvent.Thawed), (S(60.0021), "fn#1", LifecycleEvent.Frozen),
            (S(7200), "fn#1", LifecycleEvent.Destroyed), (S(7200), "fn#2", LifecycleEvent.ColdStart),
            (S(7200.2), "fn#2", LifecycleEvent.Frozen));
    }

    [Fact]
    public void Aws_lambda_snapstart_defaults_snapshot_after_init_restore_in_200ms_and_reap_the_restored_environment()
    {
        var r = Run("{ preset: aws-lambda-snapstart }", "[300s]", horizon: "1000s");
        Life(r).Should().Equal((S(0), "fn#1", LifecycleEvent.ColdStart), (S(0.2), "fn#1", LifecycleEvent.Snapshotted),
            (S(300.2), "fn#1", LifecycleEvent.Restored), (S(300.2021), "fn#1", LifecycleEvent.Frozen),
            (S(900.2021), "fn#1", LifecycleEvent.Destroyed));
    }

    [Fact]
    public void Azure_functions_defaults_keep_the_process_running_and_unload_it_after_1200s()
    {
        var r = Run("{ preset: azure-functions }", "[0s]", horizon: "1300s");
        Life(r).Should().Equal((S(0), "fn#1", LifecycleEvent.ColdStart), (S(1200.2021), "fn#1", LifecycleEvent.Destroyed));
    }

    [Fact]
    public void Vercel_fluid_defaults_suspend_at_once_resume_on_the_next_request_and_reap_after_600s()
    {
        var r = Run("{ preset: vercel-fluid }", "[0s, 100s]", horizon: "800s");
        Life(r).Should().Equal((S(0), "fn#1", LifecycleEvent.ColdStart), (S(0.2021), "fn#1", LifecycleEvent.Suspended),
            (S(100), "fn#1", LifecycleEvent.Resumed), (S(100.0011), "fn#1", LifecycleEvent.Suspended),
            (S(700.0011), "fn#1", LifecycleEvent.Destroyed));
    }

    [Fact]
    public void Cloudflare_workers_defaults_start_an_isolate_in_5ms_keep_it_running_and_evict_it_after_600s()
    {
        var r = Run("{ preset: cloudflare-workers }", "[0s]", horizon: "700s");
        Life(r).Should().Equal((S(0), "fn#1", LifecycleEvent.ColdStart), (S(600.0071), "fn#1", LifecycleEvent.Destroyed));
        r.Requests.Single().LatencyMs.Should().BeApproximately(7.1, 1e-9, "5 ms isolate start, then connect and command");
    }

    [Fact]
    public void Google_cloud_run_defaults_throttle_at_once_and_shut_down_idle_instances_after_900s_with_a_10s_grace()
    {
        var r = Run("{ preset: google-cloud-run }", "[0s]", horizon: "1000s");
        Life(r).Should().Equal((S(0), "fn#1", LifecycleEvent.ColdStart), (S(0.2021), "fn#1", LifecycleEvent.Throttled),
            (S(900.2021), "fn#1", LifecycleEvent.Shutdown), (S(910.2021), "fn#1", LifecycleEvent.Destroyed));
    }

    [Fact]
    public void Cloud_run_sigterm_grace_lets_a_shutdown_hooks_fin_be_answered_so_the_server_socket_ends_closed()
    {
        var r = Run("{ preset: google-cloud-run, coldStart: 0s, shutdownHook: true }", "[0s]", horizon: "1000s");
        // Shut down 900 s after the request ended at 2.1 ms; the hook's FIN reaches the server 0.5 ms later.
        Server(r, "c1").Should().Equal([.. Opened, (S(900.0026), TcpState.CloseWait), (S(900.0026), TcpState.LastAck),
            (S(900.0036), TcpState.Closed)]);
        r.Samples[^1].Server.Values.Sum().Should().Be(0, "no LAST_ACK is left to orphan retries");
    }
}
