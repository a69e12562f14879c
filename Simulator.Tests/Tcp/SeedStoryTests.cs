using FluentAssertions;
using Xunit;
using Zombiesim.Core.Network;
using Zombiesim.Core.Platforms;
using Zombiesim.Tcp;
using static Zombiesim.Tests.Tcp.TcpLab;

namespace Zombiesim.Tests.Tcp;

/// <summary>
/// The Upstash 2020 story at the TCP level: a request at 0 s, the function frozen at 5 s, the
/// server's idle close at 60 s (tcp_fin_timeout 30 s), the thawed function's request at 95 s.
/// </summary>
public class SeedStoryTests
{
    private static (TcpLab Lab, TcpConnection Client, TcpConnection Server) Story(FreezeMode mode)
    {
        var lab = new TcpLab(server: new Sysctls { TcpFinTimeout = S(30) });
        var (c, s) = lab.Establish();
        // The server answers each request at once (a Redis GET).
        lab.Net.Application = (conn, e) =>
        {
            if (conn == s && e.Kind == TcpEventKind.Readable && !s.Orphaned)
            {
                s.Read(lab.Now);
                s.Send(lab.Now, 5);
            }
        };
        lab.At(Ms(2), () => c.Send(lab.Now, 10));
        lab.RunUntil(Ms(50));
        c.Read(lab.Now).Bytes.Should().Be(5, "the first request succeeds");
        lab.At(S(5), () => lab.Client.Freeze(mode));
        lab.At(S(60), () => s.Close(lab.Now)); // the idle timeout: the server closes its side
        return (lab, c, s);
    }

    [Fact]
    public void Process_freeze_server_fin_wait_2_client_close_wait_then_eof_and_epipe_after_thaw()
    {
        var (lab, c, s) = Story(FreezeMode.Process);
        lab.RunUntil(S(95));
        // The frozen process's kernel still ACKs the FIN (after the 40 ms delayed ACK).
        lab.WhenEntered(c, TcpState.CloseWait).Should().Be(S(60.0005));
        lab.WhenEntered(s, TcpState.FinWait2).Should().Be(S(60.041));
        lab.Of(s).Last().Should().Be((S(90.041), TcpState.FinWait2, TcpState.Closed, TcpCause.FinWait2Timeout));
        c.State.Should().Be(TcpState.CloseWait);

        lab.Client.Resume(lab.Now);
        c.Send(lab.Now, 10).IsOk.Should().BeTrue("the write succeeds locally");
        lab.RunUntil(S(95.001));
        var rst = lab.SentBy(lab.Server).Last();
        (rst.At, rst.S.Rst).Should().Be((S(95.0005), true), "the server's kernel has no socket and answers RST");
        lab.Of(c).Last().Should().Be((S(95.001), TcpState.CloseWait, TcpState.Closed, TcpCause.RcvRst));
        c.Read(lab.Now).Eof.Should().BeTrue("the FIN arrived before: read gives EOF");
        var write = c.Send(lab.Now, 10);
        (write.Errno, write.Origin).Should().Be((Errno.EPIPE, ErrorOrigin.Rst), "RST in CLOSE_WAIT is EPIPE");
    }

    [Fact]
    public void Vm_freeze_server_retransmits_its_fin_in_fin_wait_1_and_the_thawed_client_gets_econnreset()
    {
        var (lab, c, s) = Story(FreezeMode.Vm);
        lab.RunUntil(S(95));
        c.State.Should().Be(TcpState.Established, "the paused VM never saw the FIN");
        s.State.Should().Be(TcpState.FinWait1);
        var fins = lab.SentBy(lab.Server).Where(x => x.S.Fin).Select(x => x.At).ToList();
        fins.Count.Should().BeGreaterThan(5, "the FIN is retransmitted with backoff");
        fins[0].Should().Be(S(60));
        lab.Segments.Count(x => x.Fate == SegmentFate.LostAtHost && x.S.Fin).Should().Be(fins.Count);

        lab.Client.Resume(lab.Now);
        c.Send(lab.Now, 10).IsOk.Should().BeTrue("the write succeeds locally");
        lab.RunUntil(S(95.001));
        lab.Of(s).Last().Should().Be((S(95.0005), TcpState.FinWait1, TcpState.Closed, TcpCause.RcvDataAfterClose));
        lab.Of(c).Last().Should().Be((S(95.001), TcpState.Established, TcpState.Closed, TcpCause.RcvRst));
        var read = c.Read(lab.Now);
        (read.Errno, read.Origin).Should().Be((Errno.ECONNRESET, ErrorOrigin.Rst));
        c.Send(lab.Now, 10).Errno.Should().Be(Errno.EPIPE, "after the reset is reported, writes give EPIPE");
    }

    [Fact]
    public void A_destroyed_environment_leaves_the_server_socket_established_as_a_zombie()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        lab.At(S(5), () => lab.Client.Freeze(FreezeMode.Vm));
        lab.At(S(300), () => lab.Client.Destroy());
        lab.RunUntil(S(3000));
        s.State.Should().Be(TcpState.Established, "nothing was sent: the server cannot know");
        lab.Of(c).Last().Should().Be((S(300), TcpState.Established, TcpState.Closed, TcpCause.HostDestroyed));
        lab.SentBy(lab.Client).Last().At.Should().BeLessThan(S(1));
    }

    [Fact]
    public void A_killed_process_s_kernel_closes_its_sockets_with_fin()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        lab.At(S(5), () => c.Close(lab.Now)); // the process exits; the kernel closes its descriptors
        lab.RunUntil(S(6));
        s.State.Should().Be(TcpState.CloseWait);
        c.State.Should().Be(TcpState.FinWait2);
    }

    [Fact]
    public void A_paused_vm_runs_no_timers_and_fires_the_overdue_ones_at_the_thaw()
    {
        var lab = new TcpLab();
        var (c, _) = lab.Establish();
        lab.At(S(1), () => { lab.Path.Partitioned = true; c.Send(lab.Now, 10); });
        lab.At(S(1.1), () => lab.Client.Freeze(FreezeMode.Vm));
        lab.RunUntil(S(50));
        lab.SentBy(lab.Client).Where(x => x.S.Length == 10).Select(x => x.At).Should().Equal(S(1));
        lab.Client.Resume(lab.Now);
        lab.SentBy(lab.Client).Where(x => x.S.Length == 10).Select(x => x.At).Should().Equal(
            [S(1), S(50)], "the overdue probe goes out at the thaw");
        c.State.Should().Be(TcpState.Established);
    }

    [Fact]
    public void A_process_freeze_keeps_the_kernel_working_but_stops_the_application()
    {
        var lab = new TcpLab();
        var (c, _) = lab.Establish();
        lab.Client.Freeze(FreezeMode.Process);
        ((Action)(() => c.Send(lab.Now, 1))).Should().Throw<InvalidOperationException>().WithMessage("*frozen*");
        lab.Client.Resume(lab.Now);
        c.Send(lab.Now, 1).IsOk.Should().BeTrue();
    }
}
