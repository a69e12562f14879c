using FluentAssertions;
using Xunit;
using Zombiesim.Tcp;
using static Zombiesim.Tests.Tcp.TcpLab;

namespace Zombiesim.Tests.Tcp;

/// <summary>Every transition of RFC 9293 Figure 5, one test each, plus Linux's additions.</summary>
public class TransitionTests
{
    [Fact]
    public void Closed_to_listen_on_passive_open()
    {
        var lab = new TcpLab();
        var l = lab.Server.Listen(Port);
        l.State.Should().Be(TcpState.Listen);
        lab.Of(l).Should().Equal((TimeSpan.Zero, TcpState.Closed, TcpState.Listen, TcpCause.PassiveOpen));
    }

    [Fact]
    public void Listen_to_closed_on_close()
    {
        var lab = new TcpLab();
        var l = lab.Server.Listen(Port);
        l.Close(lab.Now).IsOk.Should().BeTrue();
        l.State.Should().Be(TcpState.Closed);
        lab.StatesOf(l).Should().Equal(TcpState.Listen, TcpState.Closed);
        lab.Server.ConnectionCount.Should().Be(0);
    }

    [Fact]
    public void Closed_to_syn_sent_on_active_open_sends_syn()
    {
        var lab = new TcpLab();
        var c = lab.Client.Connect(lab.Now, new Endpoint(lab.Server.Address, Port));
        c.State.Should().Be(TcpState.SynSent);
        lab.SentBy(lab.Client).Single().S.Flags.Should().Be(TcpFlags.Syn);
    }

    [Fact]
    public void Listen_to_syn_received_on_syn_sends_syn_ack_then_established_on_ack()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        lab.Of(s).Should().Equal(
            (Ms(0.5), TcpState.Listen, TcpState.SynReceived, TcpCause.RcvSyn),
            (Ms(1.5), TcpState.SynReceived, TcpState.Established, TcpCause.RcvAckOfSyn));
        lab.Of(c).Should().Equal(
            (TimeSpan.Zero, TcpState.Closed, TcpState.SynSent, TcpCause.ActiveOpen),
            (Ms(1.0), TcpState.SynSent, TcpState.Established, TcpCause.RcvSynAck));
        lab.SentBy(lab.Server).First().S.Flags.Should().Be(TcpFlags.Syn | TcpFlags.Ack);
        c.Srtt.Should().Be(Ms(1));
        c.Rto.Should().Be(Ms(204), "RTO = usecs_to_jiffies(SRTT + max(4 RTTVAR, 200 ms)) = ceil(201 ms / 4 ms) = 51 jiffies at HZ=250");
    }

    [Fact]
    public void Syn_sent_to_closed_on_close_sends_nothing()
    {
        var lab = new TcpLab();
        var c = lab.Client.Connect(lab.Now, new Endpoint(lab.Server.Address, Port));
        c.Close(lab.Now);
        c.State.Should().Be(TcpState.Closed);
        lab.SentBy(lab.Client).Should().HaveCount(1, "only the SYN");
        lab.Of(c).Last().Cause.Should().Be(TcpCause.Close);
    }

    [Fact]
    public void Syn_sent_to_closed_on_rst_reports_econnrefused()
    {
        var lab = new TcpLab(); // nobody listens: the server's kernel answers RST
        var c = lab.Client.Connect(lab.Now, new Endpoint(lab.Server.Address, Port));
        lab.RunUntil(Ms(2));
        c.State.Should().Be(TcpState.Closed);
        lab.Of(c).Last().Should().Be((Ms(1), TcpState.SynSent, TcpState.Closed, TcpCause.RcvRst));
        c.Read(lab.Now).Errno.Should().Be(Errno.ECONNREFUSED);
        lab.Events.Single(e => e.C == c).E.Origin.Should().Be(ErrorOrigin.Rst);
    }

    [Fact]
    public void Syn_sent_to_syn_received_on_simultaneous_open_then_established()
    {
        var lab = new TcpLab();
        // Both sides connect to each other's port at the same instant.
        var a = lab.Client.Connect(lab.Now, new Endpoint(lab.Server.Address, 40000));
        var b = ConnectFrom(lab, a.Local);
        lab.RunUntil(Ms(5));
        lab.StatesOf(a).Should().Equal(TcpState.SynSent, TcpState.SynReceived, TcpState.Established);
        lab.StatesOf(b).Should().Equal(TcpState.SynSent, TcpState.SynReceived, TcpState.Established);
        lab.Of(a).ElementAt(1).Cause.Should().Be(TcpCause.RcvSyn);
    }

    [Fact]
    public void Syn_received_to_fin_wait_1_on_close()
    {
        var lab = new TcpLab();
        var a = lab.Client.Connect(lab.Now, new Endpoint(lab.Server.Address, 40000));
        var b = ConnectFrom(lab, a.Local);
        lab.RunUntil(Ms(0.5)); // both SYNs arrived, SYN-ACKs in flight
        a.State.Should().Be(TcpState.SynReceived);
        a.Close(lab.Now);
        a.State.Should().Be(TcpState.FinWait1);
        lab.SentBy(lab.Client).Last().S.Flags.Should().Be(TcpFlags.Fin | TcpFlags.Ack);
        lab.RunUntil(S(1));
        b.State.Should().Be(TcpState.CloseWait);
    }

    [Fact]
    public void Established_to_fin_wait_1_to_fin_wait_2_to_time_wait_to_closed_on_active_close()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        lab.At(S(1), () => c.Close(lab.Now));
        lab.RunUntil(S(2));
        s.State.Should().Be(TcpState.CloseWait);
        c.State.Should().Be(TcpState.FinWait2);
        lab.At(S(3), () => s.Close(lab.Now));
        lab.RunUntil(S(4));
        s.State.Should().Be(TcpState.Closed);
        c.State.Should().Be(TcpState.TimeWait);
        lab.RunUntil(S(100));
        lab.Of(c).Skip(2).Should().Equal(
            (S(1), TcpState.Established, TcpState.FinWait1, TcpCause.Close),
            // No data was received: the ACK of the FIN goes on a delayed-ACK timer of ato = 0 jiffies (DelayedAckTests)
            (S(1) + Ms(1), TcpState.FinWait1, TcpState.FinWait2, TcpCause.RcvAckOfFin),
            (S(3) + Ms(0.5), TcpState.FinWait2, TcpState.TimeWait, TcpCause.RcvFin),
            (S(63) + Ms(0.5), TcpState.TimeWait, TcpState.Closed, TcpCause.TimeWaitExpired));
        lab.Of(s).Skip(2).Should().Equal(
            (S(1) + Ms(0.5), TcpState.Established, TcpState.CloseWait, TcpCause.RcvFin),
            (S(3), TcpState.CloseWait, TcpState.LastAck, TcpCause.Close),
            (S(3) + Ms(1), TcpState.LastAck, TcpState.Closed, TcpCause.RcvAckOfFin));
    }

    [Fact]
    public void Fin_wait_1_to_closing_to_time_wait_on_simultaneous_close()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        lab.At(S(1), () => { c.Close(lab.Now); s.Close(lab.Now); });
        lab.RunUntil(S(2));
        foreach (var x in new[] { c, s })
        {
            lab.Of(x).Skip(2).Select(t => (t.From, t.To)).Should().Equal(
                (TcpState.Established, TcpState.FinWait1),
                (TcpState.FinWait1, TcpState.Closing),
                (TcpState.Closing, TcpState.TimeWait));
            x.State.Should().Be(TcpState.TimeWait);
        }
        lab.WhenEntered(c, TcpState.Closing).Should().Be(S(1) + Ms(0.5));
        lab.WhenEntered(c, TcpState.TimeWait).Should().Be(S(1) + Ms(1));
    }

    [Fact]
    public void Fin_wait_1_receiving_fin_with_ack_of_fin_goes_through_fin_wait_2_to_time_wait()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        lab.At(S(1), () => c.Close(lab.Now));
        lab.At(S(1) + Ms(0.5), () => s.Close(lab.Now)); // the server's FIN carries the ACK of the client's FIN
        lab.RunUntil(S(2));
        lab.Of(c).Skip(3).Should().Equal(
            (S(1) + Ms(1), TcpState.FinWait1, TcpState.FinWait2, TcpCause.RcvAckOfFin),
            (S(1) + Ms(1), TcpState.FinWait2, TcpState.TimeWait, TcpCause.RcvFin));
    }

    [Fact]
    public void Listen_does_not_send_linux_rejects_send_on_a_listener_with_epipe()
    {
        // RFC 9293 Figure 5 has LISTEN -> SYN_SENT on SEND; Linux never implemented it.
        var lab = new TcpLab();
        var l = lab.Server.Listen(Port);
        l.Send(lab.Now, 10).Errno.Should().Be(Errno.EPIPE);
        l.State.Should().Be(TcpState.Listen);
        lab.SentBy(lab.Server).Should().BeEmpty();
    }

    [Fact]
    public void Illegal_calls_are_rejected_with_linux_errnos()
    {
        var lab = new TcpLab();
        var (c, _) = lab.Establish();
        c.Close(lab.Now);
        c.Send(lab.Now, 1).Errno.Should().Be(Errno.EINVAL, "the descriptor is closed");
        c.Read(lab.Now).Errno.Should().Be(Errno.EINVAL);
        c.Close(lab.Now).Errno.Should().Be(Errno.EINVAL);
        var l = lab.Server.Connections.First(x => x.State == TcpState.Listen);
        l.Read(lab.Now).Errno.Should().Be(Errno.EINVAL, "a listener has no stream");
        ((Action)(() => lab.Server.Listen(Port))).Should().Throw<InvalidOperationException>().WithMessage("*EADDRINUSE*");
        ((Action)(() => c.Send(lab.Now, 0))).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Data_sent_in_syn_sent_is_queued_and_goes_out_once_established()
    {
        var lab = new TcpLab();
        lab.Server.Listen(Port);
        var c = lab.Client.Connect(lab.Now, new Endpoint(lab.Server.Address, Port));
        c.Send(lab.Now, 100).IsOk.Should().BeTrue();
        lab.RunUntil(Ms(3));
        lab.Accepted!.Read(lab.Now).Bytes.Should().Be(100);
    }

    [Fact]
    public void Syn_received_child_closes_on_rst_without_telling_anyone()
    {
        var lab = new TcpLab();
        lab.Server.Listen(Port);
        var c = lab.Client.Connect(lab.Now, new Endpoint(lab.Server.Address, Port));
        lab.RunUntil(Ms(0.5)); // SYN arrived; SYN-ACK in flight
        c.Abort(lab.Now);      // SYN_SENT: closes without a RST
        lab.RunUntil(Ms(2));   // the SYN-ACK meets no socket: RST; the child goes
        var child = lab.Transitions.Single(t => t.To == TcpState.SynReceived).C;
        lab.Of(child).Last().Should().Be((Ms(1.5), TcpState.SynReceived, TcpState.Closed, TcpCause.RcvRst));
        lab.Events.Where(e => e.C == child).Should().BeEmpty();
    }

    private static TcpConnection ConnectFrom(TcpLab lab, Endpoint target)
    {
        // The server connects to the client's port from port 40000 so the two SYNs cross.
        return lab.Server.Connect(lab.Now, target, localPort: 40000);
    }
}
