using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tcp;

namespace Zombiesim.Tests.Servers;

/// <summary>Several named servers in one scenario: each function's client talks to the one it names,
/// each server applies its own kind and limits, and the counts cover them all.</summary>
public class SeveralServersTests
{
    private const string Yaml = """
        name: two
        horizon: 100s
        platform:
          freeze: { after: 1s, mode: process }
        functions:
          - name: a
            memory: 1024
            client: { server: cache }
          - name: b
            memory: 1024
            client: { server: cache }
          - name: c
            memory: 1024
            client: { server: db }
        servers:
          - name: cache
            preset: redis
            maxClients: 1
          - name: db
            preset: postgres
            idleTimeout: 30s
        traffic:
          - function: a
            at: [0s]
          - function: b
            at: [1s]
          - function: c
            at: [2s, 50s]
        expect:
          - at: 10s
            serverConnections: 2
          - at: 10s
            serverConnections: 1
            server: cache
            state: ESTABLISHED
        """;

    [Fact]
    public void Each_client_talks_to_the_server_it_names_and_each_server_keeps_its_own_limit()
    {
        var rec = new RunRecorder();
        var outcome = Simulation.Run(ScenarioLoader.Load(Yaml, "two.yaml", []), null, rec);
        rec.Requests.Single(q => q.Function == "a").Ok.Should().BeTrue();
        var b = rec.Requests.Single(q => q.Function == "b");
        b.Outcome.Should().Be(Outcome.Rejected, "the cache's maxclients is 1, whatever the database holds");
        b.Cause!.Text(instants: false).Should().EndWith("replying \"-ERR max number of clients reached\"");
        rec.Requests.Single(q => q.Function == "c" && q.T == TimeSpan.FromSeconds(2)).Ok.Should().BeTrue();
        var later = rec.Requests.Single(q => q.Function == "c" && q.T == TimeSpan.FromSeconds(50));
        later.Outcome.Should().Be(Outcome.ServerError, "the database's idle_session_timeout closed it with FATAL 57P05");
        var cConnection = rec.Requests.Single(q => q.Function == "c" && q.T == TimeSpan.FromSeconds(2)).Connection;
        rec.Transitions.Where(t => t.Connection == cConnection && t.Host != "c#1").Should().OnlyContain(t => t.Host == "db");
        rec.Transitions.Where(t => t.Connection == b.Connection && t.Host != "b#1").Should().OnlyContain(t => t.Host == "cache");
        outcome.ExpectationsMet.Should().BeTrue("at 10 s the cache holds a's connection and the database c's: 2 over both, 1 on the cache");
        outcome.Summary.Final!.Value.Rejections.Should().Be(1);
    }

    [Fact]
    public void Servers_and_server_together_are_bad_input()
    {
        var act = () => ScenarioLoader.Load(Yaml.Replace("servers:", "server: { preset: redis }\nservers:"), "two.yaml", []);
        act.Should().Throw<Exception>().WithMessage("*either 'server' (one server) or 'servers'*");
    }

    [Fact]
    public void A_client_naming_an_unknown_server_is_bad_input()
    {
        var act = () => ScenarioLoader.Load(Yaml.Replace("server: db", "server: dbx"), "two.yaml", []);
        act.Should().Throw<Exception>().WithMessage("*client.server 'dbx' is not a server of the scenario (one of cache, db)*");
    }

    [Fact]
    public void An_expectation_naming_an_unknown_server_is_bad_input()
    {
        var act = () => ScenarioLoader.Load(Yaml.Replace("server: cache\n    state", "server: cachex\n    state"), "two.yaml", []);
        act.Should().Throw<Exception>().WithMessage("*names server 'cachex', which is not a server of the scenario*");
    }
}
