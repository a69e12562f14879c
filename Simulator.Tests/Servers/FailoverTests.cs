using FluentAssertions;
using Xunit;
using Zombiesim.Core.Checks;
using Zombiesim.Core.Explore;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tcp;
using Zombiesim.Tests.World;
using static Zombiesim.Tests.Servers.ServerWorld;

namespace Zombiesim.Tests.Servers;

/// <summary>A failover: the old node fails at once (gone, rebooted or demoted), the name points to the
/// standby after the delay, and a resolver keeps each answer for the record's TTL. One-way latency
/// 0.5 ms, no set-up cost, replies after 1 ms: a request on a connection it opens takes 3 ms.</summary>
public class FailoverTests
{
    private static RunRecorder Run(string oldNode, string at, string client = "{ setupCost: 0s }", string server = "preset: generic",
        string function = "") =>
        ServerWorld.Run(server + "\n  responseTime: 1ms", at, client, function: function,
            extra: $"events:\n  - failover: {{ at: 10s, delay: 30s, oldNode: {oldNode}, dnsTtl: 5s }}");

    [Fact]
    public void A_rebooted_old_node_answers_the_cached_connection_with_rst_and_refuses_until_the_name_moves()
    {
        var r = Run("reset", "[0s, 20s, 25s, 45s]");
        r.Requests.Select(q => (q.T, q.Outcome, q.Origin, q.LatencyMs)).Should().Equal(
            (S(0), Outcome.Ok, (Origin?)null, 203.0), // after the cold start (200 ms)
            (S(20), Outcome.ECONNRESET, Origin.Rst, 1.0),
            (S(25), Outcome.ECONNREFUSED, Origin.Rst, 1.0),
            (S(45), Outcome.Ok, null, 3.0));
        r.Requests[1].Cause!.Incident!.Kind.Should().Be(IncidentKind.NodeRebooted);
        r.Requests[1].Cause!.Incident!.At.Should().Be(S(10));
        r.Transitions.Should().ContainSingle(t => t.Host == "server" && t.Cause == TcpCause.HostRebooted && t.From == TcpState.Established)
            .Which.T.Should().Be(S(10));
        r.Transitions.Should().ContainSingle(t => t.Host == "server-standby" && t.To == TcpState.Established)
            .Which.T.Should().Be(S(45.0015)); // the client's ACK of the SYN-ACK arrives
    }

    [Fact]
    public void A_gone_old_node_leaves_the_cached_connection_to_the_library_timeout()
    {
        var r = Run("gone", "[0s, 20s, 45s]", "{ setupCost: 0s, commandTimeout: 2s }");
        r.Requests.Select(q => (q.T, q.Outcome, q.Origin, q.LatencyMs)).Should().Equal(
            (S(0), Outcome.Ok, (Origin?)null, 203.0), // after the cold start (200 ms)
            (S(20), Outcome.ETIMEDOUT, Origin.LibraryTimeout, 2000.0),
            (S(45), Outcome.Ok, null, 3.0));
        r.Requests[1].Cause!.Incident!.Kind.Should().Be(IncidentKind.NodeGone);
        r.Transitions.Should().NotContain(t => t.Host == "server" && t.T > S(10), "the gone node sends and receives nothing");
    }

    [Fact]
    public void A_demoted_old_node_keeps_the_connection_and_answers_the_write_with_postgres_read_only_error()
    {
        var r = Run("readOnly", "[0s, 20s, 45s]", server: "preset: postgres");
        r.Requests.Select(q => (q.T, q.Outcome, q.Origin, q.LatencyMs)).Should().Equal(
            (S(0), Outcome.Ok, (Origin?)null, 203.0), // after the cold start (200 ms)
            (S(20), Outcome.ServerError, Origin.Server, 2.0),
            (S(45), Outcome.Ok, null, 3.0));
        var incident = r.Requests[1].Cause!.Incident!;
        incident.Kind.Should().Be(IncidentKind.Demoted);
        incident.Reply!.ToString().Should().Be("ERROR 25006: cannot execute INSERT in a read-only transaction");
    }

    [Fact]
    public void A_resolver_keeps_the_old_answer_for_the_records_ttl_after_the_name_moved()
    {
        // Per invocation: each request resolves (or reuses its answer) and connects. The name moves at 40 s;
        // the answer the first request got when it connected, after its 200 ms cold start, is kept until 43.2 s.
        var r = Run("readOnly", "[38s, 41s, 43.1s, 43.3s]", server: "preset: mysql", function: "    strategy: per-invocation");
        r.Requests.Select(q => (q.T, q.Outcome)).Should().Equal(
            (S(38), Outcome.ServerError), (S(41), Outcome.ServerError), (S(43.1), Outcome.ServerError), (S(43.3), Outcome.Ok));
        r.Requests[0].Cause!.Incident!.Reply!.ToString().Should()
            .Be("ERROR 1290 (HY000): The MySQL server is running with the --read-only option so it cannot execute this statement");
        r.Transitions.Where(t => t.To == TcpState.Established && t.Host.StartsWith("server", StringComparison.Ordinal))
            .Select(t => t.Host).Should().Equal("server", "server", "server", "server-standby");
    }

    [Fact]
    public void A_scheduled_restart_of_a_failed_over_node_does_not_bring_it_back()
    {
        var r = ServerWorld.Run("preset: generic\n  responseTime: 1ms", "[30s]", "{ setupCost: 0s }",
            extra: "events:\n  - serverRestart: { at: 9s, downtime: 5s }\n  - failover: { at: 10s, delay: 30s, oldNode: reset }");
        r.Requests.Single().Outcome.Should().Be(Outcome.ECONNREFUSED);
    }
}

/// <summary>Events and invariants name the server they are about when a scenario has several.</summary>
public class NamedServerEventTests
{
    private const string Yaml = """
        name: two
        horizon: 60s
        platform:
          freeze: { after: 1s, mode: process }
        functions:
          - name: a
            memory: 1024
            client: { server: cache, setupCost: 0s }
          - name: b
            memory: 1024
            client: { server: db, setupCost: 0s }
        servers:
          - name: cache
            preset: redis
          - name: db
            preset: mysql
            maxClients: 1
        network:
          latency: 0.5ms
        traffic:
          - function: a
            at: [0s, 20s]
          - function: b
            at: [0s, 20s]
        """;

    [Fact]
    public void A_server_restart_names_its_server_and_leaves_the_other_alone()
    {
        var rec = new RunRecorder();
        Simulation.Run(ScenarioLoader.Load(Yaml + "\nevents:\n  - serverRestart: { at: 10s, server: db }", "two.yaml", []), null, rec);
        rec.Requests.Where(q => q.T == S(20)).Select(q => (q.Function, q.Outcome)).Should()
            .BeEquivalentTo([("a", Outcome.Ok), ("b", Outcome.Eof)]);
        rec.Transitions.Should().Contain(t => t.Host == "db" && t.T == S(10)).And.NotContain(t => t.Host == "cache" && t.T == S(10));
    }

    [Fact]
    public void The_hard_limit_invariant_checks_each_server_against_its_own_limit_and_names_it()
    {
        // Two environments of b at 20 s and 20.5 s: db (mysql, maxClients 1) refuses the second after its kernel established it.
        var scenario = ScenarioLoader.Load(Yaml.Replace("at: [0s, 20s]\n", "at: [0s, 20s]\n") + "\n  - function: b\n    at: [0.1s]",
            "two.yaml", []);
        var result = Explorer.Explore(scenario, new ExploreOptions(1, "random", 1, [Invariant.Parse("hard-limit")], 0.1));
        result.Examples.Should().Contain(e => e.Breach != null && e.Breach.Contains("server db holds 2 connections, above its limit of 1"));
    }

    [Fact]
    public void A_second_failover_of_one_server_is_refused_with_the_reason()
    {
        const string events = "\nevents:\n  - failover: { at: 10s, server: db }\n  - failover: { at: 20s, server: db }";
        var act = () => ScenarioLoader.Load(Yaml + events, "two.yaml", []);
        act.Should().Throw<BadInputException>().WithMessage("*server 'db' fails over twice*");
    }

    [Fact]
    public void An_unknown_old_node_word_is_refused_with_the_words_it_may_be()
    {
        var act = () => ScenarioLoader.Load(Yaml + "\nevents:\n  - failover: { at: 10s, oldNode: dead }", "two.yaml", []);
        act.Should().Throw<BadInputException>().WithMessage("*oldNode*must be one of reset, gone, readOnly, got 'dead'*");
    }
}

/// <summary>The failover scenario's fix, as its header states it.</summary>
public class FailoverScenarioTests
{
    [Fact]
    public void Failing_fast_and_reconnecting_keeps_every_error_within_the_failovers_delay_plus_the_ttl()
    {
        var (_, before) = Scenarios.Run("aurora-failover-cached-connection.yaml");
        before.Requests.Count(q => q.Origin == Origin.Platform).Should().Be(15, "every request from 60 s to 88 s waits 10 s");
        var (_, r) = Scenarios.Run("aurora-failover-cached-connection.yaml", "functions.0.client.commandTimeout=1s",
            "functions.0.client.connectTimeout=1s", "functions.0.client.retries=3", "functions.0.client.retryOn=[ETIMEDOUT]");
        r.Requests.Should().NotContain(q => q.Origin == Origin.Platform);
        r.Requests.Where(q => !q.Ok).Should().OnlyContain(q => q.T >= S(60) && q.T < S(95) && q.Outcome == Outcome.ETIMEDOUT);
        r.Requests.Where(q => q.T >= S(96)).Should().OnlyContain(q => q.Ok);
    }
}

/// <summary>The connection storm's fix, as its header states it.</summary>
public class ConnectionStormScenarioTests
{
    [Fact]
    public void Raising_somaxconn_to_the_linux_5_4_default_lets_the_storm_wait_in_the_accept_queue()
    {
        var (_, before) = Scenarios.Run("connection-storm-backlog.yaml");
        before.Requests.Count(q => q.Outcome == Outcome.ETIMEDOUT).Should().Be(70);
        var (_, r) = Scenarios.Run("connection-storm-backlog.yaml", "server.host.somaxconn=4096");
        r.Requests.Should().HaveCount(400).And.OnlyContain(q => q.Ok);
    }
}

/// <summary>With several servers the summary has each server's open connections, a failover's standby included.</summary>
public class PerServerSummaryTests
{
    [Fact]
    public void The_summary_holds_each_servers_peak_and_final_counts_and_the_standby_after_a_failover()
    {
        var (outcome, _) = Scenarios.Run("two-servers-cache-and-db.yaml");
        outcome.Summary.PerServer.Select(x => x.Name).Should().Equal("cache", "db");
        var (failover, _) = Scenarios.Run("aurora-failover-cached-connection.yaml");
        failover.Summary.PerServer.Select(x => (x.Name, x.Peak)).Should().Equal(("server", 1), ("server-standby", 5));
    }
}

/// <summary>With several servers, connections.csv has each server's open connections, and reads back as written.</summary>
public class PerServerFilesTests
{
    [Fact]
    public void Connections_csv_has_each_servers_columns_and_reads_them_back()
    {
        var dir = Path.Combine(Path.GetTempPath(), "zombiesim-per-server-" + Guid.NewGuid().ToString("N"));
        try
        {
            var scenario = ScenarioLoader.LoadFile(Scenarios.File("aurora-failover-cached-connection.yaml"));
            var charted = new Zombiesim.Cli.Runs.ChartRecorder(scenario);
            RunOutcome outcome;
            using (var files = Zombiesim.Cli.Runs.RunFiles.Create(dir, scenario))
            {
                outcome = Simulation.Run(scenario, null, charted, files);
                files.Complete(outcome, null);
            }
            var header = File.ReadLines(Path.Combine(dir, "connections.csv")).First().Split(',');
            header.TakeLast(2).Should().Equal("open_server", "open_server-standby");
            var back = Zombiesim.Cli.Runs.RunFiles.Read(dir).Samples.PerServer!;
            var memory = Zombiesim.Cli.Runs.RunData.From(outcome, charted).Samples.PerServer!;
            back.Select(x => x.Key).Should().Equal("server", "server-standby");
            back.Select(x => x.Value).Should().BeEquivalentTo(memory.Select(x => x.Value), o => o.WithStrictOrdering());
            back[1].Value.Max().Should().Be(5);
            back[0].Value.Skip(61).Should().OnlyContain(v => v == 0, "the old node is gone from 60 s");
        }
        finally
        {
            if (Directory.Exists(dir))
                Directory.Delete(dir, true);
        }
    }
}
