using Zombiesim.Tests.World;
using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;
using Zombiesim.Core.Worlds;
using Zombiesim.Tcp;

namespace Zombiesim.Tests.Clients;

/// <summary>
/// serverless-mysql's end() against MySQL 5.7 (no event scheduler) with max_connections 4: the path is
/// 0.5 ms each way, the server answers in 0.1 ms and set-up and cold starts cost nothing, so a
/// connect takes 1 ms and each query 1.1 ms, the same round trip for the limit, the process list and
/// each KILL. Functions `a` and `b` use the preset; `a` runs at <c>aAt</c>, `b` at <c>bAt</c>.
/// </summary>
public class ZombieKillerTests
{
    private static RunRecorder Run(string aAt, string bAt, string client = "", string server = "", int maxClients = 4,
        string preset = "mysql-5.7")
    {
        string yaml = $"""
            name: killer
            horizon: 400s
            platform:
              freeze: {"{"} after: 0s, mode: process {"}"}
              reap: {"{"} after: 1000s {"}"}
              coldStart: 0s
            functions:
              - name: a
                timeout: 30s
                client: {"{"} preset: serverless-mysql, setupCost: 0s{client} {"}"}
              - name: b
                timeout: 30s
                client: {"{"} preset: serverless-mysql, setupCost: 0s{client} {"}"}
            server:
              preset: {preset}
              maxClients: {maxClients}
              {server}
            network:
              latency: 0.5ms
            traffic:
              - function: a
                at: {aAt}
              - function: b
                at: {bAt}
            """;
        return Scenarios.RunYaml(yaml, "killer.yaml").Records;
    }

    private static TimeSpan S(double seconds) => TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));

    private static IEnumerable<(TimeSpan T, string Text)> Kills(RunRecorder rec) =>
        rec.Notes.Where(n => n.Text.Contains("killed it")).Select(n => (n.T, n.Text));

    [Fact]
    public void End_asks_the_limit_once_per_15s_and_the_process_list_each_time_one_round_trip_each()
    {
        var rec = Run("[0s, 10s, 20s]", "[399s]");
        // connect 1 ms + query 1.1 ms + limit 1.1 ms + count 1.1 ms; 10 s later the limit is cached
        // (maxConnsFreq 15 s); 20 s after the first it is asked again.
        rec.Requests.Where(r => r.Function == "a").Select(r => Math.Round(r.LatencyMs, 6)).Should().Equal(4.3, 2.2, 3.3);
        Kills(rec).Should().BeEmpty();
    }

    [Fact]
    public void Above_the_utilization_end_kills_the_connections_asleep_longest_and_the_frozen_owners_next_query_fails()
    {
        // Three a instances connect at 0 s and freeze; b's connection at 100 s makes 4 of 4 (100 % > 80 %).
        var rec = Run("[0s, 0s, 0s, 200s]", "[100s]", ", retries: 0");
        // b: connect, query, limit, count (4.3 ms), then the sleepers of at least 100 s (the longest
        // `time` seen: 100.0038 - 0.0038 s, in whole seconds), then one KILL each, done as the server
        // answers it, in id order at equal time.
        Kills(rec).Select(k => k.T).Should().Equal(S(100.006), S(100.0071), S(100.0082));
        Kills(rec).Should().OnlyContain(k => k.Text.Contains("KILL sent over c4") && k.Text.Contains("was frozen"));
        rec.Requests.Single(r => r.Function == "b").LatencyMs.Should().BeApproximately(8.7, 1e-9);
        // a#3, the most recently used, thaws at 200 s: its query goes out on the killed connection and reads EOF.
        var thawed = rec.Requests.Single(r => r.T == S(200));
        (thawed.Outcome, thawed.Connection, thawed.Message).Should().Be(
            (Outcome.Eof, "c3", "Connection lost: The server closed the connection. (PROTOCOL_CONNECTION_LOST)"));
        thawed.Cause!.Incident!.Kind.Should().Be(IncidentKind.Killed);
    }

    [Fact]
    public void A_query_on_a_killed_connection_runs_again_on_a_new_one_since_serverless_mysql_1_5_3()
    {
        var rec = Run("[0s, 0s, 0s, 200s]", "[100s]");
        var thawed = rec.Requests.Single(r => r.T == S(200));
        (thawed.Outcome, thawed.Retries, thawed.Connection).Should().Be((Outcome.Ok, 1, "c5"));
    }

    [Fact]
    public void With_no_sleeper_old_enough_end_quits_its_own_connection_and_the_server_closes_first_while_the_instance_is_frozen()
    {
        // Four connections at once: over 80 %, but the longest `time` is 0 s, below zombieMinTimeout 3 s.
        var rec = Run("[0s, 0s, 0s]", "[0s]");
        Kills(rec).Should().BeEmpty();
        // COM_QUIT at 4.3 ms, not awaited: the server closes first (4.8 ms), but the instances froze as
        // they returned (4.3 ms), so their kernels ACK the FIN and the sockets wait in CLOSE_WAIT.
        rec.Transitions.Where(t => t.Host == "server" && t.To == TcpState.FinWait1).Select(t => t.T)
            .Should().Equal(S(0.0048), S(0.0048), S(0.0048), S(0.0048));
        rec.Transitions.Count(t => t.Host != "server" && t.To == TcpState.CloseWait).Should().Be(4);
    }

    [Fact]
    public void Connections_asleep_past_zombieMaxTimeout_are_killed_below_the_utilization()
    {
        var rec = Run("[0s]", "[300s]", server: "", client: ", zombieKiller: { zombieMaxTimeout: 60s }");
        Kills(rec).Should().ContainSingle().Which.Text.Should().StartWith("closes c1");
    }

    [Fact]
    public void The_process_list_counts_the_event_scheduler_whose_time_runs_from_the_start_and_lists_sleepers_longest_first()
    {
        var now = S(500);
        ServerConnection Conn(long id, double last, int busy) => new(null!)
        {
            Socket = null!, Label = $"c{id}", Id = id, LastActivity = S(last), Busy = busy,
        };
        var conns = new[] { Conn(1, 100.5, 0), Conn(2, 499.9, 1), Conn(3, 100.2, 0), Conn(4, 400, 0) };
        ProcessList.Read(new ProcessCountQuery(), conns, now, TimeSpan.Zero, 151).Should().Be(new QueryAnswer(5, 500));
        ProcessList.Read(new ProcessCountQuery(), conns, now, null, 151).Should().Be(new QueryAnswer(4, 399));
        ProcessList.Read(new SleepingQuery(100), conns, now, null, 151).Rows.Should()
            .Equal(new ProcessRow(1, 399), new ProcessRow(3, 399), new ProcessRow(4, 100));
        ProcessList.Read(new MaxConnectionsQuery(), conns, now, null, 151).Total.Should().Be(151);
    }
    [Fact]
    public void The_event_schedulers_row_counts_and_is_the_longest_time_so_end_kills_nobody_and_quits_its_own()
    {
        // Without the scheduler b's end() at 100 s kills a's three connections, asleep 95 s.
        Kills(Run("[5s, 5s, 5s]", "[100s]")).Should().HaveCount(3);
        // With it, each a's end() at 5 s counts 3 + the daemon = 4 of 4, whose `time` (5 s, the uptime) is
        // the longest: no sleeper has 5 s, so each quits its own connection after the empty list (5.4 ms).
        var rec = Run("[5s, 5s, 5s]", "[100s]", server: "eventScheduler: true");
        Kills(rec).Should().BeEmpty();
        rec.Requests.Where(r => r.Function == "a").Select(r => Math.Round(r.LatencyMs, 6)).Should().Equal(5.4, 5.4, 5.4);
        rec.Transitions.Where(t => t.Host == "server" && t.To == TcpState.FinWait1).Select(t => (t.Connection, t.T))
            .Should().Equal(("c1", S(5.0059)), ("c2", S(5.0059)), ("c3", S(5.0059)));
    }

    [Fact]
    public void A_connect_refused_as_too_many_connections_is_tried_again_50_times_with_full_jitter()
    {
        // max_connections 1, held by a's frozen instance (end() off, or a would quit it): b is refused 51 times, 50 of them retries
        // after 0 to min(100, 2 x 2^n) ms each, then fails with the server's 1040.
        var rec = Run("[0s]", "[10s]", ", zombieKiller: { manageConns: false }", maxClients: 1);
        var b = rec.Requests.Single(r => r.Function == "b");
        (b.Outcome, b.Origin).Should().Be((Outcome.Rejected, Origin.Server));
        rec.Notes.Count(n => n.Text.StartsWith("rejects")).Should().Be(51);
        // 51 connects of 1 ms (the refusal is read one round trip after the SYN) plus 50 waits of at most
        // 2+4+...+64 ms and then 100 ms: between 51 ms and 51 + 126 + 44 x 100 ms.
        b.LatencyMs.Should().BeInRange(51, 51 + 126 + 4400);
    }
    [Fact]
    public void Two_instances_killing_the_same_sleepers_at_once_get_unknown_thread_id_for_the_second_kill()
    {
        // Two b instances look at 100 s (4 of 4) and list the same two sleepers: each KILL reaches the
        // server twice at the same instant; the second finds the id gone (serverless-mysql #127).
        var rec = Run("[0s, 0s]", "[100s, 100s]");
        Kills(rec).Select(k => k.T).Should().Equal(S(100.006), S(100.0071));
        rec.Notes.Where(n => n.Text.Contains("Unknown thread id")).Select(n => (n.T, n.Text)).Should().Equal(
            (S(100.006), "answers KILL 1 on c4: \"ERROR 1094 (HY000): Unknown thread id: 1\""),
            (S(100.0071), "answers KILL 2 on c4: \"ERROR 1094 (HY000): Unknown thread id: 2\""));
    }
    [Fact]
    public void A_server_without_a_process_list_answers_nothing_and_end_stops_after_its_first_query()
    {
        var rec = Run("[0s]", "[10s]", preset: "generic");
        // connect 1 ms, the query 1.1 ms, the limit's query 1.1 ms: no answer, so no count, no KILL, no quit.
        rec.Requests.Select(r => Math.Round(r.LatencyMs, 6)).Should().Equal(3.2, 3.2);
        rec.Requests.Should().OnlyContain(r => r.Outcome == Outcome.Ok);
    }
}
