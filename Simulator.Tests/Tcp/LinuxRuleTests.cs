using FluentAssertions;
using Xunit;
using Zombiesim.Core.Network;
using Zombiesim.Core.Platforms;
using Zombiesim.Tcp;
using static Zombiesim.Tests.Tcp.TcpLab;

namespace Zombiesim.Tests.Tcp;

/// <summary>
/// The instants Linux 6.18's rules give at HZ=250 on a 0.1 ms RTT path, to the microsecond. Each
/// expected value is derived in the comment next to it from these rules (../shared/FACTS.md, the
/// kernel source):
/// <list type="bullet">
/// <item>RTO = usecs_to_jiffies(SRTT + max(RTTVAR, tcp_rto_min)) = ceil(200.1 ms / 4 ms) = 51 jiffies
/// = 204 ms (tcp_input.c __tcp_set_rto), doubling in jiffies (408, 816, ... ms) up to 120 s.</item>
/// <item>The first retransmission is the tail-loss probe one RTO after the send (no backoff; it does
/// not set retrans_stamp). The next, one RTO later, is the first RTO-driven one: retrans_stamp.</item>
/// <item>At each later RTO expiry: dead when now - retrans_stamp &gt;= budget, where the budget of b
/// retries is ((2 &lt;&lt; b) - 1) x 200 ms, linear (+120 s a retry) past 9 (tcp_timer.c
/// tcp_model_timeout, retransmits_timed_out); else retransmit and double.</item>
/// </list>
/// So the RTO expiries fall, counted from retrans_stamp, at E = 0.408, 1.224, 2.856, 6.12, 12.648,
/// 25.704, 51.816, 104.04, 208.488 s, then 120 s apart (328.488, ... 808.488, 928.488 s).
/// </summary>
public class LinuxRuleTests
{
    private const double T0 = 1.0;                      // the send (or close) instant
    private const double Stamp = T0 + 0.204 + 0.204;    // the probe at 1.204 s, retrans_stamp at 1.408 s

    private static TcpLab Lab(Sysctls? client = null) => new(client: client, oneWay: TimeSpan.FromMicroseconds(50));

    private static List<TimeSpan> Sent(TcpLab lab, Func<Segment, bool> which) =>
        lab.SentBy(lab.Client).Where(x => which(x.S)).Select(x => x.At).ToList();

    [Fact]
    public void The_rto_on_a_fast_path_is_51_jiffies_at_hz_250_and_whole_jiffies_at_every_hz()
    {
        Rto(250).Should().Be(Ms(204), "ceil(200.1 / 4) = 51 jiffies");
        Rto(100).Should().Be(Ms(210), "ceil(200.1 / 10) = 21 jiffies");
        Rto(1000).Should().Be(Ms(201), "ceil(200.1 / 1) = 201 jiffies");
        Rto(300).Should().Be(TimeSpan.FromTicks(2_033_334), "ceil(200.1 / 3.333) = 61 jiffies = 203.3333 ms, up to the 100 ns tick");
        var lab = Lab(new Sysctls { TcpRtoMin = Ms(50) });
        lab.Establish().Client.Rto.Should().Be(Ms(52), "tcp_rto_min is honoured as the floor of RTTVAR: ceil(50.1 / 4) = 13 jiffies");

        static TimeSpan Rto(int hz) => Lab(new Sysctls { Hz = hz }).Establish().Client.Rto;
    }

    [Theory]
    [InlineData(100)]
    [InlineData(250)]
    [InlineData(300)]
    [InlineData(1000)]
    public void The_budget_is_on_the_constant_200_ms_whatever_hz_and_tcp_rto_min(int hz)
    {
        var sys = new Sysctls { Hz = hz, TcpRtoMin = Ms(50) };
        sys.RetransmitBudget(15).Should().Be(S(924.6), "(2^10 - 1) x 0.2 + (15 - 9) x 120 s; TCP_RTO_MIN = HZ/5 jiffies");
        sys.RetransmitBudget(8).Should().Be(S(102.2), "(2^9 - 1) x 0.2 s");
        sys.RetransmitBudget(3).Should().Be(S(3.0), "(2^4 - 1) x 0.2 s");
        (sys with { TcpRtoMax = S(10) }).RetransmitBudget(15).Should().Be(S(112.6),
            "tcp_rto_max 10 s: linear past ilog2(10 / 0.2) = 5: (2^6 - 1) x 0.2 + 10 x 10 s");
    }

    [Theory]
    // tcp_retries2 = 1: budget 0.6 s. E = 0.408 < 0.6: retransmit; E = 1.224 >= 0.6: dead at 1.408 + 1.224.
    [InlineData(1, 2.632, new[] { 1.0, 1.204, 1.408, 1.816 })]
    // 3: budget 3.0 s. Retransmit at E = 0, 0.408, 1.224, 2.856; E = 6.12 >= 3.0: dead at 7.528.
    [InlineData(3, 7.528, new[] { 1.0, 1.204, 1.408, 1.816, 2.632, 4.264 })]
    // 5: budget 12.6 s. Retransmit up to E = 6.12; E = 12.648 >= 12.6: dead at 14.056.
    [InlineData(5, 14.056, new[] { 1.0, 1.204, 1.408, 1.816, 2.632, 4.264, 7.528 })]
    // 8: budget 102.2 s. Retransmit up to E = 51.816; E = 104.04 >= 102.2: dead at 105.448.
    [InlineData(8, 105.448, new[] { 1.0, 1.204, 1.408, 1.816, 2.632, 4.264, 7.528, 14.056, 27.112, 53.224 })]
    // 15: budget 924.6 s. Retransmit up to E = 808.488 (RTO capped at 120 s from E = 208.488);
    // E = 928.488 >= 924.6: dead at 929.896.
    [InlineData(15, 929.896, new[] { 1.0, 1.204, 1.408, 1.816, 2.632, 4.264, 7.528, 14.056, 27.112, 53.224,
        105.448, 209.896, 329.896, 449.896, 569.896, 689.896, 809.896 })]
    public void Tcp_retries2_gives_up_at_the_first_rto_expiry_past_its_budget(int retries2, double deadAt, double[] sent)
    {
        var lab = Lab(new Sysctls { TcpRetries2 = retries2 });
        var (c, _) = lab.Establish();
        lab.At(S(T0), () => { lab.Path.Partitioned = true; c.Send(lab.Now, 100); });
        lab.RunUntil(S(2000));
        Sent(lab, s => s.Length == 100).Should().Equal(sent.Select(S));
        lab.Of(c).Last().Should().Be((S(deadAt), TcpState.Established, TcpState.Closed, TcpCause.RetransmitTimeout));
        lab.SentBy(lab.Client).Last().At.Should().Be(S(sent[^1]), "a connection found timed out is not retransmitted");
        c.Read(lab.Now).Errno.Should().Be(Errno.ETIMEDOUT);
    }

    [Theory]
    // 1.5 s: retransmit at E = 0, 0.408, 1.224; then the RTO (816 ms) is clamped to what remains,
    // msecs_to_jiffies(1500 - 1224) = 69 jiffies, so the check at E = 1.5 finds 1500 >= 1500: dead at 2.908.
    [InlineData(1.5, 2.908, new[] { 1.0, 1.204, 1.408, 1.816, 2.632 })]
    // 5 s: retransmit at E = 0 ... 2.856; the RTO (3.264 s) is clamped to 5000 - 2856 = 2144 ms
    // (536 jiffies): dead at E = 5.0, 6.408 s.
    [InlineData(5.0, 6.408, new[] { 1.0, 1.204, 1.408, 1.816, 2.632, 4.264 })]
    public void Tcp_user_timeout_counts_from_retrans_stamp_with_the_rto_clamped_to_it(double userTimeout, double deadAt, double[] sent)
    {
        var lab = Lab();
        var (c, _) = lab.Establish(new SocketOptions { UserTimeout = S(userTimeout) });
        lab.At(S(T0), () => { lab.Path.Partitioned = true; c.Send(lab.Now, 100); });
        lab.RunUntil(S(100));
        Sent(lab, s => s.Length == 100).Should().Equal(sent.Select(S));
        lab.Of(c).Last().Should().Be((S(deadAt), TcpState.Established, TcpState.Closed, TcpCause.UserTimeout));
        (deadAt - Stamp).Should().BeApproximately(userTimeout, 1e-9, "counted from retrans_stamp, not from the send");
        var r = c.Read(lab.Now);
        (r.Errno, r.Origin).Should().Be((Errno.ETIMEDOUT, ErrorOrigin.KernelTimeout));
    }

    [Fact]
    public void An_orphaned_fin_wait_1_socket_with_tcp_orphan_retries_0_uses_8_and_goes_silently()
    {
        var lab = Lab(new Sysctls { TcpOrphanRetries = 0 });
        var (c, _) = lab.Establish();
        lab.At(S(T0), () => { lab.Path.Partitioned = true; c.Close(lab.Now); });
        lab.RunUntil(S(400));
        // tcp_orphan_retries() turns 0 into 8 while the RTO is below 120 s: budget 102.2 s. The FIN,
        // the probe, retransmissions at E = 0 ... 51.816; E = 104.04 >= 102.2: destroyed at 105.448 s.
        Sent(lab, s => s.Fin).Should().Equal(
            new[] { 1.0, 1.204, 1.408, 1.816, 2.632, 4.264, 7.528, 14.056, 27.112, 53.224 }.Select(S));
        lab.Of(c).Last().Should().Be((S(105.448), TcpState.FinWait1, TcpState.Closed, TcpCause.OrphanRetriesExhausted));
        lab.SentBy(lab.Client).Last().At.Should().Be(S(53.224), "destruction sends nothing (tcp_write_err)");
    }

    [Fact]
    public void An_orphan_whose_rto_reached_tcp_rto_max_has_a_budget_of_0_retries()
    {
        var lab = Lab(new Sysctls { TcpRtoMax = S(1) });
        var (c, _) = lab.Establish();
        lab.At(S(T0), () => { lab.Path.Partitioned = true; c.Close(lab.Now); });
        lab.RunUntil(S(100));
        // tcp_orphan_retries(): 0 means 8 only while icsk_rto < tcp_rto_max. RTO 204, 408, 816 ms,
        // then 1 s (capped). At E = 0.408 and 1.224 the RTO is below the cap: budget of 8 retries with
        // a 1 s cap, (2^3 - 1) x 0.2 + 6 x 1 = 7.4 s, so retransmit; at E = 2.224 the RTO is 1 s: the
        // budget of 0 retries is 0.2 s, passed: destroyed at 1.408 + 2.224 = 3.632 s.
        Sent(lab, s => s.Fin).Should().Equal(new[] { 1.0, 1.204, 1.408, 1.816, 2.632 }.Select(S));
        lab.Of(c).Last().Should().Be((S(3.632), TcpState.FinWait1, TcpState.Closed, TcpCause.OrphanRetriesExhausted));
    }

    [Fact]
    public void Keepalive_probes_at_idle_then_every_interval_and_gives_up_after_count_with_rst_then_etimedout()
    {
        var lab = Lab();
        var (c, s) = lab.Establish(new SocketOptions { KeepAlive = true, KeepIdle = S(60), KeepInterval = S(10), KeepCount = 3 });
        lab.At(S(T0), () => lab.Path.Partitioned = true);
        lab.RunUntil(S(200));
        // The SYN-ACK reached the client at 0.1 ms (rcv_tstamp). Probes at +60, +70, +80 s; at +90 s
        // icsk_probes_out (3) >= TCP_KEEPCNT: tcp_send_active_reset, then tcp_write_err.
        TimeSpan last = Ms(0.1);
        var probes = Sent(lab, x => x.Length == 0 && !x.Rst).Where(t => t > S(T0)).ToList();
        probes.Should().Equal(last + S(60), last + S(70), last + S(80));
        var rst = lab.SentBy(lab.Client).Last();
        (rst.At, rst.S.Flags).Should().Be((last + S(90), TcpFlags.Rst | TcpFlags.Ack));
        lab.Events.Single(e => e.C == c && e.E.Kind == TcpEventKind.Error).At.Should().Be(last + S(90), "the RST goes out, then ETIMEDOUT");
        lab.Of(c).Last().Should().Be((last + S(90), TcpState.Established, TcpState.Closed, TcpCause.KeepaliveTimeout));
        c.Read(lab.Now).Errno.Should().Be(Errno.ETIMEDOUT);
        s.State.Should().Be(TcpState.Established, "the RST was lost in the partition");
    }

    [Fact]
    public void A_keepalive_rst_that_reaches_the_peer_resets_it()
    {
        var lab = Lab();
        var (c, s) = lab.Establish(new SocketOptions { KeepAlive = true, KeepIdle = S(60), KeepInterval = S(10), KeepCount = 3 });
        // The peer is a paused VM while the probes come (they are lost); it runs again when the RST comes.
        lab.At(S(T0), () => lab.Server.Freeze(FreezeMode.Vm));
        lab.At(S(89), () => lab.Server.Resume(lab.Now));
        lab.RunUntil(S(100));
        lab.Of(c).Last().Should().Be((Ms(0.1) + S(90), TcpState.Established, TcpState.Closed, TcpCause.KeepaliveTimeout));
        lab.Of(s).Last().Should().Be((Ms(0.15) + S(90), TcpState.Established, TcpState.Closed, TcpCause.RcvRst));
    }
}
