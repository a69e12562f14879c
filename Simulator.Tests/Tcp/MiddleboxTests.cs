using FluentAssertions;
using Xunit;
using Zombiesim.Core.Network;
using Zombiesim.Tcp;
using static Zombiesim.Tests.Tcp.TcpLab;

namespace Zombiesim.Tests.Tcp;

public class MiddleboxTests
{
    private static MiddleboxProfile P(string preset) => MiddleboxPresets.Table[preset].Values;

    private static (TcpLab Lab, TcpConnection Client, TcpConnection Server, Middlebox Box) Through(MiddleboxProfile profile,
        SocketOptions? clientOptions = null)
    {
        var box = new Middlebox("box", profile);
        var lab = new TcpLab(boxes: [box]);
        var (c, s) = lab.Establish(clientOptions);
        return (lab, c, s, box);
    }

    [Fact]
    public void Presets_carry_the_documented_idle_timeouts_and_behaviours()
    {
        P("aws-nat-gateway").Should().Be(new MiddleboxProfile("aws-nat-gateway", S(350), FlowAction.ResetInsideSender,
            FlowAction.ResetInsideSender));
        P("aws-nlb").Should().Be(new MiddleboxProfile("aws-nlb", S(350), FlowAction.ResetSender, FlowAction.ResetSender));
        P("stateful-firewall").Should().Be(new MiddleboxProfile("stateful-firewall", S(350), FlowAction.Drop, FlowAction.Drop));
        P("azure-load-balancer").Should().Be(new MiddleboxProfile("azure-load-balancer", S(240), FlowAction.Drop, FlowAction.Drop));
        P("linux-conntrack").Should().Be(
            new MiddleboxProfile("linux-conntrack", S(432000), FlowAction.PickUpFromInside, FlowAction.PickUpFromInside));
        MiddleboxPresets.Table.Rows.Should().HaveCount(5);
    }

    [Fact]
    public void Linux_conntrack_with_loose_1_picks_up_a_mid_stream_segment_from_the_inside_and_the_connection_works()
    {
        var (lab, c, s, box) = Through(P("linux-conntrack") with { IdleTimeout = S(100) });
        lab.At(S(200), () => c.Send(lab.Now, 10)); // the entry expired at 100 s: removed now, a new one picked up
        lab.RunUntil(S(201));
        s.Read(lab.Now).Bytes.Should().Be(10);
        lab.At(S(202), () => s.Send(lab.Now, 5)); // the reply belongs to the new entry
        lab.RunUntil(S(203));
        c.Read(lab.Now).Bytes.Should().Be(5);
        box.Expired.Should().Be(1);
        box.FlowCount.Should().Be(1);
    }

    [Fact]
    public void Linux_conntrack_with_loose_0_drops_the_mid_stream_segment_silently()
    {
        var loose0 = P("linux-conntrack") with { IdleTimeout = S(100), OnExpired = FlowAction.Drop, OnUnknown = FlowAction.Drop };
        var (lab, c, s, _) = Through(loose0);
        lab.At(S(200), () => c.Send(lab.Now, 10));
        lab.RunUntil(S(260));
        s.Read(lab.Now).Bytes.Should().Be(0);
        c.State.Should().Be(TcpState.Established, "retransmitting into the drop");
        lab.Segments.Count(x => x.Fate == SegmentFate.DroppedMiddlebox).Should().BeGreaterThan(5);
    }

    [Fact]
    public void Linux_conntrack_picks_up_neither_a_segment_from_outside_nor_a_fin()
    {
        var (lab, c, s, _) = Through(P("linux-conntrack") with { IdleTimeout = S(100) });
        lab.At(S(200), () => s.Send(lab.Now, 10)); // from outside: no rule accepts a new flow from there
        lab.RunUntil(S(201));
        c.Readable.Should().Be(0, "the data and its retransmissions were dropped");
        lab.At(S(201), () => c.Close(lab.Now));    // from inside, but a FIN: "sNO -> sIV Too late"
        lab.RunUntil(S(202));
        s.State.Should().Be(TcpState.Established, "the FIN was dropped");
        lab.Segments.Should().Contain(x => x.Fate == SegmentFate.DroppedMiddlebox && x.S.Fin);
    }

    [Fact]
    public void Nat_gateway_answers_the_inside_host_with_rst_after_350_s_idle_and_the_server_never_knows()
    {
        var (lab, c, s, box) = Through(P("aws-nat-gateway"));
        lab.At(S(400), () => c.Send(lab.Now, 10));
        lab.RunUntil(S(401));
        lab.Of(c).Last().Should().Be((S(400.0005), TcpState.Established, TcpState.Closed, TcpCause.RcvRst));
        c.Read(lab.Now).Errno.Should().Be(Errno.ECONNRESET);
        s.State.Should().Be(TcpState.Established, "the NAT sends no FIN and nothing to the outside");
        box.Expired.Should().Be(1);
    }

    [Fact]
    public void Nat_gateway_flow_is_kept_alive_by_keepalive_below_its_timeout()
    {
        var (lab, c, s, _) = Through(P("aws-nat-gateway"), new SocketOptions { KeepAlive = true, KeepIdle = S(300), KeepInterval = S(30) });
        lab.At(S(1000), () => c.Send(lab.Now, 10));
        lab.RunUntil(S(1001));
        c.State.Should().Be(TcpState.Established);
        s.Read(lab.Now).Bytes.Should().Be(10);
    }

    [Fact]
    public void Nat_gateway_drops_what_comes_from_outside_for_an_expired_flow()
    {
        var (lab, c, s, _) = Through(P("aws-nat-gateway"));
        lab.At(S(400), () => s.Send(lab.Now, 10));
        lab.RunUntil(S(401));
        lab.Segments.Should().Contain(x => x.Fate == SegmentFate.DroppedMiddlebox && x.S.Length == 10);
        lab.Segments.Should().NotContain(x => x.Fate == SegmentFate.Injected);
        c.State.Should().Be(TcpState.Established);
    }

    [Fact]
    public void Nlb_resets_whoever_sends_after_the_idle_timeout()
    {
        var (lab, c, s, _) = Through(P("aws-nlb"));
        lab.At(S(400), () => s.Send(lab.Now, 10));
        lab.RunUntil(S(401));
        s.Read(lab.Now).Errno.Should().Be(Errno.ECONNRESET);
        c.State.Should().Be(TcpState.Established);
        lab.At(S(402), () => c.Send(lab.Now, 10));
        lab.RunUntil(S(403));
        c.Read(lab.Now).Errno.Should().Be(Errno.ECONNRESET, "the flow is unknown now, and the NLB resets the sender");
    }

    [Fact]
    public void A_stateful_firewall_drops_silently_so_the_thawed_write_ends_in_kernel_etimedout()
    {
        // The reported ETIMEDOUT needs something that drops: here a firewall forgot the flow.
        var (lab, c, s, _) = Through(P("stateful-firewall"), new SocketOptions { UserTimeout = S(20) });
        lab.At(S(400), () => c.Send(lab.Now, 10));
        lab.RunUntil(S(500));
        // TCP_USER_TIMEOUT counts from retrans_stamp, the first RTO-driven retransmission: probe at
        // 400.204 s, retransmission at 400.408 s (RTO 51 jiffies = 204 ms), so ETIMEDOUT at 420.408 s.
        lab.Of(c).Last().Should().Be((S(420.408), TcpState.Established, TcpState.Closed, TcpCause.UserTimeout));
        var r = c.Read(lab.Now);
        (r.Errno, r.Origin).Should().Be((Errno.ETIMEDOUT, ErrorOrigin.KernelTimeout));
        s.State.Should().Be(TcpState.Established);
    }

    [Theory]
    [InlineData(239, true)]
    [InlineData(241, false)]
    public void Azure_load_balancer_forgets_flows_idle_for_more_than_4_minutes(double idle, bool delivered)
    {
        var (lab, c, s, _) = Through(P("azure-load-balancer"));
        lab.At(S(idle), () => c.Send(lab.Now, 10));
        lab.RunUntil(S(idle + 1));
        (s.Read(lab.Now).Bytes == 10).Should().Be(delivered);
    }

    [Fact]
    public void Reset_both_tells_each_end()
    {
        var (lab, c, s, _) = Through(new MiddleboxProfile("custom", S(100), FlowAction.ResetBoth, FlowAction.Drop));
        lab.At(S(200), () => c.Send(lab.Now, 10));
        lab.RunUntil(S(201));
        c.Read(lab.Now).Errno.Should().Be(Errno.ECONNRESET);
        s.Read(lab.Now).Errno.Should().Be(Errno.ECONNRESET);
    }

    [Fact]
    public void Sweeping_forgets_expired_flows_so_memory_follows_live_flows()
    {
        var box = new Middlebox("nat", P("aws-nat-gateway"));
        var injected = new List<Segment>();
        for (ushort p = 1; p <= 100; p++)
            box.Process(S(p), new Segment(new Endpoint(1, p), new Endpoint(2, 80), 0, 0, TcpFlags.Syn, 0), true, injected);
        box.FlowCount.Should().Be(100);
        box.Sweep(S(400));
        box.FlowCount.Should().Be(51, "flows opened before 50 s were idle for more than 350 s; at exactly 350 s a flow still lives");
    }
}
