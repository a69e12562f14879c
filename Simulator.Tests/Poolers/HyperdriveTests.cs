using FluentAssertions;
using Xunit;
using static Zombiesim.Tests.Poolers.PoolerWorld;

namespace Zombiesim.Tests.Poolers;

/// <summary>Cloudflare Workers with Hyperdrive in front of PostgreSQL: a Worker's socket cannot outlive its
/// request, so every request connects to Hyperdrive and closes; Hyperdrive's pool keeps the database's
/// connections across requests and closes them after 10 minutes idle.</summary>
public class HyperdriveTests
{
    private const string Yaml = """
        name: workers
        horizon: 700s
        platform:
          preset: cloudflare-workers
        functions:
          - name: worker
            timeout: 30s
        servers:
          - name: hyperdrive
            pooler: { preset: hyperdrive, upstream: db }
          - name: db
            preset: postgres
            responseTime: 20ms
        traffic:
          - function: worker
            every: 100ms
            until: 60s
        """;

    [Fact]
    public void Every_request_opens_its_own_client_connection_while_the_database_keeps_the_pools_few_until_10_minutes_idle()
    {
        var (_, rec) = Run(Yaml);
        rec.Requests.Should().HaveCount(600).And.OnlyContain(q => q.Ok);
        Established(rec, "hyperdrive").All.Should().Be(600, "a connection per request (perRequestSockets)");
        Established(rec, "hyperdrive").Peak.Should().Be(1, "each closes before the next request 100 ms later");
        Established(rec, "db").Should().Be((1, 1), "transaction mode: one server connection serves them all, one at a time");
        EstablishedAtEnd(rec, "db").Should().Be(0, "the last query ended just after 60 s: idle 10 minutes by 660 s, before the horizon");
    }
}
