using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;

namespace Zombiesim.Tests.World;

/// <summary>The client-library scenarios of scenarios/, each with the fix its header names.</summary>
public class ClientScenarioTests
{
    [Fact]
    public void Mysql2_pool_idle_timers_never_fire_while_frozen_so_the_server_keeps_20_zombies_until_its_own_timeout_fixes_it()
    {
        var (outcome, rec) = Scenarios.Run("mysql2-idle-timeout-frozen.yaml");
        outcome.ExpectationsMet.Should().BeTrue(string.Join("; ", outcome.Expectations.Select(e => e.Actual)));
        outcome.Summary.ColdStarts.Should().Be(21);
        // The pool's idle timer closed connections only at a thaw, overdue, never while the environment was frozen.
        var thaws = rec.Lifecycle.Where(l => l.Event == LifecycleEvent.Thawed).Select(l => $"{l.Environment}@{l.T.Ticks}").ToHashSet();
        var closes = rec.Transitions.Where(t => t.Host != "server" && t.To == Zombiesim.Tcp.TcpState.FinWait1).ToList();
        closes.Should().HaveCount(13).And.OnlyContain(t => thaws.Contains($"{t.Host}@{t.T.Ticks}"));

        var (fixedOutcome, fixedRecords) = Scenarios.Run("mysql2-idle-timeout-frozen.yaml", "server.idleTimeout=300s");
        fixedRecords.Requests.Should().OnlyContain(r => r.Outcome == Outcome.Ok);
        fixedOutcome.Expectations.Single(e => e.Text.Contains("zombies")).Actual.Should().Be("1");
    }

    [Fact]
    public void A_keep_alive_agent_thawed_after_nginx_closed_its_socket_gets_socket_hang_up_and_one_retry_fixes_it()
    {
        var (outcome, rec) = Scenarios.Run("http-agent-nginx-keepalive.yaml");
        outcome.ExpectationsMet.Should().BeTrue(string.Join("; ", outcome.Expectations.Select(e => e.Actual)));
        var failed = rec.Requests.Where(r => !r.Ok).ToList();
        const string hangUp = "socket hang up (ECONNRESET)";
        failed.Select(r => (r.T, r.Connection, r.Message)).Should().Equal(
            (TimeSpan.FromSeconds(120), "c1", hangUp), (TimeSpan.FromSeconds(290), "c2", hangUp));
        // nginx closed c1 75 s after its last reply (30.0006 s, half a millisecond of path after the request).
        failed[0].Cause!.Incident!.At.Should().Be(TimeSpan.FromTicks(1_050_006_000));

        var (_, fixedRecords) = Scenarios.Run("http-agent-nginx-keepalive.yaml", "functions.0.client.retries=1");
        fixedRecords.Requests.Should().OnlyContain(r => r.Outcome == Outcome.Ok);
        fixedRecords.Requests.Select(r => r.Retries).Should().Equal(0, 0, 1, 1, 1);
    }

    [Fact]
    public void Monitoring_connections_double_a_fleets_server_count_past_the_limit_and_capping_concurrency_at_half_the_limit_fixes_it()
    {
        var (outcome, rec) = Scenarios.Run("mongodb-monitoring-connections.yaml");
        outcome.ExpectationsMet.Should().BeTrue(string.Join("; ", outcome.Expectations.Select(e => e.Actual)));
        // 500 held, plus the 49 monitors' connections the server accepts, answers with its refusal and closes.
        outcome.Summary.PeakServerConnections.Should().Be(549);
        var timedOut = rec.Requests.Where(r => r.Outcome == Outcome.ETIMEDOUT).ToList();
        timedOut.Should().HaveCount(49).And.OnlyContain(r => r.Message == "Server selection timed out after 30000 ms");
        // Two pools' connections are refused after their monitors got in: MongoDB closes them without a word.
        rec.Requests.Where(r => r.Outcome == Outcome.Eof).Should().HaveCount(2)
            .And.OnlyContain(r => r.Message == $"connection {r.Connection} to server:27017 closed");
        outcome.Summary.Final!.Value.Rejections.Should().Be(2991);

        var (fixedOutcome, fixedRecords) = Scenarios.Run("mongodb-monitoring-connections.yaml", "functions.0.reservedConcurrency=240");
        fixedOutcome.Summary.Final!.Value.Rejections.Should().Be(0);
        fixedOutcome.Summary.PeakServerConnections.Should().Be(480);
        fixedRecords.Requests.Count(r => r.Outcome == Outcome.Throttled).Should().Be(60);
        fixedRecords.Requests.Count(r => r.Outcome == Outcome.Ok).Should().Be(240);
    }
    [Fact]
    public void Serverless_mysqls_zombie_killer_kills_frozen_instances_connections_and_their_next_query_fails_until_it_retries()
    {
        var (outcome, rec) = Scenarios.Run("serverless-mysql-zombie-killer.yaml");
        outcome.ExpectationsMet.Should().BeTrue(string.Join("; ", outcome.Expectations.Select(e => e.Actual)));
        var kills = rec.Notes.Where(n => n.Text.Contains("the server killed it")).ToList();
        kills.Should().HaveCount(35).And.OnlyContain(n => n.Text.Contains("was frozen"));
        // The reports' end() kill 11 api connections from 122 s; the api instances' own end() kill 24 reports' after 180 s.
        kills.Count(n => n.T < TimeSpan.FromSeconds(180)).Should().Be(11);
        var failed = rec.Requests.Where(r => !r.Ok).ToList();
        failed.Should().HaveCount(6).And.OnlyContain(r => r.Function == "api" && r.Outcome == Outcome.Eof
            && r.Cause!.Incident!.Kind == IncidentKind.Killed && r.LatencyMs == 0);

        var (_, fixedRecords) = Scenarios.Run("serverless-mysql-zombie-killer.yaml", "functions.0.client.retries=1");
        fixedRecords.Requests.Should().OnlyContain(r => r.Outcome == Outcome.Ok);

        // MySQL 8.0's event scheduler: its row's time (the uptime) is the longest, so nobody is killed.
        var (_, scheduled) = Scenarios.Run("serverless-mysql-zombie-killer.yaml", "server.eventScheduler=true");
        scheduled.Notes.Should().NotContain(n => n.Text.Contains("the server killed it"));
        scheduled.Requests.Should().OnlyContain(r => r.Outcome == Outcome.Ok);
    }
}
