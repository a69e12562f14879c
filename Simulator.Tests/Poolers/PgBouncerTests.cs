using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using static Zombiesim.Tests.Poolers.PoolerWorld;

namespace Zombiesim.Tests.Poolers;

/// <summary>PgBouncer 1.25.2 in front of PostgreSQL: 1,000 functions' connections end on the pooler, and
/// its pool of default_pool_size server connections is all the database sees.</summary>
public class PgBouncerTests
{
    private const string Transaction = "{ preset: pgbouncer, mode: transaction, maxClientConn: 1000, upstream: db }";

    [Fact]
    public void Transaction_mode_serves_1000_clients_on_20_server_connections_and_the_database_never_holds_more()
    {
        var (_, rec) = Run(Thousand(Transaction));
        rec.Requests.Should().HaveCount(1000).And.OnlyContain(q => q.Ok);
        Established(rec, "proxy").Should().Be((1000, 1000), "every environment keeps its own connection to the pooler");
        Established(rec, "db").Should().Be((20, 20), "default_pool_size 20: the pool opens 20 and reuses them, LIFO");
        Established(rec, "proxy", accepted: false).Should().Be((20, 20), "the pooler's side of the same 20");
        EstablishedAtEnd(rec, "db").Should().Be(20, "server_idle_timeout 600 s has not passed");
        EstablishedAtEnd(rec, "proxy").Should().Be(1020, "the frozen environments' 1,000 and the pool's 20");
    }

    [Fact]
    public void Session_mode_gives_the_first_20_clients_the_20_server_connections_until_they_leave_and_the_rest_time_out()
    {
        // pool_mode session (PgBouncer's default): a client keeps its server connection while connected, and a frozen
        // environment stays connected; the other 980 queries wait until the function's 10 s timeout kills their process.
        var (_, rec) = Run(Thousand("{ preset: pgbouncer, maxClientConn: 1000, upstream: db }"));
        rec.Requests.Count(q => q.Ok).Should().Be(20);
        rec.Requests.Where(q => !q.Ok).Should().HaveCount(980)
            .And.OnlyContain(q => q.Outcome == Outcome.ETIMEDOUT && q.Origin == Origin.Platform);
        Established(rec, "db").Should().Be((20, 20));
        EstablishedAtEnd(rec, "db").Should().Be(20, "held for the 20 frozen clients");
    }

    [Fact]
    public void Max_client_conn_100_refuses_the_101st_client_in_pgbouncers_words()
    {
        var (outcome, rec) = Run(Thousand("{ preset: pgbouncer, mode: transaction, upstream: db }"));
        rec.Requests.Count(q => q.Ok).Should().Be(100);
        var refused = rec.Requests.Where(q => !q.Ok).ToList();
        refused.Should().HaveCount(900).And.OnlyContain(q => q.Outcome == Outcome.Rejected && q.Origin == Origin.Server);
        refused[0].Cause!.Text(instants: false).Should()
            .Be("the server refused the connection: max_client_conn reached (100), "
                + "replying \"ERROR 08P01: no more connections allowed (max_client_conn)\"");
        outcome.Summary.Final!.Value.Rejections.Should().Be(900);
        Established(rec, "db").Peak.Should().Be(20);
    }

    /// <summary>Two environments, one server connection: b's query arrives while a's runs for 5 s and waits 2 s.</summary>
    internal const string QueryWaitScenario = """
        name: wait
        horizon: 30s
        functions:
          - name: a
            memory: 1024
            timeout: 30s
          - name: b
            memory: 1024
            timeout: 30s
            client: { setupCost: 0s }
        servers:
          - name: proxy
            pooler: { preset: pgbouncer, mode: transaction, defaultPoolSize: 1, queryWaitTimeout: 2s, upstream: db }
          - name: db
            preset: postgres
            responseTime: 5s
        network:
          latency: 0.5ms
        traffic:
          - function: a
            at: [0s]
          - function: b
            at: [1s]
        """;

    [Fact]
    public void A_query_waiting_past_query_wait_timeout_is_answered_query_wait_timeout_and_its_client_closed_at_that_instant()
    {
        var (_, rec) = Run(QueryWaitScenario);
        rec.Requests.Single(q => q.Function == "a").Ok.Should().BeTrue();
        var b = rec.Requests.Single(q => q.Function == "b");
        b.Outcome.Should().Be(Outcome.ServerError);
        b.Origin.Should().Be(Origin.Server);
        var closed = rec.Notes.Single(n => n.Who == "proxy" && n.Text.Contains("query_wait_timeout"));
        // b: cold start 200 ms at 1 s, no set-up CPU, then SYN, SYN-ACK, ACK+query: the query reaches the pooler 1.5 RTT after 1.2 s.
        closed.T.Should().Be(TimeSpan.FromSeconds(1.2) + TimeSpan.FromMilliseconds(1.5) + TimeSpan.FromSeconds(2));
        closed.Text.Should().EndWith("the pooler had no server connection free within 2s (all 1 busy) and closed it, "
            + "replying \"ERROR 08P01: query_wait_timeout\" while b#1 was busy");
        (b.T + TimeSpan.FromMilliseconds(b.LatencyMs)).Should().Be(closed.T + TimeSpan.FromMilliseconds(0.5), "one way back");
    }

    [Fact]
    public void Server_idle_timeout_closes_the_pools_idle_server_connections_600_s_after_their_last_query()
    {
        var (_, rec) = Run(Thousand(Transaction, horizon: "700s"));
        EstablishedAtEnd(rec, "db").Should().Be(0);
        var last = rec.Transitions.Where(t => t.Host == "db" && t.From == Zombiesim.Tcp.TcpState.Established).Max(t => t.T);
        rec.Requests.Max(q => q.T + TimeSpan.FromMilliseconds(q.LatencyMs)).Should().BeLessThan(last - TimeSpan.FromSeconds(599));
    }
}

/// <summary>Two pools in a row: each environment's pg-pool and PgBouncer's.</summary>
public class PoolBehindPoolTests
{
    [Fact]
    public void Each_environments_pg_pool_opens_its_parallel_connections_to_pgbouncer_which_still_holds_20_to_the_database()
    {
        string yaml = PoolerWorld.Thousand("{ preset: pgbouncer, mode: transaction, maxClientConn: 1000, upstream: db }",
                function: "parallel: 5\n    client: { preset: pg }")
            .Replace("count: 1000", "count: 100");
        var (_, rec) = PoolerWorld.Run(yaml);
        rec.Requests.Should().HaveCount(100).And.OnlyContain(q => q.Ok);
        PoolerWorld.Established(rec, "proxy").Should().Be((500, 500), "5 commands at once, 5 connections in each of 100 pools");
        PoolerWorld.Established(rec, "db").Should().Be((20, 20));
    }
}
