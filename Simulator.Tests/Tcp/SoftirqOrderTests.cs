using FluentAssertions;
using Xunit;
using Zombiesim.Tcp;
using static Zombiesim.Tests.Tcp.TcpLab;

namespace Zombiesim.Tests.Tcp;

/// <summary>A kernel processes what arrives in softirq before the task it wakes runs (Linux): the application hears of
/// an arrival only once the segments sent with it that arrive in the same instant have been processed too.</summary>
public class SoftirqOrderTests
{
    [Fact]
    public void An_error_written_just_before_close_is_read_with_the_fin_already_processed_and_the_client_closes_from_close_wait()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        var seen = new List<(TcpEventKind Kind, TcpState State)>();
        lab.Net.Application = (conn, e) =>
        {
            if (conn != c)
                return;
            seen.Add((e.Kind, c.State));
            if (e.Kind == TcpEventKind.Readable)
            {
                c.Read(lab.Now).Bytes.Should().Be(40);
                c.Close(lab.Now); // the library gives up on a connection that answered with an error
            }
        };
        lab.At(S(1), () =>
        {
            s.Send(lab.Now, 40); // the error reply
            s.Close(lab.Now); // and the close, in the same step: two segments, back to back
        });
        lab.RunUntil(S(2));
        seen.Should().Equal([(TcpEventKind.Readable, TcpState.CloseWait)],
            "the FIN is processed before the woken application reads; a closed socket hears nothing more");
        lab.Of(c).Skip(2).Should().Equal(
            (S(1.0005), TcpState.Established, TcpState.CloseWait, TcpCause.RcvFin),
            (S(1.0005), TcpState.CloseWait, TcpState.LastAck, TcpCause.Close),
            (S(1.0015), TcpState.LastAck, TcpState.Closed, TcpCause.RcvAckOfFin));
        lab.Of(s).Skip(2).Select(x => x.To).Should().Equal(TcpState.FinWait1, TcpState.FinWait2, TcpState.TimeWait);
        lab.Client.CountIn(TcpState.TimeWait).Should().Be(0, "the TIME_WAIT is the server's, which closed first");
    }

    [Fact]
    public void Data_and_a_reset_sent_together_are_both_processed_before_the_application_reads_the_data_then_the_error()
    {
        var lab = new TcpLab();
        var (c, s) = lab.Establish();
        var seen = new List<(TcpEventKind Kind, TcpState State, ReadResult Read)>();
        lab.Net.Application = (conn, e) =>
        {
            if (conn == c)
                seen.Add((e.Kind, c.State, c.Read(lab.Now)));
        };
        lab.At(S(1), () =>
        {
            s.Send(lab.Now, 40);
            s.Abort(lab.Now);
        });
        lab.RunUntil(S(2));
        // tcp_reset (net/ipv4/tcp_input.c) purges the write queue, not the receive queue: the data is read first, then
        // the error; and the error reaches the application although its socket closed before it ran.
        seen.Should().Equal(
            (TcpEventKind.Readable, TcpState.Closed, new ReadResult(40, false, Errno.None, ErrorOrigin.None)),
            (TcpEventKind.Error, TcpState.Closed, new ReadResult(0, false, Errno.ECONNRESET, ErrorOrigin.Rst)));
        lab.Of(c).Last().Should().Be((S(1.0005), TcpState.Established, TcpState.Closed, TcpCause.RcvRst));
    }

    [Fact]
    public void A_command_written_once_connect_returned_does_not_hold_the_accept_woken_by_the_ack_before_it()
    {
        // The client's kernel ACKs the SYN-ACK; its application, woken by connect(), then writes: both reach the server in
        // the same instant, but the command left in a later step (a real application takes microseconds to answer), so the
        // server's accept() runs before it is processed.
        var lab = new TcpLab();
        lab.Server.Listen(Port);
        int readableAtAccept = -1;
        TcpConnection? client = null;
        lab.Net.Application = (conn, e) =>
        {
            if (e.Kind == TcpEventKind.Connected && conn == client)
                conn.Send(lab.Now, 10);
            else if (e.Kind == TcpEventKind.Accepted)
                readableAtAccept = conn.Readable;
        };
        client = lab.Client.Connect(lab.Now, new Zombiesim.Tcp.Endpoint(lab.Server.Address, Port));
        lab.RunUntil(Ms(5));
        readableAtAccept.Should().Be(0);
        lab.Segments.Where(x => x.By == "server" && x.Fate == Zombiesim.Core.Network.SegmentFate.Delivered).Select(x => x.At)
            .Should().Equal([Ms(0.5), Ms(1.5), Ms(1.5)], "the SYN, then the ACK and the command in the same instant");
    }
}
