using FluentAssertions;
using Xunit;
using Zombiesim.Tcp;
using static Zombiesim.Tests.Tcp.TcpLab;

namespace Zombiesim.Tests.Tcp;

/// <summary>
/// A listener's accept queue holds min(backlog, somaxconn) established connections plus one (Linux
/// include/net/sock.h sk_acceptq_is_full: "more than the backlog"). When it is full, Linux drops a new
/// SYN (net/ipv4/tcp_input.c tcp_conn_request) and the final ACK of a handshake (tcp_check_req with
/// tcp_abort_on_overflow 0): the client sends its SYN again after 1 s (TCP_TIMEOUT_INIT), the server its
/// SYN-ACK after 1 s, and the connection completes once the application has accepted. One-way 0.5 ms.
/// </summary>
public class BacklogTests
{
    private static Endpoint At(TcpLab lab) => new(lab.Server.Address, Port);

    [Fact]
    public void A_syn_for_a_full_accept_queue_is_dropped_and_the_retransmitted_syn_gets_in_after_accept()
    {
        var lab = new TcpLab();
        lab.Server.Listen(Port, backlog: 0); // the queue holds one
        var first = lab.Client.Connect(lab.Now, At(lab));
        lab.RunUntil(Ms(10));
        lab.Server.AcceptQueueLength(Port).Should().Be(1);
        var second = lab.At(Ms(10), () => lab.Client.Connect(lab.Now, At(lab)));
        lab.RunUntil(Ms(500));
        lab.Segments.Should().Contain(x => x.At == Ms(10.5) && x.S.Syn && x.S.Source == second.Local
            && x.Fate == Zombiesim.Core.Network.SegmentFate.Delivered);
        second.State.Should().Be(TcpState.SynSent, "the SYN met a full queue and was dropped");
        lab.Server.Accept(lab.Accepted!); // the application takes the first
        lab.RunUntil(S(2));
        lab.SentBy(lab.Client).Where(x => x.S.Syn && x.S.Source == second.Local).Select(x => x.At).Should().Equal(Ms(10), Ms(1010));
        lab.WhenEntered(second, TcpState.Established).Should().Be(Ms(1011));
        first.State.Should().Be(TcpState.Established);
    }

    [Fact]
    public void A_final_ack_for_a_full_accept_queue_is_dropped_and_the_synack_retransmission_completes_it()
    {
        var lab = new TcpLab();
        lab.Server.Listen(Port, backlog: 0);
        var children = new List<TcpConnection>();
        lab.Net.Application = (c, e) => { if (e.Kind == TcpEventKind.Accepted) children.Add(c); };
        lab.Client.Connect(lab.Now, At(lab));
        var second = lab.Client.Connect(lab.Now, At(lab)); // both SYNs find the queue empty
        lab.RunUntil(Ms(100));
        second.State.Should().Be(TcpState.Established, "the client's side completed at the SYN-ACK");
        children.Should().HaveCount(1, "the second's ACK arrived at 1.5 ms with the queue full, and was dropped");
        lab.Server.Accept(children[0]);
        lab.RunUntil(S(2));
        var child = lab.Transitions.Where(x => x.C.Host == lab.Server && x.To == TcpState.Established).Select(x => x.At);
        child.Should().Equal(Ms(1.5), Ms(1001.5)); // the SYN-ACK again at 0.5 ms + 1 s, the client's ACK back 1 ms later
    }

    [Fact]
    public void Somaxconn_caps_the_backlog()
    {
        var lab = new TcpLab(server: new Sysctls { SoMaxConn = 1 });
        lab.Server.Listen(Port, backlog: 511); // min(511, 1) + 1 = 2 fit
        for (int i = 0; i < 3; i++)
            lab.Client.Connect(lab.Now, At(lab));
        lab.RunUntil(Ms(100));
        lab.Server.AcceptQueueLength(Port).Should().Be(2);
        lab.Server.Connections.Select(c => c.State).Should()
            .Equal(TcpState.Listen, TcpState.Established, TcpState.Established, TcpState.SynReceived); // the third's ACK was dropped
    }
}
