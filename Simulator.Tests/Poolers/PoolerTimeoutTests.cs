using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;
using static Zombiesim.Tests.Poolers.PoolerWorld;

namespace Zombiesim.Tests.Poolers;

/// <summary>The pooler's timers on each side, at their instants, and what a scenario may not say about a pooler.</summary>
public class PoolerTimeoutTests
{
    /// <summary>One environment of `f` (no set-up CPU, 0.5 ms one way) querying at the given instants through `proxy` to `db`.</summary>
    private static string One(string pooler, string at, string horizon = "4000s") => $$"""
        name: one
        horizon: {{horizon}}
        platform:
          freeze: { after: 1s, mode: process }
          reap: { after: 2h }
        functions:
          - name: f
            memory: 1024
            timeout: 30s
            sessionState: 1
            client: { setupCost: 0s }
        servers:
          - name: proxy
            pooler: {{pooler}}
          - name: db
            preset: postgres
            responseTime: 1ms
        network:
          latency: 0.5ms
        traffic:
          - function: f
            at: {{at}}
        """;

    [Fact]
    public void Rds_proxy_closes_a_pinned_idle_client_after_idle_client_timeout_and_the_database_connection_goes_back_idle()
    {
        var (_, rec) = Run(One("{ preset: rds-proxy, upstream: db }", "[0s]"));
        // The query reaches the proxy at 200 ms + 1.5 ms (cold start, handshake); its reply leaves the proxy 1 ms + 1 ms (database
        // round trip) + a new server connection's handshake (1 ms) later: the client is idle from then.
        var close = rec.Notes.Single(n => n.Who == "proxy" && n.Text.StartsWith("closes"));
        var replied = rec.Requests.Single().T + TimeSpan.FromMilliseconds(rec.Requests.Single().LatencyMs) - TimeSpan.FromMilliseconds(0.5);
        close.T.Should().Be(replied + TimeSpan.FromSeconds(1800), "IdleClientTimeout 1,800 s after the last reply");
        close.Text.Should().Be($"closes c1: the server closed it after 1800s idle (idle timeout) while f#1 was frozen");
        EstablishedAtEnd(rec, "db").Should().Be(1, "the database connection stays open, back in the pool, idle");
        rec.Transitions.Where(t => t.Host == "f#1").Select(t => t.To).Should().NotContain(TcpState.Closed,
            "the frozen environment's socket only learns of the FIN when it thaws");
    }

    [Fact]
    public void Pgbouncer_closes_an_idle_server_connection_600_s_after_its_last_query()
    {
        var (_, idle) = Run(One("{ preset: pgbouncer, mode: transaction, upstream: db }", "[0s]", "700s"));
        var query = idle.Requests.Single();
        var closedAt = idle.Transitions.Where(t => t.Host == "proxy" && t.From == TcpState.Established).Select(t => t.T)
            .Where(t => t > TimeSpan.FromSeconds(1)).Min();
        // The pool's connection was released when the reply reached the pooler: 0.5 ms before the function read it.
        closedAt.Should().Be(query.T + TimeSpan.FromMilliseconds(query.LatencyMs) - TimeSpan.FromMilliseconds(0.5)
            + TimeSpan.FromSeconds(600));
    }

    /// <summary>The pooler's server connections to `db`: when each was launched (its SYN) and when the pooler sent its FIN.</summary>
    private static (TimeSpan Launched, TimeSpan? Fin)[] ServerConnections(RunRecorder rec)
    {
        var proxy = rec.Transitions.Where(t => t.Host == "proxy").ToList();
        return proxy.Where(t => t.To == TcpState.SynSent).Select(t => (t.T,
                proxy.Where(f => f.Connection == t.Connection && f.From == TcpState.Established && f.To == TcpState.FinWait1)
                    .Select(f => (TimeSpan?)f.T).FirstOrDefault()))
            .ToArray();
    }

    [Fact]
    public void Pgbouncers_janitor_closes_an_idle_server_connection_the_instant_it_is_server_lifetime_old()
    {
        // src/janitor.c check_unused_servers (1.25.2 :524, 1.18.0 :456): `age >= server_lifetime` from its launch, for a
        // server connection no client holds; the model applies it at the instant (the janitor runs every 1/3 s).
        var (_, old) = Run(One("{ preset: pgbouncer, mode: transaction, serverIdleTimeout: 0s, upstream: db }", "[0s, 3700s]"));
        old.Requests.Should().OnlyContain(q => q.Ok);
        var servers = ServerConnections(old);
        servers.Should().HaveCount(2, "the first is gone when the query at 3700 s comes: a new one opens");
        servers[0].Fin.Should().Be(servers[0].Launched + TimeSpan.FromSeconds(3600), "closed while idle, 3600 s after its launch");
        servers[1].Fin.Should().BeNull("the new one is 300 s old at the end");
    }

    [Fact]
    public void Pgbouncers_server_lifetime_of_0s_uses_each_server_connection_once_closing_it_at_its_release()
    {
        // doc/config.md (1.18.0 :498, 1.25.2 :714): "Setting it to 0 means the connection is to be used only once, then
        // closed"; release_server (src/objects.c) closes it as life_over holds at any age.
        var (_, rec) = Run(One("{ preset: pgbouncer, mode: transaction, serverLifetime: 0s, upstream: db }", "[0s, 2s]", "10s"));
        rec.Requests.Should().OnlyContain(q => q.Ok);
        var servers = ServerConnections(rec);
        servers.Should().HaveCount(2, "one server connection per transaction");
        foreach (var (q, server) in rec.Requests.Zip(servers))
            server.Fin.Should().Be(q.T + TimeSpan.FromMilliseconds(q.LatencyMs) - TimeSpan.FromMilliseconds(0.5),
                "closed when the reply reached the pooler and the server connection was released");
    }

    [Fact]
    public void Pgbouncers_keepalive_finds_a_paused_clients_connection_dead_and_gives_its_session_mode_server_connection_back()
    {
        string yaml = One("{ preset: pgbouncer, upstream: db }", "[0s]", "300s")
            .Replace("mode: process", "mode: vm")
            .Replace("  - name: proxy\n", "  - name: proxy\n    host: { tcp_keepalive_time: 60s, tcp_keepalive_intvl: 10s, "
                + "tcp_keepalive_probes: 3 }\n");
        var (_, rec) = Run(yaml);
        var query = rec.Requests.Single();
        query.Ok.Should().BeTrue();
        var read = query.T + TimeSpan.FromMilliseconds(query.LatencyMs); // the function read the reply then
        var dead = rec.Transitions.Single(t => t.Host == "proxy" && t.Connection == query.Connection && t.To == TcpState.Closed);
        // The last segment the pooler received: the client's ACK of the reply, sent at once (the first data its socket
        // received: a quick ACK, tcp_event_data_recv), 0.5 ms on; then idle 60 s and 3 probes 10 s apart, unanswered by
        // the paused VM.
        dead.T.Should().Be(read + TimeSpan.FromMilliseconds(0.5) + TimeSpan.FromSeconds(60 + 3 * 10));
        EstablishedAtEnd(rec, "db").Should().Be(1, "the server connection is back in the pool, idle");
    }

    [Theory]
    [InlineData("server:\n  pooler: { upstream: db }", "*list both under 'servers:'*")]
    [InlineData("servers:\n  - name: p\n    pooler: { preset: pgbouncer }\n  - name: db", "*a pooler needs 'upstream'*")]
    [InlineData("servers:\n  - name: p\n    pooler: { upstream: nope }\n  - name: db", "*upstream 'nope' must name a server*")]
    [InlineData("servers:\n  - name: p\n    maxClients: 5\n    pooler: { upstream: db }\n  - name: db", "*'maxClients' is a server's*")]
    [InlineData("servers:\n  - name: p\n    pooler: { upstream: db, defaultPoolSize: 5, maxConnectionsPercent: 10 }\n  - name: db",
        "*give the pool's size once*")]
    [InlineData("servers:\n  - name: p\n    pooler: { preset: rds-proxy, upstream: db }\n  - name: db", "*'db' has none*")]
    [InlineData("servers:\n  - name: p\n    pooler: { preset: pgbouncr, upstream: db }\n  - name: db", "*pgbouncer*")]
    public void A_pooler_that_cannot_be_built_is_bad_input_naming_what_would_be_right(string servers, string message)
    {
        var act = () => ScenarioLoader.Load($"name: t\nhorizon: 10s\nfunctions: [{{ name: f }}]\n{servers}\n", "t.yaml", []);
        act.Should().Throw<ScenarioException>().WithMessage(message);
    }
}
