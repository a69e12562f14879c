using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tcp;

namespace Zombiesim.Tests.World;

/// <summary>
/// The MongoDB driver's server monitor (polling mode), to the instant. The path is 0.5 ms each way,
/// the server answers in 0.1 ms, set-up and cold start cost nothing: a connection's handshake takes
/// 1 ms and a command or hello and its reply 1.1 ms.
/// </summary>
public class MonitorTests
{
    private static (RunOutcome Outcome, RunRecorder Records) Run(string at, string events = "", string client = "")
    {
        string yaml = $"""
            name: monitor
            horizon: 200s
            platform:
              freeze: {"{"} after: 0s, mode: process {"}"}
              reap: {"{"} after: 1000s {"}"}
              coldStart: 0s
            functions:
              - name: fn
                timeout: 30s
                client: {"{"} preset: mongodb, setupCost: 0s {client} {"}"}
            server:
              preset: mongodb
            network:
              latency: 0.5ms
            traffic:
              - function: fn
                at: {at}
            {events}
            """;
        return Scenarios.RunYaml(yaml, "monitor.yaml");
    }

    private static TimeSpan S(double seconds) => TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));

    [Fact]
    public void The_first_command_waits_for_the_monitor_to_find_the_server_so_each_environment_holds_two_server_connections()
    {
        var (_, rec) = Run("[0s]");
        var r = rec.Requests.Single();
        // The monitor's handshake (1 ms) and hello (1.1 ms), then the pool's connection (1 ms) and the command (1.1 ms).
        r.LatencyMs.Should().BeApproximately(4.2, 1e-9);
        r.Connection.Should().Be("c2");
        rec.Transitions.Where(t => t.Host == "server" && t.To == TcpState.Established).Select(t => (t.Connection, t.T))
            .Should().Equal(("c1", S(0.0015)), ("c2", S(0.0036))); // the handshake's last ACK reaches the server
    }

    [Fact]
    public void A_server_restart_during_the_freeze_fails_the_thawed_command_and_the_heartbeat_then_the_next_command_reconnects_both()
    {
        var (_, rec) = Run("[0s, 100s, 105s]", "events:\n  - serverRestart: { at: 50s, downtime: 1s }");
        rec.Requests.Select(r => (r.T, r.Outcome, r.Connection)).Should().Equal(
            (S(0), Outcome.Ok, "c2"), (S(100), Outcome.Eof, "c2"), (S(105), Outcome.Ok, "c4"));
        rec.Requests[1].Message.Should().Be("connection c2 to server:27017 closed");
        // The overdue heartbeat ran at the thaw; the restart's FIN, held while frozen, reached it once the handler ran.
        rec.Notes.Where(n => n.Who == "fn#1").Select(n => (n.T, n.Text)).Should().Equal(
            (S(100), "heartbeat failed: connection <monitor> c1 to server:27017 closed; server unknown, pool cleared"));
        // At 105 s the command waits for the check it requests: the monitor's handshake and hello, then a new pooled connection.
        rec.Requests[2].LatencyMs.Should().BeApproximately(4.2, 1e-9);
    }

    [Fact]
    public void A_command_waits_at_most_the_server_selection_timeout_for_a_server_the_monitor_cannot_reach()
    {
        // Nothing listens between 50 s and 150 s: the monitor's connect is refused each time.
        var (_, rec) = Run("[0s, 100s, 101s]", "events:\n  - serverRestart: { at: 50s, downtime: 100s }",
            ", monitoring: { serverSelectionTimeout: 2s }");
        var failed = rec.Requests.Where(r => !r.Ok).ToList();
        failed.Select(r => (r.T, r.Outcome, r.Origin)).Should().Contain((S(101), Outcome.ETIMEDOUT, Origin.LibraryTimeout));
        failed.Single(r => r.T == S(101)).Message.Should().Be("Server selection timed out after 2000 ms");
        failed.Single(r => r.T == S(101)).LatencyMs.Should().Be(2000);
    }
}
