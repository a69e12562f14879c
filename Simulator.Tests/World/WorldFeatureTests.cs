using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tcp;

namespace Zombiesim.Tests.World;

/// <summary>Each knob of the world, on the seed timeline or a small variation of it.</summary>
public class WorldFeatureTests
{
    /// <summary>The 2020 story (idle timeout 60 s, requests at 0, 95 and 400 s), with changes.</summary>
    private static (RunOutcome Outcome, RunRecorder Records) Story(string client = "{}", string server = "idleTimeout: 60s",
        string extra = "", string at = "[0s, 95s, 400s]", string platform = "freeze: { after: 5s, mode: process }\n  reap: { after: 300s }",
        string function = "", params string[] sets)
    {
        string yaml = $"""
            name: feature
            horizon: 420s
            platform:
              {platform}
            functions:
              - name: hello
                timeout: 30s
                memory: 1024
                client: {client}
            {function}
            server:
              preset: generic
              {server}
            traffic:
              - function: hello
                at: {at}
            {extra}
            """;
        return Scenarios.RunYaml(yaml, "feature.yaml", sets);
    }

    private static TimeSpan S(double s) => TimeSpan.FromTicks((long)Math.Round(s * TimeSpan.TicksPerSecond));

    private static RequestRecord At(RunRecorder r, double t) => r.Requests.Single(q => q.T == S(t));

    [Fact]
    public void A_retry_on_eof_succeeds_on_a_new_connection()
    {
        var (_, r) = Story(client: "{ retries: 1 }");
        At(r, 95).Should().Match<RequestRecord>(q => q.Ok && q.Retries == 1 && q.Connection == "c2");
    }

    [Fact]
    public void Validate_before_use_sees_the_fin_in_process_mode_but_not_a_silent_peer_in_vm_mode()
    {
        var (_, process) = Story(client: "{ validateBeforeUse: true }");
        At(process, 95).Should().Match<RequestRecord>(q => q.Ok && q.Retries == 0 && q.Connection == "c2");
        var (_, vm) = Story(client: "{ validateBeforeUse: true }", platform: "freeze: { after: 5s, mode: vm }\n  reap: { after: 300s }");
        At(vm, 95).Outcome.Should().Be(Outcome.ECONNRESET, "the paused VM's socket is still ESTABLISHED: nothing to see locally");
    }

    [Fact]
    public void Max_idle_below_the_server_timeout_avoids_the_error_in_both_freeze_modes()
    {
        foreach (var mode in new[] { "process", "vm" })
        {
            var (_, r) = Story(client: "{ maxIdle: 50s }", platform: $"freeze: {{ after: 5s, mode: {mode} }}\n  reap: {{ after: 300s }}");
            r.Requests.Should().OnlyContain(q => q.Ok, mode);
            At(r, 95).Connection.Should().Be("c2", "the idle connection was replaced before use");
        }
    }

    [Fact]
    public void Pings_refresh_the_connection_only_while_the_environment_is_not_frozen()
    {
        var (_, r) = Story(client: "{ pingInterval: 2s }");
        var close = r.Transitions.Single(t => t.Host == "server" && t.Connection == "c1" && t.To == TcpState.FinWait1).T;
        close.Should().BeGreaterThan(S(62)).And.BeLessThan(S(65.3),
            "the last ping, before the freeze at about 5.2 s, restarted the idle clock");
        At(r, 95).Outcome.Should().Be(Outcome.Eof);
    }

    [Fact]
    public void A_hard_limit_rejects_the_connection_beyond_it()
    {
        var (outcome, r) = Story(server: "idleTimeout: 0s\n  limits: { hard: 1 }", at: "[0s]",
            function: "  - name: other\n    memory: 1024", extra: "  - function: other\n    at: [1s]");
        r.Requests.Single(q => q.Function == "other").Should().Match<RequestRecord>(q => q.Outcome == Outcome.Rejected
            && q.Origin == Origin.Server);
        r.Requests.Single(q => q.Function == "other").Cause!.Text().Should().Contain("hard limit reached (1)");
        outcome.Summary.Final!.Value.Rejections.Should().Be(1);
    }

    [Fact]
    public void Max_clients_rejects_like_redis()
    {
        var (_, r) = Story(server: "idleTimeout: 0s\n  maxClients: 1", at: "[0s]",
            function: "  - name: other\n    memory: 1024", extra: "  - function: other\n    at: [1s]");
        r.Requests.Single(q => q.Function == "other").Cause!.Text().Should().Contain("maxClients reached (1)");
    }

    [Fact]
    public void Above_the_soft_limit_idle_connections_are_evicted()
    {
        var (outcome, r) = Story(server: "idleTimeout: 0s\n  limits: { soft: 1, hard: 5 }", at: "[0s, 95s]",
            function: "  - name: other\n    memory: 1024", extra: "  - function: other\n    at: [10s]");
        outcome.Summary.Final!.Value.Evictions.Should().Be(1);
        r.Notes.Should().Contain(n => n.Text.Contains("closes c1: the server evicted it"));
        At(r, 95).Outcome.Should().Be(Outcome.Eof, "the evicted connection's FIN reached the frozen environment's kernel");
    }

    [Fact]
    public void A_server_restart_closes_every_connection()
    {
        var (_, r) = Story(server: "idleTimeout: 0s", extra: "events:\n  - serverRestart: { at: 50s, downtime: 2s }");
        var failed = At(r, 95);
        failed.Outcome.Should().Be(Outcome.Eof);
        failed.Cause!.Text().Should().Contain("the server restarted");
        At(r, 400).Outcome.Should().Be(Outcome.Ok);
    }

    [Fact]
    public void Connecting_during_a_restart_is_refused()
    {
        var (_, r) = Story(server: "idleTimeout: 0s", at: "[10s]", extra: "events:\n  - serverRestart: { at: 5s, downtime: 20s }");
        At(r, 10).Should().Match<RequestRecord>(q => q.Outcome == Outcome.ECONNREFUSED && q.Origin == Origin.Rst);
    }

    [Fact]
    public void A_partition_during_the_request_ends_in_the_library_timeout_and_names_the_partition()
    {
        var (_, r) = Story(client: "{ commandTimeout: 5s }", server: "idleTimeout: 0s",
            extra: "events:\n  - partition: { from: 90s, to: 200s }");
        var failed = At(r, 95);
        (failed.Outcome, failed.Origin).Should().Be((Outcome.ETIMEDOUT, Origin.LibraryTimeout));
        failed.Cause!.Text().Should().Contain("partitioned path dropped a segment");
    }

    [Fact]
    public void Reserved_concurrency_throttles_simultaneous_invocations()
    {
        var (_, r) = Story(at: "[0s, 0s, 0s]", function: "", sets: ["functions.0.reservedConcurrency=2"]);
        r.Requests.Count(q => q.Outcome == Outcome.Throttled && q.Origin == Origin.Platform).Should().Be(1);
        r.Requests.Count(q => q.Ok).Should().Be(2);
    }

    [Fact]
    public void An_invocation_past_the_function_timeout_fails_and_resets_the_runtime()
    {
        var (_, r) = Story(at: "[0s]", sets: ["functions.0.timeout=3s", "functions.0.work=5s"]);
        r.Requests.Single().Should().Match<RequestRecord>(q => q.Outcome == Outcome.ETIMEDOUT && q.Origin == Origin.Platform
            && q.LatencyMs == 3000);
    }

    [Fact]
    public void A_redeploy_abandons_idle_environments_and_leaves_their_connections_as_zombies()
    {
        var (outcome, r) = Story(server: "idleTimeout: 0s", at: "[0s, 95s]",
            extra: "events:\n  - redeploy: { at: 50s, function: hello }\nexpect:\n  - at: 60s\n    zombies: 1");
        r.Lifecycle.Should().Contain(l => l.T == S(50) && l.Event == LifecycleEvent.Destroyed && l.Detail == "abandoned by a redeploy");
        At(r, 95).Should().Match<RequestRecord>(q => q.Ok && q.Environment == "hello#2" && q.Connection == "c2");
        outcome.ExpectationsMet.Should().BeTrue();
    }

    [Fact]
    public void A_shutdown_hook_closes_the_connection_so_no_zombie_is_left()
    {
        var (outcome, r) = Story(server: "idleTimeout: 0s", at: "[0s]",
            platform: "freeze: { after: 5s }\n  reap: { after: 300s }\n  shutdownHook: true",
            extra: "expect:\n  - at: 400s\n    zombies: 0\n  - at: 400s\n    serverConnections: 0\n    state: ESTABLISHED\n"
                + "  - at: 400s\n    serverConnections: 1\n    state: LAST_ACK");
        outcome.Expectations.Should().OnlyContain(e => e.Met);
        r.Transitions.Should().Contain(t => t.Host == "server" && t.Connection == "c1" && t.To == TcpState.CloseWait);
        // The server's own FIN then goes to a destroyed machine: LAST_ACK until its orphan budget runs out.
    }

    [Fact]
    public void Without_a_shutdown_hook_the_reaped_environment_leaves_a_zombie()
    {
        var (outcome, _) = Story(server: "idleTimeout: 0s", at: "[0s]", extra: "expect:\n  - at: 400s\n    zombies: 1");
        outcome.ExpectationsMet.Should().BeTrue();
    }

    [Fact]
    public void Redis_checks_idleness_in_whole_seconds()
    {
        var (_, r) = Story(server: "idleTimeout: 60s\n  idleCheck: cron");
        // Last command at about 0.2018 s: 60 whole seconds are exceeded at 61 s.
        r.Transitions.Single(t => t.Host == "server" && t.Connection == "c1" && t.To == TcpState.FinWait1).T.Should().Be(S(61));
    }

    [Fact]
    public void Per_invocation_connections_close_from_the_client_and_wait_in_time_wait()
    {
        var (_, r) = Story(server: "idleTimeout: 0s", at: "[0s]", sets: ["functions.0.strategy=per-invocation"]);
        var tw = r.Transitions.Single(t => t.Host == "hello#1" && t.To == TcpState.TimeWait);
        r.Transitions.Single(t => t.Host == "hello#1" && t.From == TcpState.TimeWait).T.Should().Be(tw.T + S(60));
        r.Transitions.Should().Contain(t => t.Host == "server" && t.Connection == "c1" && t.To == TcpState.Closed
            && t.Cause == TcpCause.RcvAckOfFin);
    }

    [Fact]
    public void A_piecewise_rate_is_entries_with_from_and_until_and_bursts_are_spread_evenly()
    {
        var (_, r) = Story(at: "[1s]", server: "idleTimeout: 0s", extra: """
              - function: hello
                every: 10s
                from: 0s
                until: 50s
              - function: hello
                every: 2s
                from: 100s
                until: 110s
              - function: hello
                burst: { count: 4, over: 2s }
                from: 200s
            """);
        r.Requests.Select(q => q.T.TotalSeconds).Order().Should().Equal(1, 10, 20, 30, 40, 50, 102, 104, 106, 108, 110, 200, 200.5, 201,
            201.5);
    }
}
