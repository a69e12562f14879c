using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FluentAssertions;
using Xunit;
using Zombiesim.Cli.Verify;
using Zombiesim.Tests.Cli;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Verify;

/// <summary>
/// `zombiesim verify` on this machine's kernel, in namespaces, against the model: one scenario per freeze mode, and one
/// per real server (redis-server, PostgreSQL, MariaDB), cut to
/// the part of the 2020 timeline that shows the failure (the first request, the server's idle close while frozen, the
/// thawed request). The outcome sequence must match exactly; instants within the stated tolerance, with 50 ms of
/// scheduling slack for a shared CI machine. Nothing may be left behind.
/// </summary>
[Collection(nameof(VerifyOnLinuxTests))]
public class VerifyOnLinuxTests
{
    [NamespaceFact]
    public void Process_freeze_replayed_on_a_real_kernel_reads_EOF_on_thaw_as_the_model_says()
    {
        // Scaled by 10: idle close at 6.2 s, thaw at 9.5 s; horizon 120 s / 10.
        var real = Verify("upstash-2020-process.yaml", "10", "horizon=120s");
        Outcomes(real).Should().Equal("ok", "EOF");
        real["requests"]![1]!["origin"]!.GetValue<string>().Should().Be("fin");
    }

    [NamespaceFact]
    public void Vm_freeze_replayed_on_a_real_kernel_reads_ECONNRESET_on_thaw_as_the_model_says()
    {
        // Scaled by 4, not 10: at 10 the thaw (9.5 s) falls within the timer-wheel slack of the server's FIN
        // retransmission due at 9.26 s, and a late one reaches the thawed client first (EOF); docs/verify.md.
        var real = Verify("upstash-2020-vm.yaml", "4", "horizon=100s");
        Outcomes(real).Should().Equal("ok", "ECONNRESET");
        real["transitions"]!.AsArray().Should().Contain(t => t!["host"]!.GetValue<string>() == "server"
            && t["to"]!.GetValue<string>() == "FIN_WAIT_1", "the server's FIN went unanswered while the VM was paused");
    }

    [NamespaceFact]
    public void A_real_redis_server_closes_idle_clients_in_its_cron_as_the_model_says()
    {
        // redis-server 7 with timeout 6 (60 s / 10): its once-a-second cron closes the idle client at 7 s, not 6.2.
        var real = Verify("upstash-2020-process.yaml", "10", "horizon=120s", "server.preset=redis");
        Outcomes(real).Should().Equal("ok", "EOF");
        var close = real["transitions"]!.AsArray().First(t => t!["host"]!.GetValue<string>() == "server"
            && t["to"]!.GetValue<string>() == "FIN_WAIT_1")!;
        close["t"]!.GetValue<double>().Should().BeInRange(6.2, 8.0);
    }

    [NamespaceFact("postgres")]
    public void A_real_PostgreSQL_ends_an_idle_session_with_FATAL_57P05_read_on_thaw_as_the_model_says()
    {
        // PostgreSQL with idle_session_timeout 6000 ms (60 s / 10): the backend writes ErrorResponse FATAL 57P05 and
        // exits at 6.2 s while the client is frozen; the thawed query reads that error (SERVER_ERROR), not EOF.
        var (real, error) = VerifyWithErrors("upstash-2020-process.yaml", "10", "horizon=110s", "server.preset=postgres");
        Outcomes(real).Should().Equal("ok", "SERVER_ERROR");
        real["requests"]![1]!["origin"]!.GetValue<string>().Should().Be("server");
        error.Should().Contain("the server wrote error 57P05");
        real["transitions"]!.AsArray().Should().Contain(t => t!["host"]!.GetValue<string>() == "server"
            && t["to"]!.GetValue<string>() == "FIN_WAIT_1" && t["t"]!.GetValue<double>() > 6.2 && t["t"]!.GetValue<double>() < 6.5);
    }

    [NamespaceFact("mariadbd")]
    public void A_real_MariaDB_resets_an_idle_connection_and_the_thawed_command_fails_ECONNRESET_as_the_model_says()
    {
        // MariaDB 10.11 with wait_timeout 6 (60 s / 10) ends the idle connection at 9.0 s with SO_LINGER 0: a RST, no
        // error packet and no FIN (preset mariadb; the mysql preset is MySQL 8.0.24+, error 4031 and a FIN, and
        // disagrees with MariaDB: docs/verify.md). The thawed COM_PING fails ECONNRESET.
        var real = Verify("mysql-wait-timeout.yaml", "10", "horizon=110s", "server.preset=mariadb");
        Outcomes(real).Should().Equal("ok", "ok", "ECONNRESET");
        real["requests"]![2]!["origin"]!.GetValue<string>().Should().Be("rst");
        real["transitions"]!.AsArray().Should().Contain(t => t!["host"]!.GetValue<string>() == "server"
            && t["from"]!.GetValue<string>() == "ESTABLISHED" && t["to"]!.GetValue<string>() == "CLOSED"
            && t["t"]!.GetValue<double>() > 9.0 && t["t"]!.GetValue<double>() < 9.3, "an abortive close: no FIN_WAIT_1");
    }

    [NamespaceFact]
    public void A_shutdown_hook_without_a_shutdown_phase_leaves_the_server_in_LAST_ACK_as_the_model_says()
    {
        // Scaled by 30: reaped at 10.007 s; SIGTERM, the hook's FIN, then the environment is gone (its inbound side cut
        // ahead, SIGKILL): redis-server's own FIN finds nothing and its socket stays in LAST_ACK to the horizon.
        var real = Verify("lambda-shutdown-no-extension.yaml", "30", "horizon=330s");
        Outcomes(real).Should().Equal("ok");
        var server = ServerStates(real);
        server.Last().Should().Be("LAST_ACK");
        server.Should().NotContain("CLOSED");
    }

    [NamespaceFact]
    public void A_shutdown_hook_within_a_shutdown_phase_closes_cleanly_as_the_model_says()
    {
        // Scaled by 30: SIGTERM at 10.007 s, the hook closes, the environment answers for the 2 s phase (not scaled):
        // the client's socket is in TIME_WAIT and the server's is CLOSED before the destruction at 12.007 s.
        var real = Verify("lambda-shutdown-external-extension.yaml", "30", "horizon=390s");
        Outcomes(real).Should().Equal("ok");
        ServerStates(real).Last().Should().Be("CLOSED");
        real["lifecycle"]!.AsArray().Select(l => l!["event"]!.GetValue<string>()).Should()
            .Equal("cold-start", "frozen", "shutdown", "destroyed");
        real["transitions"]!.AsArray().Should().Contain(t => t!["host"]!.GetValue<string>() == "hello#1"
            && t["from"]!.GetValue<string>() == "TIME_WAIT" && t["to"]!.GetValue<string>() == "CLOSED"
            && t["cause"]!.GetValue<string>() == "host-destroyed");
    }

    /// <summary>A pool of two and two commands at once per invocation, frozen between invocations (docs/verify.md,
    /// "Pools"): written here, not bundled.</summary>
    private const string PoolScenario = """
        name: verify-pool-idle-frozen
        seed: 1
        horizon: 16s
        platform:
          freeze: { after: 0s, mode: process }
          reap: { after: 60s }
        functions:
          - name: api
            parallel: 2
            client:
              pool: { max: 2, idleTimeout: 6s }
        server:
          preset: generic
        network:
          latency: 0.5ms
        traffic:
          - function: api
            at: [0s, 3s, 12s]
        """;

    [NamespaceFact]
    public void A_real_pool_idle_timer_stops_while_frozen_and_closes_at_the_thaw_as_the_model_says()
    {
        // Two connections opened at once at 0.2 s, reused at 3 s (LIFO: the last command ends on c1), released at
        // 3.001 s and frozen at once: their 6 s idle timers, due at 9.0 s, are the agent's own and stop with SIGSTOP.
        // At the thaw (12 s) they are overdue and close both (FIN) before the invocation, which opens c3 and c4.
        var real = VerifyText(PoolScenario, "1", "horizon=13s");
        Outcomes(real).Should().Equal("ok", "ok", "ok");
        real["requests"]!.AsArray().Select(r => r!["connection"]!.GetValue<string>()).Should().Equal("c2", "c1", "c4");
        var closed = real["transitions"]!.AsArray().Where(t => t!["host"]!.GetValue<string>() == "server"
            && t["connection"]!.GetValue<string>() is "c1" or "c2" && t["to"]!.GetValue<string>() == "CLOSED").ToList();
        closed.Should().HaveCount(2);
        closed.Should().OnlyContain(t => t!["t"]!.GetValue<double>() > 12.0 && t["t"]!.GetValue<double>() < 12.1,
            "the idle timers did not run while frozen (9.0 s)");
    }

    [NamespaceFact]
    public void A_real_HTTP_keep_alive_connection_closed_by_nginx_while_frozen_reads_EOF_on_thaw_as_the_model_says()
    {
        // preset nginx on the built-in HTTP/1.1 server (keepalive_timeout 75 s / 10): a GET answered 200 keep-alive at
        // 0.21 s, frozen at 0.31 s; the server closes the idle connection at 7.71 s (FIN), and the thawed GET at 9 s reads EOF.
        var real = Verify("nginx-keepalive-freeze.yaml", "10");
        Outcomes(real).Should().Equal("ok", "EOF");
        real["requests"]![1]!["origin"]!.GetValue<string>().Should().Be("fin");
        real["verify"]!["server"]!.GetValue<string>().Should().Be("zombiesim's built-in HTTP/1.1 server");
    }

    /// <summary>A server restart and a partition, written for verify (docs/verify.md, where it is measured).</summary>
    private const string RestartPartitionScenario = """
        name: verify-restart-partition
        seed: 1
        horizon: 12s
        platform:
          freeze: { after: 0s, mode: process }
          reap: { after: 60s }
          coldStart: 200ms
        functions:
          - name: api
            memory: 1024
            client: { commandTimeout: 1s, connectTimeout: 500ms }
        server:
          preset: generic
        network:
          latency: 0.5ms
        events:
          - serverRestart: { at: 2s, downtime: 1s }
          - partition: { from: 5s, to: 10.5s }
        traffic:
          - function: api
            at: [0s, 2.5s, 2.8s, 3.5s, 6s, 8s, 11s]
        """;

    [NamespaceFact]
    public void A_real_server_restart_and_a_partition_fail_the_requests_they_meet_as_the_model_says()
    {
        // The restart at 2 s closes the frozen client's connection (FIN): EOF at 2.5 s; nothing listens until 3 s: the
        // connect at 2.8 s is refused (c2, too short for any poll, keeps its number); a new connection at 3.5 s. The
        // partition from 5 s: the command at 6 s times out (1 s) and the connect at 8 s (500 ms); after it, c5 is served.
        var real = VerifyText(RestartPartitionScenario, "1");
        Outcomes(real).Should().Equal("ok", "EOF", "ECONNREFUSED", "ok", "ETIMEDOUT", "ETIMEDOUT", "ok");
        real["requests"]!.AsArray().Select(r => r!["connection"]!.GetValue<string>())
            .Should().Equal("c1", "c1", "c2", "c3", "c3", "c4", "c5");
        var listener = real["transitions"]!.AsArray().Where(t => t!["connection"]!.GetValue<string>() == "listener")
            .Select(t => (To: t!["to"]!.GetValue<string>(), T: t["t"]!.GetValue<double>())).ToList();
        listener.Select(l => l.To).Should().Equal("LISTEN", "CLOSED", "LISTEN");
        listener[2].T.Should().BeInRange(3.0, 3.1, "the restarted server listens at the model's instant");
    }

    /// <summary>Idle pings while warm, stopped by the freeze: verify-pings (docs/verify.md) made shorter.</summary>
    private const string PingScenario = """
        name: verify-pings
        seed: 1
        horizon: 8s
        platform:
          freeze: { after: 3s, mode: process }
          reap: { after: 60s }
          coldStart: 200ms
        functions:
          - name: api
            memory: 1024
            client: { commandTimeout: 1s, pingInterval: 1.3s }
        server:
          preset: generic
          idleTimeout: 1.5s
        network:
          latency: 0.5ms
        traffic:
          - function: api
            at: [0s, 7s]
        """;

    [NamespaceFact]
    public void Real_idle_pings_keep_the_connection_until_the_freeze_stops_them_as_the_model_says()
    {
        // Pings at 1.5 s and 2.8 s keep the connection from the server's 1.5 s idle close (1.7 s without them); the
        // freeze at 3.2 s stops them, the server closes it at 4.3 s, and the thawed command at 7 s reads EOF.
        var real = VerifyText(PingScenario, "1");
        Outcomes(real).Should().Equal("ok", "EOF");
        var close = real["transitions"]!.AsArray().First(t => t!["host"]!.GetValue<string>() == "server"
            && t["to"]!.GetValue<string>() == "FIN_WAIT_1")!;
        close["t"]!.GetValue<double>().Should().BeInRange(4.30, 4.40);
    }

    [NamespaceFact("pgbouncer")]
    public void A_real_PgBouncer_closes_its_idle_server_connection_then_the_frozen_client_with_an_error_as_the_model_says()
    {
        // PgBouncer in transaction mode, a pool of one, in front of PostgreSQL (VerifyPlanTests.PgBouncerScenario): the
        // client's connection to the pooler (c1) and the pooler's to the database (c2) open at 0.2 s; the janitor (every
        // 1/3 s) closes c2 idle 3 s after the reply at 2.0 s, and the frozen client's c1 idle 4 s with ERROR 08P01
        // client_idle_timeout; the thawed query at 8 s reads that error (SERVER_ERROR), not EOF.
        var (real, error) = VerifyTextWithErrors(VerifyPlanTests.PgBouncerScenario, "1");
        Outcomes(real).Should().Equal("ok", "ok", "SERVER_ERROR");
        error.Should().Contain("the server wrote error 08P01");
        real["verify"]!["server"]!.GetValue<string>().Should().StartWith("PgBouncer 1.");
        double Seen(string host, string connection, string to) => real["transitions"]!.AsArray()
            .First(t => t!["host"]!.GetValue<string>() == host && t["connection"]!.GetValue<string>() == connection
                && t["to"]!.GetValue<string>() == to)!["t"]!.GetValue<double>();
        Seen("pgbouncer", "c2", "TIME_WAIT").Should().BeInRange(5.002, 5.40, "the pooler closed it first");
        Seen("db", "c2", "CLOSED").Should().BeInRange(5.002, 5.40);
        Seen("pgbouncer", "c1", "FIN_WAIT_1").Should().BeInRange(6.002, 6.40);
        Seen("api#1", "c1", "CLOSE_WAIT").Should().BeInRange(6.002, 6.45);
    }

    [NamespaceFact("pgbouncer")]
    public void A_real_PgBouncers_janitor_closes_an_idle_server_connection_past_server_lifetime_as_the_model_does()
    {
        // server_lifetime 4 s, no server_idle_timeout: the janitor (src/janitor.c check_unused_servers, 1.18.0 :456) closes
        // c2, idle in the pool since 2.0 s, once it is 4 s old (launched at 0.2017 s); the model closes it at that instant,
        // PgBouncer within its third of a second. Before the model had lifetime timers it never closed c2 (DISAGREE).
        var real = VerifyText(VerifyPlanTests.PgBouncerScenario, "1", "servers.0.pooler.serverLifetime=4s",
            "servers.0.pooler.serverIdleTimeout=0s");
        Outcomes(real).Should().Equal("ok", "ok", "SERVER_ERROR");
        double Seen(string host, string to) => real["transitions"]!.AsArray()
            .First(t => t!["host"]!.GetValue<string>() == host && t["connection"]!.GetValue<string>() == "c2"
                && t["to"]!.GetValue<string>() == to)!["t"]!.GetValue<double>();
        Seen("pgbouncer", "TIME_WAIT").Should().BeInRange(4.202, 4.60, "the pooler closed it first, at the janitor's tick");
        Seen("db", "CLOSED").Should().BeInRange(4.202, 4.60);
    }

    private static string[] ServerStates(JsonNode real) => real["transitions"]!.AsArray()
        .Where(t => t!["host"]!.GetValue<string>() == "server" && t["connection"]!.GetValue<string>() == "c1")
        .Select(t => t!["to"]!.GetValue<string>()).ToArray();

    private static string[] Outcomes(JsonNode real) =>
        real["requests"]!.AsArray().Select(r => r!["outcome"]!.GetValue<string>()).ToArray();

    private static JsonNode Verify(string scenario, string scale, params string[] sets) => VerifyWithErrors(scenario, scale, sets).Real;

    private static JsonNode VerifyText(string yaml, string scale, params string[] sets) => VerifyTextWithErrors(yaml, scale, sets).Real;

    /// <summary>Verify of a scenario given as text (written to a temporary file, removed after).</summary>
    private static (JsonNode Real, string Error) VerifyTextWithErrors(string yaml, string scale, params string[] sets)
    {
        string file = Path.Combine(Path.GetTempPath(), $"zombiesim-scenario-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, yaml);
        try
        {
            return VerifyWithErrors(file, scale, sets);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Runs verify and expects agreement; the real document and what verify wrote on stderr.</summary>
    private static (JsonNode Real, string Error) VerifyWithErrors(string scenario, string scale, params string[] sets)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"zombiesim-verify-{Guid.NewGuid():N}");
        try
        {
            var (code, output, error) = CliTests.Run(["verify", Path.IsPathRooted(scenario) ? scenario : Scenarios.File(scenario),
                "--time-scale", scale,
                .. sets.SelectMany(s => new[] { "--set", s }), "--slack", "50", "--out", dir]);
            string prefix = Regex.Match(error, "namespaces (zs[0-9a-f]{4})-").Groups[1].Value;
            prefix.Should().NotBeEmpty(error);
            Shell.Try("ip", ["netns", "list"]).Output.Should().NotContain(prefix + "-", "verify removes its namespaces");
            code.Should().Be(0, output + error);
            output.Should().Contain("AGREE");
            var diff = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "diff.json")))!;
            diff["agree"]!.GetValue<bool>().Should().BeTrue();
            return (JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "real.json")))!, error);
        }
        finally
        {
            RealWorld.DisposeAll();
            if (Directory.Exists(dir))
                Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>The real runs go alone: other tests' allocations would pause the thread that keeps the platform's instants.</summary>
[CollectionDefinition(nameof(VerifyOnLinuxTests), DisableParallelization = true)]
public sealed class VerifyOnLinuxCollection;
