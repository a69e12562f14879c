using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Tcp;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Servers;

/// <summary>The server scenarios' fixes, as their headers state them.</summary>
public class ServerScenarioTests
{
    [Fact]
    public void Capping_the_function_below_the_ordinary_slots_turns_postgres_refusals_into_throttles()
    {
        var (_, r) = Scenarios.Run("postgres-reserved-slots.yaml", "functions.0.reservedConcurrency=90");
        r.Requests.Should().NotContain(q => q.Outcome == Outcome.Rejected);
        r.Requests.Count(q => q.Ok).Should().Be(90);
        r.Requests.Count(q => q.Outcome == Outcome.Throttled).Should().Be(30);
    }

    [Fact]
    public void A_client_idle_limit_below_wait_timeout_avoids_error_4031_and_mysql_5_7_closes_silently()
    {
        var (_, fixedRun) = Scenarios.Run("mysql-wait-timeout.yaml", "functions.0.client.maxIdle=50s");
        fixedRun.Requests.Should().OnlyContain(q => q.Ok);
        var (_, old) = Scenarios.Run("mysql-wait-timeout.yaml", "server.preset=mysql-5.7");
        old.Requests.Single(q => q.T == TimeSpan.FromSeconds(100)).Outcome.Should().Be(Outcome.Eof);
    }

    [Fact]
    public void A_client_idle_limit_below_nginx_keepalive_timeout_avoids_the_eof()
    {
        var (_, r) = Scenarios.Run("nginx-keepalive-freeze.yaml", "functions.0.client.maxIdle=60s");
        r.Requests.Should().OnlyContain(q => q.Ok);
    }

    [Fact]
    public void Closing_first_from_the_client_leaves_no_time_wait_on_the_redis_server()
    {
        var (_, r) = Scenarios.Run("redis-quit-time-wait.yaml", "functions.0.client.close=close");
        r.Requests.Should().OnlyContain(q => q.Ok);
        r.Transitions.Should().NotContain(t => t.Host == "server" && t.To == TcpState.TimeWait);
        r.Transitions.Count(t => t.Host != "server" && t.To == TcpState.TimeWait).Should().Be(30);
    }

    [Fact]
    public void A_client_idle_limit_fixes_the_cache_and_the_database_server_keeps_its_zombie()
    {
        var (outcome, r) = Scenarios.Run("two-servers-cache-and-db.yaml", "functions.0.client.maxIdle=50s");
        r.Requests.Should().OnlyContain(q => q.Ok);
        r.Transitions.Should().Contain(t => t.Host == "cache" && t.To == TcpState.Established)
            .And.Contain(t => t.Host == "db" && t.To == TcpState.Established);
        outcome.Expectations.Single(e => e.Text == "at 90s: 1 zombies on db").Met
            .Should().BeTrue("the database never closes idle connections");
    }
}
