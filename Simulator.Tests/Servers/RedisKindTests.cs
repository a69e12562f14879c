using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Tcp;
using static Zombiesim.Tests.Servers.ServerWorld;

namespace Zombiesim.Tests.Servers;

/// <summary>Redis: the idle close in clientsCron's whole seconds, maxclients' error reply and the close
/// that follows, tcp-keepalive's probes and give-up, and who holds the TIME_WAIT after QUIT or close.</summary>
public class RedisKindTests
{
    private static readonly TimeSpan Microsecond = TimeSpan.FromTicks(10);

    [Fact]
    public void The_idle_close_comes_at_the_first_whole_second_past_the_timeout()
    {
        var r = Run("preset: redis\n  idleTimeout: 10s", "[0.5s]");
        var last = ServerReplied(r.Requests.Single());
        var fin = r.Transitions.Single(t => t.Host == "server" && t.To == TcpState.FinWait1).T;
        fin.Should().Be(S(Math.Floor(last.TotalSeconds) + 11), "now - lastinteraction > 10 in whole seconds first holds then");
        fin.Should().BeGreaterThan(last + S(10)).And.BeLessThan(last + S(11),
            "the cron window: between N and N+1 s after the last command");
    }

    [Fact]
    public void Above_maxclients_the_client_reads_the_error_and_the_server_has_closed_at_once()
    {
        var r = Run("preset: redis\n  maxClients: 1", "[0s]", other: "[1s]");
        var refused = r.Requests.Single(q => q.Function == "g");
        refused.Outcome.Should().Be(Outcome.Rejected);
        refused.Origin.Should().Be(Origin.Server);
        refused.Cause!.Text(instants: false).Should().Be(
            "the server refused the connection: maxclients reached (1), replying \"-ERR max number of clients reached\"");
        var accepted = r.Transitions
            .Single(t => t.Host == "server" && t.Connection == refused.Connection && t.To == TcpState.Established).T;
        r.Transitions.Should().Contain(t => t.Host == "server" && t.Connection == refused.Connection && t.From == TcpState.Established
            && t.T == accepted, "the server closes in the same instant it accepts");
    }

    [Fact]
    public void Tcp_keepalive_probes_every_third_and_gives_up_after_three_probes()
    {
        // The client's VM is paused (nothing answers): idle N s, then probes every N/3 s (whole seconds),
        // and after the third unanswered probe the server resets the connection. The idle time counts from
        // the client's (delayed) ACK of the last reply, so the death is compared between two settings.
        TimeSpan Death(int n)
        {
            var r = Run($"preset: redis\n  keepAlive: {n}s", "[0s]", platform: "freeze: { after: 1s, mode: vm }");
            var dead = r.Transitions.Single(t => t.Host == "server" && t.To == TcpState.Closed);
            dead.Cause.Should().Be(TcpCause.KeepaliveTimeout);
            var last = ServerReplied(r.Requests.Single());
            (dead.T - last).Should().BeGreaterThan(S(n + 3 * (n / 3))).And.BeLessThan(S(n + 3 * (n / 3) + 0.05),
                "idle N, then 3 probes N/3 apart, counted from the client's delayed ACK");
            return dead.T;
        }
        (Death(13) - Death(10)).Should().Be(S(13 + 3 * 4 - (10 + 3 * 3)), "13/3 is 4 whole seconds, 10/3 is 3");
    }

    [Fact]
    public void After_quit_the_server_closes_first_and_holds_the_time_wait()
    {
        var r = Run("preset: redis", "[0s]", client: "{ close: quit }", function: "    strategy: per-invocation");
        r.Requests.Single().Ok.Should().BeTrue();
        r.Transitions.Should().ContainSingle(t => t.To == TcpState.TimeWait).Which.Host.Should().Be("server");
        r.Transitions.Should().Contain(t => t.Host == "server" && t.From == TcpState.Established && t.To == TcpState.FinWait1);
    }

    [Fact]
    public void A_command_read_before_the_client_s_fin_is_answered_before_the_server_closes()
    {
        // The library gives up at 1 s and closes; the server's reply is ready at 2 s. Redis reads the command,
        // writes its reply, and frees the client only when a later read returns 0: the reply goes out, and the
        // client, which has closed, answers data with a RST (Linux: data on a socket closed for reading).
        var r = Run("preset: redis\n  responseTime: 2s", "[0s]", client: "{ commandTimeout: 1s }");
        var q = r.Requests.Single();
        q.Outcome.Should().Be(Outcome.ETIMEDOUT);
        var serverClose = r.Transitions.Single(t => t.Host == "server" && t.From == TcpState.CloseWait);
        serverClose.T.Should().BeGreaterThanOrEqualTo(S(2), "the server closes after writing the reply due at 2 s, not at the FIN");
        r.Transitions.Should().Contain(t => t.Host == "f#1" && t.To == TcpState.Closed && t.Cause == TcpCause.RcvDataAfterClose,
            "the reply reaches a socket the client has closed");
    }

    [Fact]
    public void After_a_client_close_the_client_holds_the_time_wait()
    {
        var r = Run("preset: redis", "[0s]", client: "{ close: close }", function: "    strategy: per-invocation");
        r.Transitions.Should().ContainSingle(t => t.To == TcpState.TimeWait).Which.Host.Should().Be("f#1");
    }
}
