using FluentAssertions;
using Xunit;
using Zombiesim.Tcp;
using static Zombiesim.Tests.Tcp.TcpLab;

namespace Zombiesim.Tests.Tcp;

/// <summary>Outputs are handed to the driver once an input is processed: the application never runs
/// in the middle of RFC processing (issue 10; smoltcp's dispatch, quinn-proto's poll_transmit).</summary>
public class DispatchTests
{
    [Fact]
    public void An_application_that_closes_in_its_error_callback_finds_the_socket_closed_and_sends_nothing()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        TcpState seen = TcpState.Listen;
        lab.Net.Application = (conn, e) =>
        {
            if (conn == c && e.Kind == TcpEventKind.Error)
            {
                seen = c.State;
                c.Close(lab.Now); // what a client library does with a failed connection
            }
        };
        lab.At(S(1), () => s.Abort(lab.Now)); // the server resets
        lab.RunUntil(S(2));
        seen.Should().Be(TcpState.Closed, "tcp_reset has closed the socket before the application is told");
        lab.Of(c).Last().Should().Be((S(1.0005), TcpState.Established, TcpState.Closed, TcpCause.RcvRst));
        lab.Of(c).Should().NotContain(x => x.To == TcpState.FinWait1, "no FIN from a reset socket");
        lab.SentBy(lab.Client).Should().NotContain(x => x.S.Fin);
    }

    [Fact]
    public void An_interactive_application_answering_data_at_once_sends_one_segment_that_carries_the_ack()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        lab.Net.Application = (conn, e) =>
        {
            if (conn == s && e.Kind == TcpEventKind.Readable)
            {
                s.Read(lab.Now);
                s.Send(lab.Now, 5); // the reply rides on the ACK: no delayed ACK is left
            }
        };
        // The first exchange: the server quick-ACKs the first data it receives, then replies within ato, which makes the
        // connection interactive (DelayedAckTests); from then on its ACK waits for the reply.
        lab.At(S(1), () => c.Send(lab.Now, 10));
        lab.RunUntil(S(1.5));
        c.Read(lab.Now).Bytes.Should().Be(5);
        lab.At(S(2), () => c.Send(lab.Now, 10));
        lab.RunUntil(S(3));
        var fromServer = lab.SentBy(lab.Server).Where(x => x.At > S(1.5)).ToList();
        fromServer.Should().ContainSingle().Which.Should().Be((S(2.0005), new Segment(s.Local, s.Remote,
            fromServer[0].S.Seq, fromServer[0].S.Ack, TcpFlags.Ack, 5)), "one segment: the reply carries the ACK");
        c.Read(lab.Now).Bytes.Should().Be(5);
    }
}
