using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Tcp;
using static Zombiesim.Tests.Servers.ServerWorld;

namespace Zombiesim.Tests.Servers;

/// <summary>A server that writes an error and closes (PgBouncer's query_wait_timeout, Redis above maxclients): its error
/// and its FIN reach the client in the same instant, and the client's kernel takes both before the library reads, so the
/// library closes a socket already in CLOSE_WAIT and the client holds no TIME_WAIT (Linux; docs/model.md).</summary>
public class ErrorThenCloseTests
{
    private static IEnumerable<(TimeSpan T, TcpState From, TcpState To, TcpCause Cause)> Of(RunRecorder r, string host, string c) =>
        r.Transitions.Where(t => t.Host == host && t.Connection == c).Select(t => (t.T, t.From, t.To, t.Cause));

    [Fact]
    public void A_client_answered_query_wait_timeout_reads_it_in_close_wait_and_leaves_the_time_wait_to_the_pooler()
    {
        var r = Zombiesim.Tests.Poolers.PoolerWorld.Run(Zombiesim.Tests.Poolers.PgBouncerTests.QueryWaitScenario).Records;
        var b = r.Requests.Single(q => q.Function == "b");
        b.Outcome.Should().Be(Outcome.ServerError);
        var closed = S(3.2015); // the query reached the pooler at 1.2015 s and waited 2 s
        Of(r, "b#1", b.Connection!).Should().Equal(
            (S(1.2), TcpState.Closed, TcpState.SynSent, TcpCause.ActiveOpen),
            (S(1.201), TcpState.SynSent, TcpState.Established, TcpCause.RcvSynAck),
            (closed + S(Latency), TcpState.Established, TcpState.CloseWait, TcpCause.RcvFin),
            (closed + S(Latency), TcpState.CloseWait, TcpState.LastAck, TcpCause.Close),
            (closed + S(3 * Latency), TcpState.LastAck, TcpState.Closed, TcpCause.RcvAckOfFin));
        Of(r, "proxy", b.Connection!).Skip(2).Should().Equal(
            (closed, TcpState.Established, TcpState.FinWait1, TcpCause.Close),
            (closed + S(2 * Latency), TcpState.FinWait1, TcpState.FinWait2, TcpCause.RcvAckOfFin),
            (closed + S(2 * Latency), TcpState.FinWait2, TcpState.TimeWait, TcpCause.RcvFin));
    }

    [Fact]
    public void A_client_refused_above_maxclients_reads_the_error_in_close_wait_and_holds_no_time_wait()
    {
        var r = Run("preset: redis\n  maxClients: 1", "[0s]", other: "[1s]");
        var g = r.Requests.Single(q => q.Function == "g");
        (g.Outcome, g.Origin).Should().Be((Outcome.Rejected, Origin.Server));
        var accepted = S(1.2016899); // g's ACK, and its command written once connect() returned, arrive together
        // Redis refuses at accept (acceptCommonHandler), before the command is processed: the error and the FIN leave,
        // then the command meets a socket closed for reading, which Linux resets.
        Of(r, "server", g.Connection!).Skip(1).Should().Equal(
            (accepted, TcpState.SynReceived, TcpState.Established, TcpCause.RcvAckOfSyn),
            (accepted, TcpState.Established, TcpState.FinWait1, TcpCause.Close),
            (accepted, TcpState.FinWait1, TcpState.Closed, TcpCause.RcvDataAfterClose));
        // The client's FIN then meets no socket and is answered with a RST.
        Of(r, "g#1", g.Connection!).Skip(2).Should().Equal(
            (accepted + S(Latency), TcpState.Established, TcpState.CloseWait, TcpCause.RcvFin),
            (accepted + S(Latency), TcpState.CloseWait, TcpState.LastAck, TcpCause.Close),
            (accepted + S(3 * Latency), TcpState.LastAck, TcpState.Closed, TcpCause.RcvRst));
        r.Transitions.Should().NotContain(t => t.Host == "g#1" && t.To == TcpState.TimeWait);
    }
}
