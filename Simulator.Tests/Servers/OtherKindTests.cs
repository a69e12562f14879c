using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Tcp;
using static Zombiesim.Tests.Servers.ServerWorld;

namespace Zombiesim.Tests.Servers;

/// <summary>MongoDB's silent refusal and HTTP servers' keep-alive timeouts and request limit.</summary>
public class OtherKindTests
{
    private static readonly TimeSpan Microsecond = TimeSpan.FromTicks(10);

    [Fact]
    public void Mongodb_never_closes_idle_connections()
    {
        var r = Run("preset: mongodb", "[0s, 150s]", horizon: "160s");
        r.Requests.Should().OnlyContain(q => q.Ok && q.Connection == "c1");
    }

    [Fact]
    public void Mongodb_closes_a_connection_beyond_its_limit_without_a_reply()
    {
        var r = Run("preset: mongodb\n  maxClients: 1", "[0s]", other: "[1s]");
        var refused = r.Requests.Single(q => q.Function == "g");
        refused.Outcome.Should().NotBe(Outcome.Rejected, "nothing was written: the client reads the close");
        refused.Outcome.Should().BeOneOf(Outcome.Eof, Outcome.ECONNRESET);
        refused.Cause!.Text(instants: false).Should().Be("the server refused the connection: net.maxIncomingConnections reached (1)");
    }

    [Theory]
    [InlineData("nginx", 75)]
    [InlineData("node-http", 5)]
    public void An_http_server_closes_a_keep_alive_connection_exactly_after_its_timeout(string preset, double timeout)
    {
        var r = Run($"preset: {preset}", "[0s]");
        var q = r.Requests.Single();
        r.Transitions.Single(t => t.Host == "server" && t.To == TcpState.FinWait1).T
            .Should().BeCloseTo(ServerReplied(q) + S(timeout), Microsecond);
    }

    [Fact]
    public void Nginx_closes_after_its_last_allowed_request_and_holds_the_time_wait()
    {
        var r = Run("preset: nginx\n  requestsPerConnection: 2", "[0s, 1s, 2s]", platform: "freeze: { after: 10s, mode: process }");
        r.Requests.Should().OnlyContain(q => q.Ok);
        r.Requests.Select(q => q.Connection).Should().Equal("c1", "c1", "c2");
        var second = r.Requests.Single(q => q.T == S(1));
        r.Transitions.Single(t => t.Host == "server" && t.Connection == "c1" && t.To == TcpState.FinWait1).T
            .Should().BeCloseTo(ServerReplied(second), Microsecond, "the close follows the second reply at once");
        r.Transitions.Should().Contain(t => t.Host == "server" && t.Connection == "c1" && t.To == TcpState.TimeWait);
        r.Notes.Should().Contain(n => n.Text.Contains("closes c1: the server closed it after its request number 2"));
    }
}
