using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using static Zombiesim.Tests.Poolers.PoolerWorld;

namespace Zombiesim.Tests.Poolers;

/// <summary>RDS Proxy in front of PostgreSQL: transactions multiplex over the pool until a client sets
/// session state; a pinned client keeps its database connection until it disconnects.</summary>
public class RdsProxyTests
{
    private const string Proxy = "{ preset: rds-proxy, upstream: db }";
    private const string BigDb = "maxClients: 2000";

    [Fact]
    public void Without_session_state_1000_clients_multiplex_over_the_few_connections_their_overlapping_queries_need()
    {
        var (_, rec) = Run(Thousand(Proxy, db: BigDb));
        rec.Requests.Should().HaveCount(1000).And.OnlyContain(q => q.Ok);
        rec.Notes.Should().NotContain(n => n.Text.Contains("pins"));
        Established(rec, "proxy").Peak.Should().Be(1000);
        // A query every 1 ms, each 50 ms on the database: about 50 run at once, and the pool grows to that.
        Established(rec, "db").Peak.Should().Be(52);
    }

    [Fact]
    public void When_every_client_sets_session_state_each_is_pinned_and_the_database_holds_one_connection_per_client()
    {
        var (_, rec) = Run(Thousand(Proxy, function: "sessionState: 1", db: BigDb));
        rec.Requests.Should().HaveCount(1000).And.OnlyContain(q => q.Ok);
        rec.Notes.Count(n => n.Who == "proxy" && n.Text.EndsWith(" to its server connection: the client set session state"))
            .Should().Be(1000);
        Established(rec, "db").Should().Be((1000, 1000), "multiplexing is off: every pinned session keeps its own");
        EstablishedAtEnd(rec, "db").Should().Be(1000, "the frozen clients stay connected, and IdleClientTimeout is 1,800 s");
    }

    [Fact]
    public void The_database_count_climbs_with_the_pinned_sessions()
    {
        var (_, rec) = Run(Thousand(Proxy, function: "sessionState: 0.25", db: BigDb));
        int pinned = rec.Notes.Count(n => n.Who == "proxy" && n.Text.Contains("the client set session state"));
        pinned.Should().Be(256, "a quarter of 1,000, drawn per client (seed 1)");
        var (peak, _) = Established(rec, "db");
        int held = EstablishedAtEnd(rec, "db");
        held.Should().Be(256 + 35, "each pinned session still holds its connection, and the other 744 clients' queries share 35");
        peak.Should().Be(held, "nothing closed: the pool only grew");
    }

    [Fact]
    public void Max_connections_percent_sizes_the_pool_from_the_databases_max_connections_and_a_borrow_times_out_after_120_s()
    {
        // 10% of max_connections 100: a pool of 10; every client pinned; the 11th waits ConnectionBorrowTimeout (120 s).
        var (_, rec) = Run(Thousand("{ preset: rds-proxy, maxConnectionsPercent: 10, upstream: db }",
            function: "sessionState: 1", horizon: "200s"), "functions.0.timeout=900s");
        Established(rec, "db").Should().Be((10, 10));
        rec.Requests.Count(q => q.Ok).Should().Be(10);
        var failed = rec.Requests.Where(q => !q.Ok).ToList();
        failed.Should().HaveCount(990).And.OnlyContain(q => q.Outcome == Outcome.ServerError && q.Origin == Origin.Server);
        failed[0].Cause!.Text(instants: false).Should().StartWith("the pooler had no server connection free within 120s (all 10 busy)")
            .And.Contain("request to borrow a connection from the pool timed out");
        failed.Should().OnlyContain(q => q.LatencyMs > 120_000 && q.LatencyMs < 121_300);
    }
}
