using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Tests.World;
using static Zombiesim.Tests.Poolers.PoolerWorld;

namespace Zombiesim.Tests.Poolers;

/// <summary>The pooler scenarios, their expectations and the fixes and variants their headers state.</summary>
public class PoolerScenarioTests
{
    [Fact]
    public void Pgbouncer_transaction_mode_holds_20_server_connections_for_1000_clients_through_two_bursts()
    {
        var (outcome, r) = Scenarios.Run("pgbouncer-transaction-1000-clients.yaml");
        outcome.ExpectationsMet.Should().BeTrue();
        Established(r, "db").Should().Be((20, 20), "the second burst reuses the same 20");
        Established(r, "pgbouncer").Should().Be((1000, 1000), "the second burst thaws the same 1,000 environments");
        outcome.Summary.PerServer.Should().Equal([("pgbouncer", 1000, 1000), ("db", 20, 20)],
            "each side's open connections: the clients' on the pooler, the pooler's on the database");
    }

    [Fact]
    public void Pgbouncers_own_defaults_refuse_the_101st_client_or_in_session_mode_starve_the_980_others()
    {
        var (_, refused) = Scenarios.Run("pgbouncer-transaction-1000-clients.yaml", "servers.0.pooler.maxClientConn=100");
        refused.Requests.Count(q => q.Outcome == Outcome.Rejected).Should().Be(900 + 900, "both bursts");
        var (_, session) = Scenarios.Run("pgbouncer-transaction-1000-clients.yaml", "servers.0.pooler.mode=session");
        session.Requests.Take(1000).Count(q => q.Ok).Should().Be(20);
        session.Requests.Take(1000).Count(q => q.Outcome == Outcome.ETIMEDOUT && q.Origin == Origin.Platform).Should().Be(980);
        Established(session, "db").Peak.Should().Be(20);
    }

    [Fact]
    public void Moving_the_session_settings_out_of_the_connection_ends_the_pinning_and_every_query_succeeds()
    {
        var (outcome, pinned) = Scenarios.Run("rds-proxy-pinning.yaml");
        outcome.ExpectationsMet.Should().BeTrue();
        pinned.Requests.Where(q => !q.Ok).Should().OnlyContain(q => q.Message == null || q.Cause!.Text(false).Contains("borrow"));
        var (_, fixedRun) = Scenarios.Run("rds-proxy-pinning.yaml", "functions.0.sessionState=0");
        fixedRun.Requests.Should().HaveCount(300).And.OnlyContain(q => q.Ok);
        Established(fixedRun, "db").Peak.Should().BeLessThan(90, "multiplexed: only the queries that overlap need a connection");
    }
}

/// <summary>The per-server panel of the connections chart: each side of the pooler as a line, the same from memory and from disk.</summary>
public class PoolerChartTests
{
    [Fact]
    public void The_connections_chart_draws_the_poolers_clients_and_the_databases_connections_as_lines_and_plot_reads_them_back()
    {
        var scenario = Zombiesim.Core.Scenarios.ScenarioLoader.LoadFile(Scenarios.File("rds-proxy-pinning.yaml"));
        var rec = new Zombiesim.Cli.Runs.ChartRecorder(scenario);
        var outcome = Zombiesim.Core.Worlds.Simulation.Run(scenario, null, rec);
        var chart = Zombiesim.Cli.Charts.ConnectionsChart.Draw([Zombiesim.Cli.Runs.RunData.From(outcome, rec)]);
        chart.Panels.Should().HaveCount(4, "sockets, connections per server, environments, what went wrong");
        chart.Series["open proxy"].Max().Should().Be(300);
        chart.Series["open db"].Max().Should().Be(90);
        chart.Series["open db"][^1].Should().Be(90, "the pinned connections of the frozen clients");
        string dir = Path.Combine(Path.GetTempPath(), "zombiesim-pooler-chart-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (var files = Zombiesim.Cli.Runs.RunFiles.Create(dir, scenario))
            {
                Zombiesim.Core.Worlds.Simulation.Run(scenario, null, files);
                files.Complete(outcome);
            }
            var back = Zombiesim.Cli.Runs.RunFiles.Read(dir).Samples.PerServer!;
            back.Select(kv => kv.Key).Should().Equal("proxy", "db");
            back[1].Value.Should().Equal(chart.Series["open db"]);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
