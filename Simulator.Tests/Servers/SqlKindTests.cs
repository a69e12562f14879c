using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Tcp;
using static Zombiesim.Tests.Servers.ServerWorld;

namespace Zombiesim.Tests.Servers;

/// <summary>MySQL and PostgreSQL: the idle close instant and the error written before it, the limit with
/// its reserved slots and its error reply, PostgreSQL's keepalive on every connection.</summary>
public class SqlKindTests
{
    private static readonly TimeSpan Microsecond = TimeSpan.FromTicks(10);

    private static TimeSpan ServerFin(RunRecorder r, string connection) =>
        r.Transitions.Single(t => t.Host == "server" && t.Connection == connection && t.To == TcpState.FinWait1).T;

    [Fact]
    public void Mysql_closes_exactly_at_wait_timeout_and_the_next_command_reads_error_4031()
    {
        var r = Run("preset: mysql\n  idleTimeout: 60s", "[0s, 95s]");
        var first = r.Requests.Single(q => q.T == S(0));
        ServerFin(r, first.Connection!).Should().BeCloseTo(ServerReplied(first) + S(60), Microsecond);
        var next = r.Requests.Single(q => q.T == S(95));
        next.Outcome.Should().Be(Outcome.ServerError);
        next.Origin.Should().Be(Origin.Server);
        next.Cause!.Text(instants: false).Should().StartWith(
            "the server closed it after 60s idle (idle timeout), replying \"ERROR 4031 (HY000): "
                + "The client was disconnected by the server because of inactivity.");
    }

    [Fact]
    public void Mysql_before_8_0_24_closes_silently_and_the_client_reads_eof()
    {
        var r = Run("preset: mysql-5.7\n  idleTimeout: 60s", "[0s, 95s]");
        r.Requests.Single(q => q.T == S(95)).Outcome.Should().Be(Outcome.Eof);
    }

    [Fact]
    public void Mariadb_resets_an_idle_connection_exactly_at_wait_timeout_and_the_frozen_client_gets_ECONNRESET()
    {
        // MariaDB 10.11.19 (docs/verify.md): no error packet, SO_LINGER 0: the server's socket goes straight to CLOSED.
        var r = Run("preset: mariadb\n  idleTimeout: 60s", "[0s, 95s]");
        var first = r.Requests.Single(q => q.T == S(0));
        var close = r.Transitions.Single(t => t.Host == "server" && t.Connection == first.Connection && t.From == TcpState.Established);
        close.To.Should().Be(TcpState.Closed);
        close.T.Should().BeCloseTo(ServerReplied(first) + S(60), Microsecond);
        r.Transitions.Should().NotContain(t => t.Connection == first.Connection && t.To == TcpState.CloseWait);
        var next = r.Requests.Single(q => q.T == S(95));
        next.Outcome.Should().Be(Outcome.ECONNRESET);
        next.Origin.Should().Be(Origin.Rst);
    }

    [Fact]
    public void Mariadb_raises_max_connections_below_10_to_10()
    {
        // mariadbd --max-connections=1: "option 'max_connections': unsigned value 1 adjusted to 10" (10.11.19).
        var r = Run("preset: mariadb\n  maxClients: 1", "[0s]", other: "[1s]");
        r.Requests.Should().OnlyContain(q => q.Ok);
    }

    [Fact]
    public void Mysql_refuses_the_connection_beyond_max_connections_with_error_1040()
    {
        var r = Run("preset: mysql\n  maxClients: 1", "[0s]", other: "[1s]");
        var refused = r.Requests.Single(q => q.Function == "g");
        refused.Outcome.Should().Be(Outcome.Rejected);
        refused.Cause!.Text(instants: false).Should().EndWith("replying \"ERROR 1040 (08004): Too many connections\"");
        r.Notes.Should().Contain(n => n.Text.StartsWith($"rejects {refused.Connection}"));
    }

    [Fact]
    public void Postgres_keeps_superuser_slots_from_ordinary_clients()
    {
        // max_connections 4, superuser_reserved_connections 3: one ordinary client fits.
        var r = Run("preset: postgres\n  maxClients: 4", "[0s]", other: "[1s]");
        r.Requests.Single(q => q.Function == "f").Ok.Should().BeTrue();
        var refused = r.Requests.Single(q => q.Function == "g");
        refused.Outcome.Should().Be(Outcome.Rejected);
        refused.Cause!.Text(instants: false).Should().Be(
            "the server refused the connection: max_connections less its reserved slots reached (1), replying "
                + "\"FATAL 53300: remaining connection slots are reserved for roles with the SUPERUSER attribute\"");
    }

    [Fact]
    public void Postgres_without_reserved_slots_says_sorry_too_many_clients_already()
    {
        var r = Run("preset: postgres\n  maxClients: 1\n  reservedConnections: 0", "[0s]", other: "[1s]");
        r.Requests.Single(q => q.Function == "g").Cause!.Text(instants: false)
            .Should().EndWith("replying \"FATAL 53300: sorry, too many clients already\"");
    }

    [Fact]
    public void Postgres_idle_session_timeout_closes_exactly_and_the_next_command_reads_fatal_57P05()
    {
        var r = Run("preset: postgres\n  idleTimeout: 30s", "[0s, 95s]");
        var first = r.Requests.Single(q => q.T == S(0));
        ServerFin(r, first.Connection!).Should().BeCloseTo(ServerReplied(first) + S(30), Microsecond);
        var next = r.Requests.Single(q => q.T == S(95));
        next.Outcome.Should().Be(Outcome.ServerError);
        next.Cause!.Text(instants: false).Should().Contain("replying \"FATAL 57P05: terminating connection due to idle-session timeout\"");
    }

    [Fact]
    public void Postgres_probes_every_connection_with_its_tcp_keepalives_settings()
    {
        // SO_KEEPALIVE is on for every connection; tcp_keepalives_idle 60, _interval 10, _count 3 against a
        // paused VM: idle 60 s, then 3 probes 10 s apart, then the server resets. Without the settings the
        // kernel's 7200 s apply, past the horizon.
        var r = Run("preset: postgres\n  keepAlive: 60s\n  keepAliveInterval: 10s\n  keepAliveCount: 3", "[0s]",
            platform: "freeze: { after: 1s, mode: vm }");
        var dead = r.Transitions.Single(t => t.Host == "server" && t.To == TcpState.Closed);
        dead.Cause.Should().Be(TcpCause.KeepaliveTimeout);
        (dead.T - ServerReplied(r.Requests.Single())).Should().BeGreaterThan(S(90)).And.BeLessThan(S(90.05));
        var quiet = Run("preset: postgres", "[0s]", platform: "freeze: { after: 1s, mode: vm }");
        quiet.Transitions.Should().NotContain(t => t.Host == "server" && t.To == TcpState.Closed);
    }
}
