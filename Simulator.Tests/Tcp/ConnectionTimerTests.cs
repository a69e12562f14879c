using FluentAssertions;
using Xunit;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Network;
using Zombiesim.Tcp;
using static Zombiesim.Tests.Tcp.TcpLab;

namespace Zombiesim.Tests.Tcp;

/// <summary>The network's one engine event per connection, armed for the connection's next deadline: when it runs. Once a
/// connection's own FIN is acknowledged, its event waits for the state timer instead of firing for nothing where the FIN's
/// retransmission was due (and re-arming).</summary>
public class ConnectionTimerTests
{
    /// <summary>Runs the lab's engine until nothing is pending; the instants of the events that were no segment's arrival
    /// (in a lab, every other event is a connection's timer).</summary>
    private static List<TimeSpan> TimerEventsToTheEnd(TcpLab lab)
    {
        var instants = new List<TimeSpan>();
        int arrivals = Arrivals(lab);
        while (lab.Engine.Step())
        {
            if (Arrivals(lab) == arrivals)
                instants.Add(lab.Now);
            arrivals = Arrivals(lab);
        }
        return instants;
    }

    private static int Arrivals(TcpLab lab) => lab.Segments.Count(x => x.Fate is SegmentFate.Delivered or SegmentFate.LostAtHost);

    [Fact]
    public void An_orphaned_fin_wait_2_runs_its_timeout_and_no_event_where_its_acknowledged_fin_was_to_be_retransmitted()
    {
        var lab = new TcpLab();
        var (c, _) = lab.Establish();
        lab.RunUntil(S(2)); // the handshake's timers are done
        lab.At(S(2), () => c.Close(lab.Now)); // the server never closes: the client waits in FIN_WAIT_2

        TimerEventsToTheEnd(lab).Should().Equal([S(2.0005), S(62.001)],
            "the server's ACK of the FIN, and tcp_fin_timeout (60 s) after the ACK; the FIN's retransmission, due at 2.204 s, "
                + "was cleared by that ACK at 2.001 s");
        lab.Of(c).Skip(2).Should().Equal(
            (S(2), TcpState.Established, TcpState.FinWait1, TcpCause.Close),
            (S(2.001), TcpState.FinWait1, TcpState.FinWait2, TcpCause.RcvAckOfFin),
            (S(62.001), TcpState.FinWait2, TcpState.Closed, TcpCause.FinWait2Timeout));
    }

    [Fact]
    public void A_time_wait_runs_its_end_and_no_event_where_its_acknowledged_fin_was_to_be_retransmitted_nor_at_fin_timeout()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        lab.RunUntil(S(2));
        lab.At(S(2), () => c.Close(lab.Now));
        lab.Engine.Schedule(S(3), new Call(() => s.Close(lab.Now))); // a second later: the client goes to TIME_WAIT

        TimerEventsToTheEnd(lab).Should().Equal([S(2.0005), S(3), S(63.0005)],
            "the server's ACK of the FIN, its close, and TIME_WAIT's 60 s; none at 2.204 s where "
                + "the client's FIN was to be retransmitted, nor at 62.001 s where FIN_WAIT_2 was to time out");
        lab.Of(c).Skip(2).Select(x => (x.At, x.To)).Should().Equal(
            (S(2), TcpState.FinWait1), (S(2.001), TcpState.FinWait2), (S(3.0005), TcpState.TimeWait), (S(63.0005), TcpState.Closed));
    }

    private sealed class Call(Action action) : EventReceiver
    {
        public override void OnEvent(long arg) => action();
    }
}
