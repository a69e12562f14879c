using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Worlds;
using Zombiesim.Tcp;

namespace Zombiesim.Tests.World;

/// <summary>
/// The seed story (Upstash 2020) replayed, each instant asserted. The first request at 0 s cold
/// starts the environment (200 ms) and pays the connection set-up cost of a 1,024 MB function; the
/// server's reply leaves at SYN + 1.6 ms (handshake 1 ms, request 0.5 ms, response 0.1 ms), and the
/// idle timeout counts from there.
/// </summary>
public class SeedTimelineTests
{
    private static readonly TimeSpan Syn = TimeSpan.FromMilliseconds(200) + ConnectionSetupCost.Default(1024);
    private static readonly TimeSpan LastActivity = Syn + TimeSpan.FromMilliseconds(1.6);
    private static readonly TimeSpan FirstEnd = LastActivity + TimeSpan.FromMilliseconds(0.5); // the reply reaches the client
    private static TimeSpan S(double s) => TimeSpan.FromTicks((long)Math.Round(s * TimeSpan.TicksPerSecond));

    private static TransitionRecord Server(RunRecorder r, string conn, TcpState to) =>
        r.Transitions.Single(t => t.Host == "server" && t.Connection == conn && t.To == to);

    [Fact]
    public void Set_up_cost_is_75_us_on_a_full_cpu_and_6_5_ms_at_128_mb()
    {
        ConnectionSetupCost.Default(1769).Should().Be(TimeSpan.FromMicroseconds(75));
        ConnectionSetupCost.Default(10240).Should().Be(TimeSpan.FromMicroseconds(75));
        ConnectionSetupCost.Default(128).Should().Be(TimeSpan.FromMicroseconds(6500));
        ConnectionSetupCost.Default(1024).Should().BeGreaterThan(TimeSpan.FromMicroseconds(75))
            .And.BeLessThan(TimeSpan.FromMicroseconds(6500));
    }

    [Fact]
    public void Process_freeze_fin_at_60_s_fin_wait_2_gone_30_s_later_eof_at_95_s_destroyed_at_395_s_new_connection_at_400_s()
    {
        var (_, r) = Scenarios.Run("upstash-2020-process.yaml");
        r.Lifecycle.Select(l => (l.T, l.Environment, l.Event)).Should().Equal(
            (S(0), "hello#1", LifecycleEvent.ColdStart),
            (FirstEnd + S(5), "hello#1", LifecycleEvent.Frozen),
            (S(95), "hello#1", LifecycleEvent.Thawed),
            (S(100), "hello#1", LifecycleEvent.Frozen),
            (S(395), "hello#1", LifecycleEvent.Destroyed),
            (S(400), "hello#2", LifecycleEvent.ColdStart),
            (S(400) + FirstEnd + S(5), "hello#2", LifecycleEvent.Frozen));
        Server(r, "c1", TcpState.FinWait1).T.Should().Be(LastActivity + S(60), "the server's idle timeout sends FIN");
        // The frozen process's kernel ACKs the FIN after its 40 ms delayed ACK: FIN_WAIT_2.
        Server(r, "c1", TcpState.FinWait2).T.Should().Be(LastActivity + S(60) + TimeSpan.FromMilliseconds(41));
        Server(r, "c1", TcpState.Closed).Should()
            .Be(new TransitionRecord(LastActivity + S(90.041), "server", "c1", TcpState.FinWait2, TcpState.Closed,
                TcpCause.FinWait2Timeout));
        r.Transitions.Single(t => t.Host == "hello#1" && t.To == TcpState.CloseWait).T.Should().Be(LastActivity + S(60.0005));
        r.Requests.Select(q => (q.T, q.Environment, q.Connection, q.Outcome, q.Origin)).Should().Equal(
            (S(0), "hello#1", "c1", Outcome.Ok, null),
            (S(95), "hello#1", "c1", Outcome.Eof, Origin.Fin),
            (S(400), "hello#2", "c2", Outcome.Ok, null));
        r.Requests[1].Cause!.Incident.Should().Match<Incident>(i =>
            i.Kind == IncidentKind.IdleClose && i.At == LastActivity + S(60)
            && i.Environment == "hello#1" && i.EnvironmentState == EnvironmentState.Frozen);
        r.Requests[1].Cause!.Text().Should().Be("at 60.20179s the server closed it after 60s idle (idle timeout) while hello#1 was frozen");
        // The RST for the thawed write comes back one round trip later, after the EOF was read.
        r.Transitions.Last(t => t.Connection == "c1" && t.Host == "hello#1").Should().Be(
            new TransitionRecord(S(95.001), "hello#1", "c1", TcpState.LastAck, TcpState.Closed, TcpCause.RcvRst));
    }

    [Fact]
    public void Vm_freeze_server_stays_in_fin_wait_1_and_the_thawed_request_gets_econnreset()
    {
        var (_, r) = Scenarios.Run("upstash-2020-vm.yaml");
        Server(r, "c1", TcpState.FinWait1).T.Should().Be(LastActivity + S(60));
        r.Transitions.Should().NotContain(t => t.Host == "server" && t.Connection == "c1" && t.To == TcpState.FinWait2);
        r.Transitions.Should().NotContain(t => t.Host == "hello#1" && t.To == TcpState.CloseWait, "the paused VM never saw the FIN");
        Server(r, "c1", TcpState.Closed).Should()
            .Be(new TransitionRecord(S(95.0005), "server", "c1", TcpState.FinWait1, TcpState.Closed, TcpCause.RcvDataAfterClose));
        r.Requests[1].Should().Match<RequestRecord>(q => q.T == S(95) && q.Outcome == Outcome.ECONNRESET && q.Errno == "ECONNRESET"
            && q.Origin == Origin.Rst);
        r.Requests[1].LatencyMs.Should().BeApproximately(1.0, 1e-9, "the RST comes back one round trip after the write");
        r.Requests[2].Outcome.Should().Be(Outcome.Ok);
    }

    [Fact]
    public void With_310_s_every_request_succeeds_and_the_destroyed_environment_leaves_an_established_zombie()
    {
        var (outcome, r) = Scenarios.Run("upstash-2020-310s.yaml");
        r.Requests.Should().OnlyContain(q => q.Ok).And.HaveCount(3);
        r.Requests[1].Connection.Should().Be("c1", "the connection survived the freeze");
        r.Lifecycle.Single(l => l.Event == LifecycleEvent.Destroyed).T.Should().Be(S(95) + TimeSpan.FromMilliseconds(1.1) + S(300),
            "300 s after the second request ended");
        // The second request reused the connection: its reply left at 95 s + 0.6 ms; the idle clock restarts there.
        var serverClose = Server(r, "c1", TcpState.FinWait1);
        serverClose.T.Should().Be(S(95) + TimeSpan.FromMilliseconds(0.6) + S(310));
        r.Transitions.Where(t => t.Host == "server" && t.Connection == "c1" && t.T > S(395) && t.T < serverClose.T).Should().BeEmpty(
            "between the destruction and the idle timeout the server socket stays ESTABLISHED: a zombie");
        outcome.Summary.ZombieSeconds.Should().BeGreaterThan(300);
    }

    [Fact]
    public void The_etimedout_variant_names_its_mechanism()
    {
        var (_, r) = Scenarios.Run("upstash-2020-etimedout.yaml");
        var failed = r.Requests.Single(q => !q.Ok);
        (failed.T, failed.Outcome, failed.Origin, failed.LatencyMs).Should().Be((S(95), Outcome.ETIMEDOUT, Origin.LibraryTimeout, 5000.0));
        failed.Cause!.Text().Should().Contain("stateful-firewall dropped a segment of a flow it had forgotten")
            .And.Contain("commandTimeout 5s");
    }

    [Fact]
    public void Setting_the_idle_timeout_from_the_command_line_changes_the_story()
    {
        var (outcome, r) = Scenarios.Run("upstash-2020-process.yaml", "server.idleTimeout=310s");
        r.Requests.Should().OnlyContain(q => q.Ok);
        outcome.ExpectationsMet.Should().BeFalse("the file expects the EOF that 310 s prevents");
    }
}
