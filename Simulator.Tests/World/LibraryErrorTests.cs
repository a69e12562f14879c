using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Tests.World;

/// <summary>
/// A failed request carries the error as its library words it, read in the library's source at the
/// preset's version (docs/model.md, "What the libraries say"). Each case is the 2020 story's thaw on
/// a connection the server closed while the environment was frozen, or a pool's own timer.
/// </summary>
public class LibraryErrorTests
{
    private static RequestRecord[] Run(string client, string at = "[0s, 95s]", string server = "idleTimeout: 60s", int parallel = 1)
    {
        string yaml = $"""
            name: words
            horizon: 200s
            platform:
              freeze: {"{"} after: 0s, mode: process {"}"}
              reap: {"{"} after: 1000s {"}"}
              coldStart: 0s
            functions:
              - name: fn
                timeout: 30s
                client: {client}
                parallel: {parallel}
            server:
              preset: generic
              port: 5432
              {server}
            network:
              latency: 0.5ms
            traffic:
              - function: fn
                at: {at}
            """;
        return Scenarios.RunYaml(yaml, "words.yaml").Records.Requests.ToArray();
    }

    [Fact]
    public void Mysql2_reports_the_connection_lost_when_its_pooled_connection_was_closed_while_frozen()
    {
        var r = Run("{ preset: mysql2, setupCost: 0s }");
        r.Select(x => x.Outcome).Should().Equal(Outcome.Ok, Outcome.Eof);
        r[0].Message.Should().BeNull("a success has no error words");
        r[1].Message.Should().Be("Connection lost: The server closed the connection. (PROTOCOL_CONNECTION_LOST)");
    }

    [Fact]
    public void Node_keep_alive_agent_reports_socket_hang_up_when_its_free_socket_timer_runs_after_the_request()
    {
        // globalAgent's 5 s free-socket timeout stopped at the freeze; the thawed request takes the
        // socket before the overdue timer closes it, and the server (nginx keepalive_timeout 75 s) has closed it.
        var r = Run("{ preset: http-agent, setupCost: 0s, pool: { overdueTimers: after } }", server: "idleTimeout: 75s");
        r[1].Outcome.Should().Be(Outcome.Eof);
        r[1].Message.Should().Be("socket hang up (ECONNRESET)");
    }

    [Fact]
    public void The_same_agent_succeeds_when_the_overdue_timer_runs_first_and_closes_the_stale_socket()
    {
        var r = Run("{ preset: http-agent, setupCost: 0s, pool: { overdueTimers: before } }", server: "idleTimeout: 75s");
        r.Select(x => x.Outcome).Should().Equal(Outcome.Ok, Outcome.Ok);
        r[1].Connection.Should().Be("c2");
    }

    [Fact]
    public void Ioredis_without_retries_says_connection_is_closed_and_with_its_20_retries_the_command_succeeds_on_a_new_connection()
    {
        Run("{ preset: ioredis, setupCost: 0s, retries: 0 }")[1].Message.Should().Be("Connection is closed.");
        var resent = Run("{ preset: ioredis, setupCost: 0s }")[1];
        resent.Outcome.Should().Be(Outcome.Ok);
        resent.Retries.Should().Be(1);
        // retryStrategy's first delay, 50 ms, then the handshake (1 ms) and the command (1.1 ms) on the new connection.
        resent.LatencyMs.Should().BeApproximately(52.1, 1e-9);
    }

    [Fact]
    public void Pg_pool_reports_its_acquire_timeout_in_pg_pool_words()
    {
        // Two commands at once on a pool of one, held by the first for the server's 10 s response: the second waits 1 s.
        var r = Run("{ preset: pg, setupCost: 0s, pool: { max: 1, acquireTimeout: 1s } }", at: "[0s]",
            server: "responseTime: 10s", parallel: 2);
        r.Single().Message.Should().Be("timeout exceeded when trying to connect");
    }

    [Fact]
    public void Postgres_js_names_the_server_and_port_in_its_connection_closed_error()
    {
        Run("{ preset: postgres.js, setupCost: 0s, keepAlive: 7200s }")[1].Message.Should().Be("write CONNECTION_CLOSED server:5432");
    }

    [Fact]
    public void The_generic_library_has_no_words_of_its_own()
    {
        var r = Run("{ preset: generic, setupCost: 0s }");
        r[1].Outcome.Should().Be(Outcome.Eof);
        r[1].Message.Should().BeNull();
    }

    [Fact]
    public void Mysql2_refuses_a_command_beyond_its_queue_limit_at_once()
    {
        // A pool of one: the first command takes the connection, the second waits, the third finds the queue full.
        var r = Run("{ preset: mysql2, setupCost: 0s, pool: { max: 1, queueLimit: 1 } }", at: "[0s]", parallel: 3).Single();
        (r.Outcome, r.Origin, r.LatencyMs).Should().Be((Outcome.Rejected, Origin.Library, 0.0));
        r.Message.Should().Be("Queue limit reached.");
        r.Cause!.Text().Should().Be("the pool's queue already held 1 waiting commands (queueLimit)");
    }
}
