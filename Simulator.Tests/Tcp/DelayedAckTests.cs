using FluentAssertions;
using Xunit;
using Zombiesim.Tcp;
using static Zombiesim.Tests.Tcp.TcpLab;

namespace Zombiesim.Tests.Tcp;

/// <summary>
/// Issue 14: Linux's delayed-ACK engine (net/ipv4/tcp_input.c tcp_event_data_recv, __tcp_ack_snd_check;
/// tcp_output.c tcp_send_delayed_ack, tcp_event_data_sent; tcp_timer.c tcp_delack_timer_handler; tcp.c
/// __tcp_cleanup_rbuf; Linux 6.18). HZ=250: TCP_ATO_MIN = TCP_DELACK_MIN = 10 jiffies = 40 ms; one-way 0.5 ms,
/// so the RTO is 51 jiffies (204 ms). Measured on Linux 6.18.44 over loopback (docs/model.md).
/// </summary>
public class DelayedAckTests
{
    [Fact]
    public void The_first_data_a_socket_receives_is_acked_at_once_on_its_own_and_the_reply_follows()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        lab.Net.Application = (conn, e) =>
        {
            if (conn == s && e.Kind == TcpEventKind.Readable)
            {
                s.Read(lab.Now);
                s.Send(lab.Now, 5);
            }
        };
        lab.At(S(1), () => c.Send(lab.Now, 30));
        lab.RunUntil(S(2));
        lab.SentBy(lab.Server).Where(x => x.At > S(1)).Select(x => (x.At, x.S.Length)).Should()
            .Equal([(S(1.0005), 0), (S(1.0005), 5)], "the quick ACK on its own, then the reply: both at arrival");
        lab.SentBy(lab.Client).Where(x => x.At >= S(1)).Select(x => (x.At, x.S.Length)).Should()
            .Equal((S(1), 30), (S(1.001), 0)); // the client's first data, the reply, is acknowledged at once too
        s.QuickAcksLeft.Should().Be(15, "TCP_MAX_QUICKACKS 16, one spent; the reply carried no owed ACK");
        s.Interactive.Should().BeTrue("it sent data within ato (40 ms) of the data it received: tcp_event_data_sent");
        c.Interactive.Should().BeFalse("its command went before it had received any data (ato 0)");
        s.AckTimeout.Should().Be(Ms(40));
    }

    [Fact]
    public void A_server_that_misses_the_delayed_ack_timeout_acks_after_40_ms_leaves_ping_pong_and_quick_acks_the_next_command()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        bool answer = true;
        lab.Net.Application = (conn, e) =>
        {
            if (conn == s && e.Kind == TcpEventKind.Readable)
            {
                s.Read(lab.Now); // a pushed segment read by an interactive socket: no ACK on the read
                if (answer)
                    s.Send(lab.Now, 5);
            }
        };
        lab.At(S(1), () => c.Send(lab.Now, 30));
        lab.RunUntil(S(1.5));
        answer = false;
        lab.At(S(2), () => c.Send(lab.Now, 30));
        lab.RunUntil(S(2.5));
        lab.SentBy(lab.Server).Where(x => x.At > S(1.5)).Select(x => (x.At, x.S.Length)).Should()
            .Equal([(S(2.0405), 0)], "interactive: the ACK waits ato = 40 ms for a reply that does not come");
        s.Interactive.Should().BeFalse("tcp_delack_timer_handler: a missed delayed ACK leaves ping-pong mode");
        lab.At(S(3), () => c.Send(lab.Now, 30));
        lab.RunUntil(S(3.5));
        lab.SentBy(lab.Server).Where(x => x.At > S(2.5)).Select(x => (x.At, x.S.Length)).Should()
            .Equal([(S(3.0005), 0)], "quick ACKs are left and the socket is no longer interactive");
    }

    [Fact]
    public void Sixteen_quick_acks_then_an_unread_segment_waits_40_ms_for_the_delayed_ack_timer()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        for (int i = 0; i < 18; i++)
            lab.At(S(1 + 0.1 * i), () => s.Send(lab.Now, 10)); // 100 ms apart: longer than ato, shorter than the RTO
        lab.RunUntil(S(3));
        var acks = lab.SentBy(lab.Client).Where(x => x.At > S(1)).Select(x => x.At).ToList();
        acks.Should().HaveCount(18);
        acks.Take(16).Should().Equal(Enumerable.Range(0, 16).Select(i => S(1.0005 + 0.1 * i)), "quick ACKs at arrival");
        acks[16].Should().Be(S(2.6005) + Ms(40), "quick ACKs spent: the delayed-ACK timer, ato 40 ms");
        acks[17].Should().Be(S(2.7005) + Ms(40), "ato doubled to 80 ms by the missed timer, bounded by the RTT (TCP_DELACK_MIN)");
        c.QuickAcksLeft.Should().Be(0);
    }

    [Fact]
    public void Once_quick_acks_are_spent_a_read_that_drains_a_pushed_segment_sends_the_ack()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        for (int i = 0; i < 17; i++)
            lab.At(S(1 + 0.1 * i), () => s.Send(lab.Now, 10));
        lab.RunUntil(S(2.6005) + Ms(5));
        c.Read(lab.Now).Bytes.Should().Be(170);
        lab.RunUntil(S(3));
        lab.SentBy(lab.Client).Where(x => x.At > S(2.55)).Select(x => x.At).Should()
            .Equal([S(2.6055)], "__tcp_cleanup_rbuf: the ACK goes with the read, 5 ms after arrival (measured 5.1 ms)");
    }

    [Fact]
    public void A_gap_longer_than_the_rto_grants_quick_acks_again()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        for (int i = 0; i < 17; i++)
            lab.At(S(1 + 0.1 * i), () => s.Send(lab.Now, 10));
        lab.At(S(4), () => s.Send(lab.Now, 10)); // 1.4 s after the last: more than the RTO (204 ms)
        lab.RunUntil(S(5));
        lab.SentBy(lab.Client).Where(x => x.At > S(3)).Select(x => x.At).Should().Equal([S(4.0005)]);
        c.QuickAcksLeft.Should().Be(15);
    }

    [Fact]
    public void The_ack_of_a_fin_in_close_wait_waits_40_ms_after_data_was_received()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        lab.At(S(1), () => c.Send(lab.Now, 30));
        lab.At(S(1.01), () => { s.Read(lab.Now); s.Send(lab.Now, 5); });
        lab.At(S(2), () => s.Close(lab.Now));
        lab.RunUntil(S(3));
        c.State.Should().Be(TcpState.CloseWait);
        lab.SentBy(lab.Client).Where(x => x.At > S(1.5)).Select(x => x.At).Should()
            .Equal([S(2.0005) + Ms(40)], "tcp_fin enters ping-pong mode: ato, 40 ms (measured 43.4 ms), though quick ACKs are left");
        lab.WhenEntered(s, TcpState.FinWait2).Should().Be(S(2.041));
    }

    [Fact]
    public void The_ack_of_a_fin_to_a_socket_that_never_received_data_goes_on_a_timer_of_0_jiffies()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        lab.At(S(1), () => s.Close(lab.Now));
        lab.RunUntil(S(2));
        lab.SentBy(lab.Client).Where(x => x.At > S(0.5)).Select(x => x.At).Should()
            .Equal([S(1.0005)], "ato is 0 before any data: the timer is due at once (the kernel: the next tick, measured 3.9 ms)");
        lab.WhenEntered(s, TcpState.FinWait2).Should().Be(S(1.001));
        c.AckTimeout.Should().Be(Ms(40), "the timer, in ping-pong mode, left it and reset ato to TCP_ATO_MIN");
    }

    [Fact]
    public void A_retransmitted_fin_in_close_wait_is_acked_at_once_and_ends_ping_pong()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        lab.At(S(1), () => c.Send(lab.Now, 30));
        lab.At(S(1.01), () => { s.Read(lab.Now); s.Send(lab.Now, 5); });
        lab.At(S(2), () => s.Close(lab.Now));
        lab.At(S(2.001), () => lab.Path.Partitioned = true); // the delayed ACK of the FIN (2.0405 s) is lost
        lab.At(S(2.1), () => lab.Path.Partitioned = false);
        lab.RunUntil(S(3));
        var fins = lab.SentBy(lab.Server).Where(x => x.S.Fin).Select(x => x.At).ToList();
        fins.Should().HaveCount(2, "the FIN and its tail-loss probe one RTO later");
        lab.SentBy(lab.Client).Where(x => x.At > S(2.1)).Select(x => x.At).Should()
            .Equal([fins[1] + Ms(0.5)], "tcp_send_dupack: a segment wholly before RCV.NXT is acknowledged at once");
        c.Interactive.Should().BeFalse("tcp_enter_quickack_mode leaves ping-pong mode");
    }

    [Theory]
    [InlineData(1, new[] { 5 })]
    [InlineData(2, new[] { 0, 5 })]
    public void Tcp_pingpong_thresh_is_the_number_of_quick_replies_before_the_ack_waits_to_ride_on_the_reply(int thresh, int[] second)
    {
        var lab = new TcpLab(server: new Sysctls { TcpPingpongThresh = thresh });
        var (c, s) = lab.Establish();
        lab.Net.Application = (conn, e) =>
        {
            if (conn == s && e.Kind == TcpEventKind.Readable)
            {
                s.Read(lab.Now);
                s.Send(lab.Now, 5);
            }
        };
        lab.At(S(1), () => c.Send(lab.Now, 30));
        lab.At(S(2), () => c.Send(lab.Now, 30));
        lab.RunUntil(S(3));
        lab.SentBy(lab.Server).Where(x => x.At > S(1.5)).Select(x => x.S.Length).Should().Equal(second,
            "one reply within ato makes the socket interactive at threshold 1; at 2 the second command is still quick-ACKed");
    }
}
