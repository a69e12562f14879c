using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Tcp;
using static Zombiesim.Tests.World.PoolTests;

namespace Zombiesim.Tests.World;

/// <summary>
/// A pool connection's maximum lifetime, enforced at use (the model's neutral rule) or by a timer (pg-pool 3.14.0,
/// postgres.js 3.4.9), to the instant. PoolTests' world: 0.5 ms each way, the server answers in 0.1 ms, no set-up
/// cost or cold start, so the connection opens at 0 and the first reply is read at 2.1 ms; the server never closes.
/// </summary>
public class PoolLifetimeTests
{
    /// <summary>The instants the function's side of <paramref name="connection"/> sent its FIN (left ESTABLISHED for FIN_WAIT_1).</summary>
    private static TimeSpan[] ClientFins(RunRecorder rec, string connection = "c1") => rec.Transitions
        .Where(t => t.Host == "fn#1" && t.Connection == connection && t.From == TcpState.Established && t.To == TcpState.FinWait1)
        .Select(t => t.T).ToArray();

    [Fact]
    public void A_lifetime_timer_closes_a_free_connection_the_instant_its_lifetime_passes()
    {
        var (_, rec) = Run("{ maxLifetime: 30s, lifetimeRule: timer }", "[0s]", freeze: "60s");
        ClientFins(rec).Should().Equal([S(30)], "opened at 0 s, free since 2.1 ms: closed at 30 s, not at a later use");
    }

    [Fact]
    public void A_lifetime_checked_at_use_leaves_a_free_connection_open_past_it_until_the_next_command()
    {
        var (_, idle) = Run("{ maxLifetime: 30s }", "[0s]", freeze: "60s");
        ClientFins(idle).Should().BeEmpty("nothing uses the connection again within the 200 s horizon");
        var (_, reused) = Run("{ maxLifetime: 30s }", "[0s, 40s]", freeze: "60s");
        ClientFins(reused).Should().Equal([S(40)], "the command at 40 s finds it past its lifetime and closes it");
        reused.Requests.Select(r => r.Connection).Should().Equal("c1", "c2");
    }

    [Fact]
    public void Postgres_js_closes_an_idle_connection_when_its_lifetime_passes_and_the_generic_library_does_not()
    {
        var (_, postgres) = Run("{ maxLifetime: 30s }", "[0s]", freeze: "60s", client: ", preset: postgres.js");
        ClientFins(postgres).Should().Equal([S(30)], "src/connection.js:371 starts lifeTimer, :413-420 ends an idle connection");
        var (_, pg) = Run("{ maxLifetime: 5s }", "[0s]", freeze: "60s", client: ", preset: pg");
        ClientFins(pg).Should().Equal([S(5)], "pg-pool index.js:313-324 removes the idle client when the timer fires");
        var (_, generic) = Run("{ maxLifetime: 30s }", "[0s]", freeze: "60s", client: ", preset: generic");
        ClientFins(generic).Should().BeEmpty();
    }

    [Fact]
    public void A_connection_busy_when_its_lifetime_passes_is_closed_at_its_release()
    {
        // The lifetime (1 ms) passes during the handshake; the command's reply is read at 2.1 ms, and the connection,
        // released then, is closed at once.
        var (_, rec) = Run("{ maxLifetime: 1ms, lifetimeRule: timer }", "[0s]", freeze: "60s");
        rec.Requests.Single().Outcome.Should().Be(Outcome.Ok);
        ClientFins(rec).Should().Equal([S(0.0021)]);
    }

    [Fact]
    public void A_lifetime_timer_does_not_run_while_frozen_and_an_overdue_one_closes_the_connection_at_the_thaw_before_the_command()
    {
        // Frozen at 5.0021 s; the lifetime passes at 10 s. At the thaw (95 s) the overdue timer runs first: c1 closes and
        // the command opens c2.
        var (_, rec) = Run("{ maxLifetime: 10s, lifetimeRule: timer }", "[0s, 95s]");
        ClientFins(rec).Should().Equal([S(95)]);
        var thawed = rec.Requests.Single(r => r.T == S(95));
        (thawed.Connection, thawed.LatencyMs).Should().Be(("c2", 2.1));
    }

    [Fact]
    public void With_overdue_timers_after_the_handler_the_thawed_command_uses_the_old_connection_and_it_closes_at_its_release()
    {
        // pg-pool checks no age at checkout (index.js:158): the command takes c1, the overdue timer marks it expired, and
        // it is removed when released (index.js:400-405). The rule at use would have closed it before the command.
        var (_, timer) = Run("{ maxLifetime: 10s, lifetimeRule: timer, overdueTimers: after }", "[0s, 95s]");
        var thawed = timer.Requests.Single(r => r.T == S(95));
        (thawed.Connection, thawed.LatencyMs).Should().Be(("c1", 1.1));
        ClientFins(timer).Should().Equal([S(95.0011)]);
        var (_, atUse) = Run("{ maxLifetime: 10s, overdueTimers: after }", "[0s, 95s]");
        atUse.Requests.Single(r => r.T == S(95)).Connection.Should().Be("c2");
    }

    [Fact]
    public void A_lifetime_timer_closes_a_free_connection_even_at_the_pools_minimum()
    {
        var (_, rec) = Run("{ min: 1, maxLifetime: 30s, lifetimeRule: timer }", "[0s]", freeze: "60s");
        ClientFins(rec).Should().Equal([S(30)], "pg-pool's lifetime timer ignores min (index.js:313-324), unlike its idle timer");
    }
}
