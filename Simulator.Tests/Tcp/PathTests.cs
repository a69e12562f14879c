using FluentAssertions;
using Xunit;
using Zombiesim.Core.Network;
using Zombiesim.Core.Random;
using Zombiesim.Tcp;

namespace Zombiesim.Tests.Tcp;

public class PathTests
{
    [Fact]
    public void A_path_given_again_between_two_hosts_replaces_the_old_one_both_ways()
    {
        var lab = new TcpLab(); // 0.5 ms one way
        lab.Net.Connect(lab.Server, lab.Client, new Constant(0.010), new SeededChoices(2)); // given again, the other way round
        lab.Server.Listen(TcpLab.Port);
        lab.Client.Connect(lab.Now, new Endpoint(lab.Server.Address, TcpLab.Port), null);
        lab.RunUntil(TcpLab.Ms(30));
        lab.Segments.Where(x => x.Fate == SegmentFate.Delivered).Select(x => (x.At, x.By)).Take(3).Should().Equal(
            (TcpLab.Ms(10), "server"), (TcpLab.Ms(20), "client"), (TcpLab.Ms(30), "server")); // SYN, SYN-ACK, ACK at 10 ms each
    }

    [Fact]
    public void Hosts_without_a_path_cannot_reach_each_other()
    {
        var lab = new TcpLab();
        var stranger = lab.Net.AddHost("stranger");
        lab.Server.Listen(TcpLab.Port);
        var act = () => stranger.Connect(lab.Now, new Endpoint(lab.Server.Address, TcpLab.Port), null);
        act.Should().Throw<InvalidOperationException>().WithMessage("*no path leads to*");
        lab.Net.HostAt(stranger.Address).Should().BeSameAs(stranger);
        lab.Net.HostAt(stranger.Address + 1).Should().BeNull();
    }
}
