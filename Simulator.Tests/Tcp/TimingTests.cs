using FluentAssertions;
using Xunit;
using Zombiesim.Core.Network;
using Zombiesim.Tcp;
using static Zombiesim.Tests.Tcp.TcpLab;

namespace Zombiesim.Tests.Tcp;

/// <summary>Linux's timers and budgets, asserted to the microsecond. RTT is 1 ms in the lab and HZ is
/// 250, so after the handshake RTO = usecs_to_jiffies(1 ms + 200 ms) = 51 jiffies = 204 ms.</summary>
public class TimingTests
{
    private static List<TimeSpan> Sent(TcpLab lab, TcpHost h, Func<Segment, bool> which) =>
        lab.SentBy(h).Where(x => which(x.S)).Select(x => x.At).ToList();

    [Fact]
    public void Retransmit_budget_is_linux_s_hypothetical_timeout()
    {
        var sys = new Sysctls();
        sys.RetransmitBudget(15).Should().Be(S(924.6), "tcp_retries2=15: 0.2 x (2^10 - 1) + 6 x 120 s");
        sys.RetransmitBudget(8).Should().Be(S(102.2), "tcp_orphan_retries 0 means 8: 0.2 x (2^9 - 1)");
        (sys with { TcpRtoMax = S(1) }).RetransmitBudget(15).Should().Be(S(14.4), "a lowered cap lowers the budget: 0.2 x 7 + 13 x 1 s");
    }

    [Fact]
    public void Data_into_a_black_hole_dies_with_etimedout_at_the_first_rto_past_924_6_s()
    {
        var lab = new TcpLab();
        var (c, _) = lab.Establish();
        lab.At(S(1), () => { lab.Path.Partitioned = true; c.Send(lab.Now, 100); });
        lab.RunUntil(S(2000));
        // Original at 1 s; tail-loss probe at 1.204 s (one RTO of 51 jiffies, no backoff); first
        // RTO-driven retransmission at 1.408 s starts the budget; then 0.408, 0.816, ... capped at 120 s.
        // The fires fall 0.408, 1.224, ..., 808.488, 928.488 s after 1.408 s: the first past 924.6 s
        // is 928.488 s, so the connection dies at 929.896 s after 15 retransmissions and the probe.
        var data = Sent(lab, lab.Client, s => s.Length == 100);
        data.Should().HaveCount(17);
        data.Take(4).Should().Equal(S(1), S(1.204), S(1.408), S(1.816));
        data.Last().Should().Be(S(1.408 + 808.488));
        lab.Of(c).Last().Should().Be((S(929.896), TcpState.Established, TcpState.Closed, TcpCause.RetransmitTimeout));
        var read = c.Read(lab.Now);
        (read.Errno, read.Origin).Should().Be((Errno.ETIMEDOUT, ErrorOrigin.KernelTimeout));
        c.Send(lab.Now, 1).Errno.Should().Be(Errno.EPIPE, "after the error is consumed, a write gives EPIPE");
    }

    [Theory]
    [InlineData(0, 127.0, new[] { 0.0, 1, 3, 7, 15, 31, 63 })]
    [InlineData(4, 131.0, new[] { 0.0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 })]
    public void A_syn_into_a_black_hole_fails_with_etimedout_after_the_kernel_profile_s_time(
        int linear, double failsAt, double[] synTimes)
    {
        var lab = new TcpLab(client: new Sysctls { TcpSynLinearTimeouts = linear });
        lab.Path.Partitioned = true;
        var c = lab.Client.Connect(lab.Now, new Endpoint(lab.Server.Address, Port));
        lab.RunUntil(S(300));
        Sent(lab, lab.Client, s => s.Syn).Should().Equal(synTimes.Select(S));
        lab.Of(c).Last().Should().Be((S(failsAt), TcpState.SynSent, TcpState.Closed, TcpCause.SynTimeout));
        c.Read(lab.Now).Errno.Should().Be(Errno.ETIMEDOUT);
    }

    [Fact]
    public void Kernel_profiles_are_the_classic_and_the_linear_one()
    {
        Sysctls.Classic.TcpSynLinearTimeouts.Should().Be(0);
        Sysctls.LinearSynTimeouts.TcpSynLinearTimeouts.Should().Be(4);
    }

    [Fact]
    public void An_orphaned_fin_wait_1_socket_with_a_silent_peer_is_destroyed_about_104_s_after_its_fin()
    {
        var lab = new TcpLab();
        var (c, _) = lab.Establish();
        lab.At(S(1), () => { lab.Path.Partitioned = true; c.Close(lab.Now); });
        lab.RunUntil(S(400));
        // Budget 102.2 s (tcp_orphan_retries 0 = 8). Probe at 1.204 s, first RTO at 1.408 s; fires
        // 0.408 ... 104.04 s later: 104.04 >= 102.2, destroyed at 105.448 s (104.448 s after the FIN).
        lab.Of(c).Last().Should().Be((S(105.448), TcpState.FinWait1, TcpState.Closed, TcpCause.OrphanRetriesExhausted));
        var fins = Sent(lab, lab.Client, s => s.Fin);
        fins.Should().HaveCount(10, "the FIN, the probe and 8 retransmissions");
        lab.SentBy(lab.Client).Last().At.Should().Be(fins.Last(), "destruction sends nothing");
        lab.Events.Should().NotContain(e => e.C == c && e.E.Kind == TcpEventKind.Error, "nobody holds an orphan");
    }

    [Theory]
    [InlineData(60)]
    [InlineData(30)]
    public void An_orphaned_fin_wait_2_socket_is_destroyed_at_tcp_fin_timeout(int finTimeout)
    {
        var lab = new TcpLab(server: new Sysctls { TcpFinTimeout = S(finTimeout) });
        var (c, s) = lab.Establish();
        lab.At(S(1), () => s.Close(lab.Now));
        lab.RunUntil(S(200));
        // FIN arrives at 1.0005 s; the client's socket never received data (ato 0), so its kernel ACKs it on a delayed-ACK
        // timer of 0 jiffies, at once (DelayedAckTests); FIN_WAIT_2 at 1.001 s.
        lab.WhenEntered(s, TcpState.FinWait2).Should().Be(S(1.001));
        lab.Of(s).Last().Should().Be((S(1.001 + finTimeout), TcpState.FinWait2, TcpState.Closed, TcpCause.FinWait2Timeout));
        c.State.Should().Be(TcpState.CloseWait, "the client never closed");
    }

    [Fact]
    public void Time_wait_lasts_60_s()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        lab.At(S(1), () => c.Close(lab.Now));
        lab.At(S(2), () => s.Close(lab.Now));
        lab.RunUntil(S(100));
        var entered = lab.WhenEntered(c, TcpState.TimeWait);
        lab.Of(c).Last().Should().Be((entered + S(60), TcpState.TimeWait, TcpState.Closed, TcpCause.TimeWaitExpired));
    }

    [Fact]
    public void Keepalive_defaults_give_etimedout_7200_plus_9_times_75_s_after_the_last_traffic()
    {
        var lab = new TcpLab();
        var (c, _) = lab.Establish(new SocketOptions { KeepAlive = true });
        lab.At(S(1), () => lab.Path.Partitioned = true);
        lab.RunUntil(S(9000));
        TimeSpan last = Ms(1); // the SYN-ACK was the last segment the client received
        var probes = Sent(lab, lab.Client, s => s.Length == 0 && !s.Syn && !s.Fin && !s.Rst).Where(t => t > S(1)).ToList();
        probes.Should().Equal(Enumerable.Range(0, 9).Select(i => last + S(7200 + 75 * i)));
        lab.Of(c).Last().Should().Be((last + S(7875), TcpState.Established, TcpState.Closed, TcpCause.KeepaliveTimeout));
        c.Read(lab.Now).Errno.Should().Be(Errno.ETIMEDOUT);
    }

    [Fact]
    public void Answered_keepalive_probes_keep_an_idle_connection_alive()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish(new SocketOptions { KeepAlive = true, KeepIdle = S(60), KeepInterval = S(10), KeepCount = 3 });
        lab.RunUntil(S(1000));
        c.State.Should().Be(TcpState.Established);
        s.State.Should().Be(TcpState.Established);
        Sent(lab, lab.Client, x => x.Length == 0).Count(t => t > Ms(2)).Should().Be(16, "one probe every 60 s, each answered");
    }

    [Fact]
    public void A_keepalive_probe_to_a_peer_whose_socket_is_gone_draws_rst_and_econnreset()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish(new SocketOptions { KeepAlive = true, KeepIdle = S(60) });
        lab.At(S(5), () => { lab.Path.Partitioned = true; s.Abort(lab.Now); }); // the RST is lost
        lab.At(S(10), () => lab.Path.Partitioned = false);
        lab.RunUntil(S(100));
        // First probe at 60.001 s; the server's kernel has no socket and answers RST.
        lab.Of(c).Last().Should().Be((S(60.002), TcpState.Established, TcpState.Closed, TcpCause.RcvRst));
        var r = c.Read(lab.Now);
        (r.Errno, r.Origin).Should().Be((Errno.ECONNRESET, ErrorOrigin.Rst));
    }

    [Fact]
    public void Keepalive_probes_to_a_destroyed_machine_go_unanswered_until_etimedout()
    {
        var lab = new TcpLab();
        var (c, _) = lab.Establish(new SocketOptions { KeepAlive = true, KeepIdle = S(60) });
        lab.At(S(5), () => lab.Server.Destroy());
        lab.RunUntil(S(1000));
        lab.Of(c).Last().Should().Be((Ms(1) + S(60 + 9 * 75), TcpState.Established, TcpState.Closed, TcpCause.KeepaliveTimeout));
        lab.Segments.Count(x => x.Fate == SegmentFate.LostAtHost).Should().Be(10, "9 probes, then the RST of tcp_send_active_reset");
    }

    [Fact]
    public void A_user_timeout_overrides_tcp_retries2()
    {
        var lab = new TcpLab();
        var (c, _) = lab.Establish(new SocketOptions { UserTimeout = S(30) });
        lab.At(S(1), () => { lab.Path.Partitioned = true; c.Send(lab.Now, 10); });
        lab.RunUntil(S(100));
        // Counted from retrans_stamp (1.408 s: the probe at 1.204 s does not set it), so 31.408 s.
        lab.Of(c).Last().Should().Be((S(31.408), TcpState.Established, TcpState.Closed, TcpCause.UserTimeout));
        var r = c.Read(lab.Now);
        (r.Errno, r.Origin).Should().Be((Errno.ETIMEDOUT, ErrorOrigin.KernelTimeout));
    }

    [Fact]
    public void The_first_write_to_a_reset_peer_succeeds_and_the_next_call_fails()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        lab.At(S(1), () => s.Abort(lab.Now)); // the server resets: RST in flight
        lab.RunUntil(S(2));
        c.State.Should().Be(TcpState.Closed);
        c.Send(lab.Now, 1).Errno.Should().Be(Errno.ECONNRESET, "the pending error is reported once");
        c.Send(lab.Now, 1).Errno.Should().Be(Errno.EPIPE);
    }

    [Fact]
    public void A_segment_for_no_socket_is_answered_with_rst_or_dropped_by_policy()
    {
        foreach (var (policy, expectRst) in new[] { (NoSocketPolicy.Reset, true), (NoSocketPolicy.Drop, false) })
        {
            var lab = new TcpLab(serverNoSocket: policy);
            lab.Client.Connect(lab.Now, new Endpoint(lab.Server.Address, Port));
            lab.RunUntil(Ms(5));
            lab.SentBy(lab.Server).Any(x => x.S.Rst).Should().Be(expectRst, policy.ToString());
        }
    }

    [Fact]
    public void New_data_reaching_an_orphaned_fin_wait_2_socket_is_answered_with_rst()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        lab.At(S(1), () => s.Close(lab.Now));
        lab.At(S(2), () => c.Send(lab.Now, 10));
        lab.RunUntil(S(3));
        lab.Of(s).Last().Should().Be((S(2.0005), TcpState.FinWait2, TcpState.Closed, TcpCause.RcvDataAfterClose));
        lab.Of(c).Last().Should().Be((S(2.001), TcpState.CloseWait, TcpState.Closed, TcpCause.RcvRst));
    }

    [Fact]
    public void Closing_with_unread_data_sends_rst_instead_of_fin()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        lab.At(S(1), () => c.Send(lab.Now, 10));
        lab.At(S(2), () => s.Close(lab.Now));
        s.State.Should().Be(TcpState.Closed);
        lab.SentBy(lab.Server).Last().S.Rst.Should().BeTrue();
        lab.RunUntil(S(3));
        c.Read(lab.Now).Errno.Should().Be(Errno.ECONNRESET);
    }
}
