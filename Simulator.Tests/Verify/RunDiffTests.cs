using FluentAssertions;
using Xunit;
using Zombiesim.Cli.Verify;
using Zombiesim.Core.Observation;

namespace Zombiesim.Tests.Verify;

public class RunDiffTests
{
    // HZ 250 (2 jiffies = 8 ms), scheduling 10 ms, polling 5 ms: 18 ms for a request's end, 23 ms for a polled state.
    private static readonly Tolerance Tol = new(new RealFacts(250, true, 5, 1, "Linux test", "generic", []));

    private static RequestRecord Request(double t, Outcome outcome, Origin? origin, double latencyMs) =>
        new(TimeSpan.FromSeconds(t), "hello", "hello#1", "c1", outcome, origin, latencyMs, 0, null);

    private static VerifyDocument Doc(IReadOnlyList<RequestRecord> requests, params DocTransition[] transitions) =>
        new("s", requests, transitions, [], null);

    [Fact]
    public void Same_outcomes_with_ends_within_two_jiffies_and_the_scheduling_allowance_agree()
    {
        var model = Doc([Request(95, Outcome.Eof, Origin.Fin, 0)]);
        var real = Doc([Request(95, Outcome.Eof, Origin.Fin, 17.9)]);
        var lines = RunDiff.Compare(model, real, Tol);
        lines.Should().ContainSingle().Which.Verdict.Should().Be(Verdict.Agree);
        lines[0].Tolerance.Should().BeApproximately(0.018, 1e-12);
    }

    [Fact]
    public void A_different_outcome_disagrees_even_at_the_same_instant()
    {
        var model = Doc([Request(95, Outcome.ECONNRESET, Origin.Rst, 1)]);
        var real = Doc([Request(95, Outcome.Eof, Origin.Fin, 1)]);
        var line = RunDiff.Compare(model, real, Tol).Single();
        line.Verdict.Should().Be(Verdict.Disagree);
        line.What.Should().Be("model ECONNRESET (rst) hello#1 c1, real EOF (fin) hello#1 c1");
        RunDiff.Agrees([line]).Should().BeFalse();
    }

    [Fact]
    public void A_request_ending_past_the_tolerance_disagrees()
    {
        var lines = RunDiff.Compare(Doc([Request(0, Outcome.Ok, null, 1)]), Doc([Request(0, Outcome.Ok, null, 19.1)]), Tol);
        lines.Single().Verdict.Should().Be(Verdict.Disagree);
    }

    [Fact]
    public void A_polled_state_agrees_when_the_model_instant_falls_between_the_poll_before_and_the_one_that_saw_it_and_says_so()
    {
        // The poll at 0.100 s had not seen LISTEN, the one at 0.129 s (29 ms after the model, past the 23 ms allowance) had.
        var model = Doc([], new DocTransition(0.1, "db", "listener", "CLOSED", "LISTEN", "passive-open"));
        var real = Doc([], new DocTransition(0.129, "db", "listener", "CLOSED", "LISTEN", "observed", Since: 0.1));
        var line = RunDiff.Compare(model, real, Tol).Single();
        line.Verdict.Should().Be(Verdict.Agree);
        line.Note.Should().Be("began between the polls at 0.1000 s (not yet) and 0.1290 s");
        var seenLate = Doc([], new DocTransition(0.129, "db", "listener", "CLOSED", "LISTEN", "observed", Since: 0.124));
        RunDiff.Compare(model, seenLate, Tol).Single().Verdict.Should().Be(Verdict.Disagree);
        var seenSoon = Doc([], new DocTransition(0.11, "db", "listener", "CLOSED", "LISTEN", "observed", Since: 0.105));
        RunDiff.Compare(model, seenSoon, Tol).Single().Note.Should().BeNull();
    }

    [Fact]
    public void A_model_state_shorter_than_a_poll_may_be_missing_but_a_long_one_may_not()
    {
        var model = Doc([],
            new DocTransition(0.2002, "hello#1", "c1", "CLOSED", "SYN_SENT", "active-open"),
            new DocTransition(0.2012, "hello#1", "c1", "SYN_SENT", "ESTABLISHED", "rcv-syn-ack"),
            new DocTransition(60.2023, "hello#1", "c1", "ESTABLISHED", "CLOSE_WAIT", "rcv-fin"));
        var real = Doc([], new DocTransition(0.210, "hello#1", "c1", "CLOSED", "ESTABLISHED", "observed"));
        var lines = RunDiff.Compare(model, real, Tol);
        lines.Select(l => l.Verdict).Should().Equal(Verdict.Unobservable, Verdict.Agree, Verdict.Disagree);
        lines[2].Note.Should().Be("not seen in reality");
    }

    [Fact]
    public void A_kernel_timer_transition_is_allowed_an_eighth_of_its_length_for_the_timer_wheel()
    {
        // FIN_WAIT_2 for 30 s (tcp_fin_timeout): the wheel may fire it up to 3.75 s late.
        var model = Doc([],
            new DocTransition(60.2428, "server", "c1", "FIN_WAIT_1", "FIN_WAIT_2", "rcv-ack-of-fin"),
            new DocTransition(90.2428, "server", "c1", "FIN_WAIT_2", "CLOSED", "fin-wait-2-timeout"));
        var real = Doc([],
            new DocTransition(60.250, "server", "c1", "FIN_WAIT_1", "FIN_WAIT_2", "observed"),
            new DocTransition(92.200, "server", "c1", "FIN_WAIT_2", "CLOSED", "observed"));
        var lines = RunDiff.Compare(model, real, Tol);
        lines[1].Tolerance.Should().BeApproximately(0.023 + 30.0 / 8, 1e-9);
        lines.Select(l => l.Verdict).Should().Equal(Verdict.Agree, Verdict.Agree);
    }

    [Fact]
    public void A_state_seen_only_in_reality_disagrees()
    {
        var real = Doc([], new DocTransition(95.01, "hello#1", "c1", "ESTABLISHED", "CLOSE_WAIT", "observed"));
        var line = RunDiff.Compare(Doc([]), real, Tol).Single();
        line.Verdict.Should().Be(Verdict.Disagree);
        line.Note.Should().Be("seen in reality, not in the model");
    }

    [Fact]
    public void A_state_seen_after_a_late_poll_agrees_when_the_model_instant_is_between_the_two_polls()
    {
        // The poll before 60.30 s came at 60.19 s (a gap of 110 ms): the change happened in between.
        var model = Doc([], new DocTransition(60.2018, "server", "c1", "ESTABLISHED", "FIN_WAIT_1", "close"));
        var late = Doc([], new DocTransition(60.300, "server", "c1", "ESTABLISHED", "FIN_WAIT_1", "observed", 60.190));
        RunDiff.Compare(model, late, Tol).Single().Verdict.Should().Be(Verdict.Agree);
        var after = Doc([], new DocTransition(60.300, "server", "c1", "ESTABLISHED", "FIN_WAIT_1", "observed", 60.250));
        RunDiff.Compare(model, after, Tol).Single().Verdict.Should().Be(Verdict.Disagree, "it was not there at 60.25 s");
    }
    [Fact]
    public void A_connection_refused_within_a_round_trip_and_never_polled_ends_unobservable()
    {
        var model = Doc([],
            new DocTransition(4.50019, "api#1", "c2", "CLOSED", "SYN_SENT", "active-open"),
            new DocTransition(4.50119, "api#1", "c2", "SYN_SENT", "CLOSED", "rcv-rst"),
            new DocTransition(8.0, "api#1", "c3", "CLOSED", "SYN_SENT", "active-open"),
            new DocTransition(60.0, "api#1", "c3", "SYN_SENT", "CLOSED", "syn-timeout"));
        var lines = RunDiff.Compare(model, Doc([]), Tol);
        lines.Select(l => l.Verdict).Should().Equal(Verdict.Unobservable, Verdict.Unobservable, Verdict.Disagree, Verdict.Disagree);
        lines[1].Note.Should().Be("lasted 1 ms in the model, polls every 5 ms");
    }

    [Fact]
    public void A_connection_the_poller_missed_keeps_its_place_in_the_numbering_by_when_its_invocation_was_sent()
    {
        var polled = new Dictionary<string, string> { ["10.200.1.2:40001"] = "c1", ["10.200.1.2:40003"] = "c2" };
        List<ObservedTransition> seen =
        [
            new(0.21, "api#1", "c1", Zombiesim.Tcp.TcpState.Closed, Zombiesim.Tcp.TcpState.Established, "observed", 0.205),
            new(8.01, "api#1", "c2", Zombiesim.Tcp.TcpState.Closed, Zombiesim.Tcp.TcpState.Established, "observed", 8.005),
        ];
        var (names, transitions) = ConnectionNames.Merge(polled, seen,
            [(System.Net.IPEndPoint.Parse("10.200.1.2:40002"), 4.5), (System.Net.IPEndPoint.Parse("10.200.1.2:40001"), 0.2)]);
        names.Should().Equal(new Dictionary<string, string>
        {
            ["10.200.1.2:40001"] = "c1", ["10.200.1.2:40002"] = "c2", ["10.200.1.2:40003"] = "c3",
        });
        transitions.Select(t => t.Connection).Should().Equal("c1", "c3");
    }

    [Fact]
    public void Connections_first_seen_in_one_poll_are_named_in_the_order_their_agent_began_connect_whatever_the_pollers_order()
    {
        // A pool opened two connections at 12.0 s, within one poll; /proc/net/tcp listed the later one first (its hash
        // bucket), so the poller named it first. The pooler's own connection, seen in the same poll, has no agent stamp.
        var polled = new Dictionary<string, string>
        {
            ["10.200.1.2:40001"] = "c1", ["10.200.1.2:40009"] = "c2", ["10.200.1.2:40007"] = "c3", ["10.200.9.1:50000"] = "c4",
        };
        List<ObservedTransition> seen =
        [
            new(0.21, "api#1", "c1", Zombiesim.Tcp.TcpState.Closed, Zombiesim.Tcp.TcpState.Established, "observed", 0.205),
            new(12.004, "api#1", "c2", Zombiesim.Tcp.TcpState.Closed, Zombiesim.Tcp.TcpState.Established, "observed", 12.0),
            new(12.004, "api#1", "c3", Zombiesim.Tcp.TcpState.Closed, Zombiesim.Tcp.TcpState.Established, "observed", 12.0),
            new(12.004, "proxy", "c4", Zombiesim.Tcp.TcpState.Closed, Zombiesim.Tcp.TcpState.Established, "observed", 12.0),
        ];
        var opened = new Dictionary<string, double>
        {
            ["10.200.1.2:40001"] = 0.2, ["10.200.1.2:40007"] = 12.0, ["10.200.1.2:40009"] = 12.00005,
        };
        var (names, transitions) = ConnectionNames.Merge(polled, seen, [], opened);
        names.Should().Equal(new Dictionary<string, string>
        {
            ["10.200.1.2:40001"] = "c1", ["10.200.1.2:40007"] = "c2", ["10.200.1.2:40009"] = "c3", ["10.200.9.1:50000"] = "c4",
        });
        transitions.Select(t => t.Connection).Should().Equal("c1", "c3", "c2", "c4");
    }

    [Fact]
    public void A_poolers_connection_seen_a_moment_before_the_client_connection_it_serves_is_named_after_it()
    {
        // CI, 2026-12-03: one poll read the pooler's namespace before the client's, so the pooler's connection to the
        // database (opened for the client's login) had the earlier sighting and took c1. The client's connect() began first.
        var polled = new Dictionary<string, string> { ["10.200.9.1:50000"] = "c1", ["10.200.1.2:40001"] = "c2" };
        List<ObservedTransition> seen =
        [
            new(0.2031, "pgbouncer", "c1", Zombiesim.Tcp.TcpState.Closed, Zombiesim.Tcp.TcpState.Established, "observed", 0.198),
            new(0.2033, "api#1", "c2", Zombiesim.Tcp.TcpState.Closed, Zombiesim.Tcp.TcpState.Established, "observed", 0.198),
        ];
        var opened = new Dictionary<string, double> { ["10.200.1.2:40001"] = 0.2002 };
        var (names, transitions) = ConnectionNames.Merge(polled, seen, [], opened);
        names.Should().Equal(new Dictionary<string, string> { ["10.200.1.2:40001"] = "c1", ["10.200.9.1:50000"] = "c2" });
        transitions.Select(t => t.Connection).Should().Equal("c2", "c1");
    }

    [Fact]
    public void A_close_by_PgBouncers_janitor_up_to_a_third_of_a_second_late_agrees_and_an_environments_own_close_does_not()
    {
        // PgBouncer checks its idle timeouts every third of a second (src/janitor.c), in a phase of its own.
        var pgbouncer = new Tolerance(new RealFacts(250, true, 5, 1, "Linux test", "PgBouncer 1.18.0 in front of postgres", []));
        DocTransition Close(string host, double t, double? since = null) =>
            new(t, host, "c2", "ESTABLISHED", "FIN_WAIT_1", since is null ? "close" : "observed", since);
        var model = Doc([], Close("pgbouncer", 5.002));
        var real = Doc([], Close("pgbouncer", 5.30, 5.295));
        RunDiff.Compare(model, real, pgbouncer).Single().Verdict.Should().Be(Verdict.Agree);
        RunDiff.Compare(model, real, Tol).Single().Verdict.Should().Be(Verdict.Disagree, "no janitor on a generic server");
        var client = RunDiff.Compare(Doc([], Close("api#1", 5.002)), Doc([], Close("api#1", 5.30, 5.295)), pgbouncer).Single();
        client.Verdict.Should().Be(Verdict.Disagree, "an environment's close is its own");
        pgbouncer.ForRequest("server", 1.2).Should().BeApproximately(Tol.ForRequest("server", 1.2) + 1.0 / 3, 1e-12,
            "query_wait_timeout's error is written by the janitor too");
        pgbouncer.ForRequest("fin", 1.2).Should().Be(Tol.ForRequest("fin", 1.2));
        pgbouncer.Describe().Should().Contain("+ 333 ms (PgBouncer's janitor)");
    }
}
