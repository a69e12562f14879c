using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tcp;

namespace Zombiesim.Tests.World;

/// <summary>
/// The connection pool, one mechanism at a time, to the instant. The path is 0.5 ms each way, the
/// server answers in 0.1 ms, and set-up and cold start cost nothing, so a command on a new
/// connection takes 2.1 ms (handshake 1 ms, command and reply 1.1 ms) and on a pooled one 1.1 ms.
/// </summary>
public class PoolTests
{
    internal static (RunOutcome Outcome, RunRecorder Records) Run(string? pool, string at, string function = "",
        string server = "idleTimeout: 0s", string freeze = "5s", string client = "")
    {
        string yaml = $"""
            name: pool
            horizon: 200s
            platform:
              freeze: {"{"} after: {freeze}, mode: process {"}"}
              reap: {"{"} after: 1000s {"}"}
              coldStart: 0s
            functions:
              - name: fn
                timeout: 30s
                client: {"{"} setupCost: 0s{(pool is null ? "" : ", pool: " + pool)}{client} {"}"}
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
        return Scenarios.RunYaml(yaml, "pool.yaml");
    }

    internal static TimeSpan S(double seconds) => TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));

    [Fact]
    public void Three_commands_at_once_on_a_pool_of_two_open_two_connections_and_the_third_waits_for_the_first_released()
    {
        var (_, rec) = Run("{ max: 2 }", "[0s]", "parallel: 3");
        var r = rec.Requests.Single();
        r.Outcome.Should().Be(Outcome.Ok);
        // c1 and c2 open at 0; c1's reply at 2.1 ms frees it for the third command, answered at 3.2 ms.
        r.LatencyMs.Should().BeApproximately(3.2, 1e-9);
        r.Connection.Should().Be("c1");
        rec.Transitions.Where(t => t.Host == "server" && t.To == TcpState.Established).Select(t => t.Connection)
            .Should().Equal("c1", "c2");
    }

    [Fact]
    public void A_command_that_waits_past_the_acquire_timeout_fails_with_etimedout_from_the_library()
    {
        var (_, rec) = Run("{ max: 2, acquireTimeout: 1ms }", "[0s]", "parallel: 3");
        var r = rec.Requests.Single();
        r.Outcome.Should().Be(Outcome.ETIMEDOUT);
        r.Origin.Should().Be(Origin.LibraryTimeout);
        r.LatencyMs.Should().BeApproximately(1.0, 1e-9);
        r.Cause!.Kind.Should().Be(CauseKind.AcquireTimeout);
        r.Cause.Text().Should().Be("no free connection within acquireTimeout 1ms: all 2 of the pool busy");
    }

    [Fact]
    public void An_idle_timer_of_a_running_environment_closes_the_connection_at_its_deadline()
    {
        var (_, rec) = Run("{ idleTimeout: 10s }", "[0s]", freeze: "60s");
        // Released at 2.1 ms, closed by the library 10 s later: the client sends FIN.
        rec.Transitions.Should().ContainSingle(t => t.Host == "fn#1" && t.From == TcpState.Established && t.To == TcpState.FinWait1)
            .Which.T.Should().Be(S(10.0021));
    }

    [Fact]
    public void An_idle_timer_does_not_run_while_frozen_and_an_overdue_one_runs_at_the_thaw_before_the_first_command()
    {
        // The server closes c1 at 60 s while the function is frozen (since 5.0021 s); the pool's
        // 10 s idle timer was due at 10.0021 s but could not run. At the thaw (95 s) it runs first:
        // c1 is closed and the command opens c2.
        var (_, rec) = Run("{ idleTimeout: 10s }", "[0s, 95s]", server: "idleTimeout: 60s");
        rec.Transitions.Where(t => t.Host == "fn#1" && t.Connection == "c1" && t.From == TcpState.Established).Select(t => (t.T, t.To))
            .Should().Equal([(S(60.0021), TcpState.CloseWait)],
                "the timer did not run while frozen; the server closed at 60.0016 s, 60 s after its reply");
        var thawed = rec.Requests.Single(r => r.T == S(95));
        thawed.Outcome.Should().Be(Outcome.Ok);
        thawed.Connection.Should().Be("c2");
        thawed.LatencyMs.Should().BeApproximately(2.1, 1e-9);
        rec.Transitions.Should().Contain(t => t.Host == "fn#1" && t.Connection == "c1" && t.From == TcpState.CloseWait && t.T == S(95));
    }

    [Fact]
    public void With_overdue_timers_after_the_handler_the_thawed_command_takes_the_connection_the_server_closed()
    {
        var (_, rec) = Run("{ idleTimeout: 10s, overdueTimers: after }", "[0s, 95s]", server: "idleTimeout: 60s");
        var thawed = rec.Requests.Single(r => r.T == S(95));
        thawed.Outcome.Should().Be(Outcome.Eof);
        thawed.Connection.Should().Be("c1");
    }

    [Fact]
    public void A_connection_past_its_maximum_lifetime_is_closed_before_reuse()
    {
        var (_, rec) = Run("{ maxLifetime: 30s }", "[0s, 20s, 40s]");
        rec.Requests.Select(r => r.Connection).Should().Equal("c1", "c1", "c2");
        rec.Requests.Select(r => r.LatencyMs).Should().Equal(2.1, 1.1, 2.1);
    }

    [Fact]
    public void Parallel_commands_need_a_pool_and_a_pool_needs_strategy_reuse()
    {
        var parallel = () => ScenarioLoader.Load("name: t\nfunctions:\n  - name: f\n    parallel: 3\n"
            + "traffic:\n  - { function: f, at: [0s] }\n", "p.yaml");
        parallel.Should().Throw<ScenarioException>().Which.Message.Should().Contain("p.yaml:4:15:").And.Contain("add client.pool");
        var perInvocation = () => ScenarioLoader.Load(
            "name: t\nfunctions:\n  - name: f\n    strategy: per-invocation\n    client: { pool: { max: 2 } }\n"
                + "traffic:\n  - { function: f, at: [0s] }\n", "p.yaml");
        perInvocation.Should().Throw<ScenarioException>().Which.Message.Should().Contain("needs strategy reuse");
    }

    [Fact]
    public void Three_rounds_of_commands_with_work_between_run_one_after_another_on_the_released_connection()
    {
        var (_, rec) = Run("{ max: 2 }", "[0s]", "commands: 3\n    between: 10ms");
        var r = rec.Requests.Single();
        // 2.1 ms on a new connection, then twice 10 ms of work and 1.1 ms on the same pooled connection.
        r.LatencyMs.Should().BeApproximately(24.3, 1e-9);
        r.Connection.Should().Be("c1");
        rec.Transitions.Count(t => t.Host == "server" && t.To == TcpState.Established).Should().Be(1);
    }

    [Fact]
    public void A_connection_released_between_rounds_is_closed_by_an_idle_timeout_shorter_than_the_work_but_a_held_one_is_kept()
    {
        // pg-pool's idle timer runs while the handler works: with a 5 ms idle timeout and 10 ms of work
        // between two queries, each query after the first opens a new connection.
        var (_, perCommand) = Run("{ max: 2, idleTimeout: 5ms }", "[0s]", "commands: 3\n    between: 10ms");
        perCommand.Requests.Single().LatencyMs.Should().BeApproximately(26.3, 1e-9);
        perCommand.Requests.Single().Connection.Should().Be("c3");
        // A transaction keeps its client from BEGIN to COMMIT: one connection, no idle timer while held.
        var (_, held) = Run("{ max: 2, idleTimeout: 5ms }", "[0s]", "commands: 3\n    between: 10ms\n    hold: invocation");
        held.Requests.Single().LatencyMs.Should().BeApproximately(24.3, 1e-9);
        held.Requests.Single().Connection.Should().Be("c1");
        held.Transitions.Count(t => t.Host == "server" && t.To == TcpState.Established).Should().Be(1);
    }

    [Fact]
    public void The_idle_timeout_leaves_the_pools_minimum_open()
    {
        // pg-pool's min: the idle timer of the last connection above the minimum closes nothing.
        var (_, rec) = Run("{ max: 2, min: 1, idleTimeout: 5ms }", "[0s]", "commands: 3\n    between: 10ms");
        rec.Requests.Single().LatencyMs.Should().BeApproximately(24.3, 1e-9);
        rec.Requests.Single().Connection.Should().Be("c1");
    }

    [Fact]
    public void A_fleet_of_pools_of_ten_first_hits_postgres_limit_at_3453ms_and_a_pool_of_one_is_never_refused()
    {
        var (outcome, rec) = Scenarios.Run("pool-fleet-connection-limit.yaml");
        // 200 environments x 10 connections want 2,000; PostgreSQL's max_connections 500 keeps 3 for
        // superusers. api#50's eighth connection, c498, is the first one refused: its SYN arrives 3 s of
        // work and 208 ms of cold start after 0.245 s.
        var first = rec.Requests.Where(r => r.Outcome == Outcome.Rejected).MinBy(r => r.Cause!.Incident!.At)!;
        (first.Environment, first.Connection, first.Cause!.Incident!.At).Should().Be(("api#50", "c498", S(3.453)));
        first.Cause.Incident.Reply!.ToString().Should()
            .Be("FATAL 53300: remaining connection slots are reserved for roles with the SUPERUSER attribute");
        outcome.Summary.Final!.Value.Rejections.Should().Be(6923);
        var (fixedOutcome, fixedRecords) = Scenarios.Run("pool-fleet-connection-limit.yaml", "functions.0.client.pool.max=1");
        fixedRecords.Requests.Should().OnlyContain(r => r.Outcome == Outcome.Ok);
        fixedOutcome.Summary.Final!.Value.Rejections.Should().Be(0);
    }

    [Fact]
    public void A_function_timeout_while_a_connection_is_being_set_up_leaves_no_place_taken_in_the_pool()
    {
        // Set-up costs are drawn from 0 to 2 s of CPU; with seed 4 the first exceeds the function's
        // 1 s timeout, so the runtime is reset while the connection is not yet opened. The next
        // invocation (10 s) must open one in the pool of one: its set-up takes 709 ms, the command 2.1 ms.
        string yaml = """
            name: abandon
            seed: 4
            horizon: 40s
            platform: { coldStart: 0s, freeze: { after: 60s } }
            functions:
              - name: fn
                timeout: 1s
                client: { setupCost: { uniform: [0s, 2s] }, pool: { max: 1 } }
            traffic:
              - function: fn
                at: [0s, 10s]
            """;
        var rec = Scenarios.RunYaml(yaml, "abandon.yaml").Records;
        rec.Requests.Select(r => (r.Outcome, r.Origin)).Should().Equal((Outcome.ETIMEDOUT, Origin.Platform), (Outcome.Ok, (Origin?)null));
        rec.Requests[1].LatencyMs.Should().BeApproximately(711.069, 0.001);
    }
    [Fact]
    public void A_pre_ping_costs_one_round_trip_before_a_command_on_a_free_connection_and_none_on_a_new_one()
    {
        var (_, rec) = Run("{ validate: pre-ping }", "[0s, 1s]");
        // A new connection is not pinged (2.1 ms); the free one at 1 s is: ping 1.1 ms, then the command 1.1 ms.
        rec.Requests.Select(r => Math.Round(r.LatencyMs, 6)).Should().Equal(2.1, 2.2);
        rec.Requests.Select(r => r.Connection).Should().Equal("c1", "c1");
    }

    [Fact]
    public void A_thawed_connection_the_server_closed_fails_the_command_without_validation_and_is_replaced_with_a_pre_ping()
    {
        // The server closes c1 10 s after its reply, while the environment is frozen (after 0 s); the thawed
        // command at 20 s goes out on it and reads the FIN held during the freeze.
        var (_, stale) = Run("{ max: 1 }", "[0s, 20s]", server: "idleTimeout: 10s", freeze: "0s");
        var failed = stale.Requests[1];
        (failed.Outcome, failed.Origin, failed.Connection, failed.LatencyMs).Should().Be((Outcome.Eof, Origin.Fin, "c1", 0.0));

        var (_, pinged) = Run("{ max: 1, validate: pre-ping }", "[0s, 20s]", server: "idleTimeout: 10s", freeze: "0s");
        var ok = pinged.Requests[1];
        // The ping reads the FIN at 20 s: c1 is closed and c2 opened at once: handshake 1 ms, command 1.1 ms.
        (ok.Outcome, ok.Connection, ok.Retries).Should().Be((Outcome.Ok, "c2", 0));
        ok.LatencyMs.Should().BeApproximately(2.1, 1e-9);
        pinged.Transitions.Should().ContainSingle(t => t.Host == "fn#1" && t.Connection == "c1" && t.From == TcpState.CloseWait)
            .Which.T.Should().Be(S(20));
    }

    [Fact]
    public void A_retried_command_reconnects_after_the_library_reconnect_delay()
    {
        // c1 is closed by the server at 10.0021 s while the environment is frozen; at 60 s the command on it
        // reads the FIN (EOF), and the retry opens c2 100 ms later: 100 ms + 2.1 ms.
        var (_, rec) = Run("{ max: 2 }", "[0s, 60s]", server: "idleTimeout: 10s",
            client: ", retries: 1, reconnect: { base: 100ms }");
        var r = rec.Requests.Last();
        r.Should().Match<Zombiesim.Core.Observation.RequestRecord>(q => q.Outcome == Outcome.Ok && q.Retries == 1 && q.Connection == "c2");
        r.LatencyMs.Should().BeApproximately(102.1, 1e-9);
        var without = Run("{ max: 2 }", "[0s, 60s]", server: "idleTimeout: 10s", client: ", retries: 1").Records.Requests.Last();
        without.LatencyMs.Should().BeApproximately(2.1, 1e-9, "without a reconnect policy the retry connects at once");
    }

    [Fact]
    public void Idle_pings_on_a_free_pooled_connection_restart_the_server_idle_clock_until_the_freeze()
    {
        // Released at 2.1 ms: pings leave at 2.0021 s and 4.0032 s (each re-armed at its reply); the freeze at
        // 5.0021 s stops the timer, so the server's 3 s idle timeout closes c1 3 s after its reply to the last ping
        // (4.0038 s), where without pings it closes 3 s after its reply to the command (1.6 ms).
        var (_, rec) = Run("{ max: 2 }", "[0s]", server: "idleTimeout: 3s", client: ", pingInterval: 2s");
        rec.Transitions.Should().ContainSingle(t => t.Host == "server" && t.Connection == "c1" && t.To == TcpState.FinWait1)
            .Which.T.Should().Be(S(7.0038));
        var quiet = Run("{ max: 2 }", "[0s]", server: "idleTimeout: 3s").Records;
        quiet.Transitions.Should().ContainSingle(t => t.Host == "server" && t.Connection == "c1" && t.To == TcpState.FinWait1)
            .Which.T.Should().Be(S(3.0016));
    }

    [Fact]
    public void A_command_sent_behind_an_idle_ping_waits_for_its_own_reply()
    {
        // The ping leaves at 2.0021 s; the command at 2.0025 s goes behind it on c1: the ping's reply (2.0032 s) is not
        // the command's, whose reply arrives at 2.0036 s, 1.1 ms after it was sent.
        var (_, rec) = Run("{ max: 2 }", "[0s, 2.0025s]", client: ", pingInterval: 2s");
        var r = rec.Requests.Last();
        r.Connection.Should().Be("c1");
        r.LatencyMs.Should().BeApproximately(1.1, 1e-9);
    }

    [Fact]
    public void A_library_without_a_pool_holds_its_one_connection_in_a_pool_of_one()
    {
        // Two commands at 0 and 1 s: the second reuses c1 (1.1 ms) and no second connection opens.
        var (_, rec) = Run(null, "[0s, 1s]");
        rec.Requests.Select(q => (q.Connection, q.LatencyMs)).Should().Equal(("c1", 2.1), ("c1", 1.1));
        rec.Transitions.Where(t => t.Host == "server" && t.To == TcpState.Established).Select(t => t.Connection).Should().Equal("c1");
    }

    [Fact]
    public void A_command_behind_an_idle_ping_on_a_connection_past_max_idle_goes_on_a_new_one()
    {
        // The ping leaves at 2.0021 s on c1, idle since 2.1 ms, longer than maxIdle 1 s: the command at 2.0025 s closes c1
        // and its ping with it, and goes on c2 (2.1 ms). The former SingleConnectionClient sent it on c2 as if it were the
        // ping, and the invocation waited for its function timeout.
        var (_, rec) = Run(null, "[0s, 2.0025s]", client: ", pingInterval: 2s, maxIdle: 1s");
        var r = rec.Requests.Last();
        r.Should().Match<Zombiesim.Core.Observation.RequestRecord>(q => q.Outcome == Outcome.Ok && q.Connection == "c2");
        r.LatencyMs.Should().BeApproximately(2.1, 1e-9);
    }

    [Fact]
    public void An_idle_ping_reply_timeout_stops_while_frozen_and_fails_the_ping_at_the_thaw()
    {
        // The ping leaves c1 at 2.0021 s; the process freezes at 2.0026 s, before its reply reaches the kernel (2.0032 s)
        // and before its 2 ms timeout (2.0041 s). The frozen process reads nothing and its timer stops: at the thaw of
        // 10 s the overdue timeout runs before the handler and before the reply is read, closing c1 (with the reply unread
        // in its buffer: an abort, RST); the command opens c2.
        var (_, rec) = Run(null, "[0s, 10s]", freeze: "2.0005s", client: ", pingInterval: 2s, commandTimeout: 2ms");
        rec.Transitions.Should().ContainSingle(t => t.Host == "fn#1" && t.Connection == "c1" && t.To == TcpState.Closed)
            .Which.T.Should().Be(S(10));
        rec.Requests.Last().Should().Match<Zombiesim.Core.Observation.RequestRecord>(q => q.Outcome == Outcome.Ok && q.Connection == "c2");
    }
}
