using FluentAssertions;
using Xunit;
using Zombiesim.Tcp;
using static Zombiesim.Tests.Tcp.TcpLab;

namespace Zombiesim.Tests.Tcp;

/// <summary>A host's counts by state, kept as sockets change state, against the sockets themselves.</summary>
public class StateCountTests
{
    [Fact]
    public void A_hosts_counts_by_state_equal_its_sockets_after_every_event_through_close_time_wait_and_destruction()
    {
        var lab = new TcpLab();
        var (client, server) = lab.Establish();
        var second = lab.Client.Connect(lab.Now, new Endpoint(lab.Server.Address, Port));
        client.Send(lab.Now, 100);
        lab.At(S(1), () => client.Close(lab.Now));
        lab.At(S(1.5), () => server.Close(lab.Now));
        int checkedStates = 0;
        while (lab.Engine.Step() && lab.Now < S(200))
        {
            foreach (var host in new[] { lab.Client, lab.Server })
                foreach (var state in Enum.GetValues<TcpState>())
                {
                    host.CountIn(state).Should().Be(host.ConnectionsUnordered.Count(c => c.State == state),
                        $"{host.Name} at {lab.Now} in {state}");
                    checkedStates++;
                }
        }
        lab.Client.CountIn(TcpState.Established).Should().Be(1, "the second connection is still open");
        lab.Client.CountIn(TcpState.TimeWait).Should().Be(0, "the first one's TIME_WAIT has expired after 60 s");
        lab.Client.Destroy();
        Enum.GetValues<TcpState>().Sum(lab.Client.CountIn).Should().Be(0);
        second.State.Should().Be(TcpState.Closed);
        checkedStates.Should().BeGreaterThan(0);
    }
}
