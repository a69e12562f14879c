using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Traffic;
using Zombiesim.Core.Worlds;
using Zombiesim.Tests.Cli;

namespace Zombiesim.Tests.Core;

/// <summary>Absurd but valid work is announced before the run, with how to try it small, and long runs report progress.</summary>
public class WorkEstimateTests
{
    private static Scenario Load(string traffic, string horizon = "1h") => ScenarioLoader.Load($"""
        name: t
        horizon: {horizon}
        functions:
          - name: f
        traffic:
          - function: f
            {traffic}
        """, "t.yaml");

    [Theory]
    [InlineData("at: [0s, 5s, 10s]", 3)]
    [InlineData("every: 1s", 3600)]
    [InlineData("burst: { count: 100000, over: 365d }", 100000 * 3600.0 / (365 * 86400))]
    [InlineData("every: { exponential: { mean: 10s } }", 360)]
    public void The_estimate_counts_instants_bursts_within_the_horizon_and_arrivals_over_the_mean_gap(string traffic, double expected)
    {
        WorkEstimate.Invocations(Load(traffic)).Should().BeApproximately(expected, expected * 0.02);
    }

    [Fact]
    public void A_mixture_that_is_almost_always_zero_is_estimated_from_its_rare_gaps()
    {
        // 999 in 1000 gaps are 0 s and 1 in 1000 is 1 s: the mean gap is 1 ms, so about 3.6 million in an hour.
        var s = Load("every: { mixture: [{ weight: 999, constant: 0s }, { weight: 1, constant: 1s }] }");
        WorkEstimate.Invocations(s).Should().BeApproximately(3.6e6, 3.6e6 * 0.15);
        WorkEstimate.Warning(s).Should().StartWith("this run simulates about ").And.Contain("(traffic.0, of 'f': about ")
            .And.EndWith("over 1h; it may take minutes. To try it small first: --set horizon=10m");
    }

    [Fact]
    public void A_small_run_is_not_announced()
    {
        WorkEstimate.Warning(Load("every: 10ms", "2h")).Should().BeNull("720,000 invocations take seconds");
        WorkEstimate.Warning(Load("every: 1ms", "2h")).Should().NotBeNull();
    }

    [Fact]
    public void A_run_reporting_its_progress_makes_the_same_records_and_hears_each_thousandth()
    {
        var scenario = ScenarioLoader.LoadFile(World.Scenarios.File("fleet-reuse-vs-per-invocation.yaml"));
        var plain = new RunRecorder();
        var reported = new RunRecorder();
        var heard = new List<(TimeSpan At, long Events)>();
        var a = Simulation.Run(scenario, null, plain);
        var b = Simulation.RunWithProgress(scenario, null, (at, events) => heard.Add((at, events)), reported);
        heard.Should().HaveCount(1000);
        heard[0].At.Should().Be(TimeSpan.FromSeconds(7.2), "a thousandth of 2 h");
        heard[^1].Should().Be((scenario.Horizon, a.Events));
        heard.Select(h => h.Events).Should().BeInAscendingOrder();
        b.Events.Should().Be(a.Events);
        reported.Requests.Should().Equal(plain.Requests);
        reported.Transitions.Should().Equal(plain.Transitions);
        reported.Samples.Count.Should().Be(plain.Samples.Count);
    }

    [Fact]
    public void Run_announces_absurd_work_on_stderr_and_its_progress_line_says_where_it_is()
    {
        var error = new StringWriter();
        Zombiesim.Cli.Commands.RunCommand.Announce(Load("every: 1ms", "2h"), error).Should().BeTrue();
        error.ToString().Should().Be("warning: this run simulates about 7,200,000 invocations (traffic.0, of 'f': about 7,200,000) "
            + "over 2h; it may take minutes. To try it small first: --set horizon=10m\n");
        Zombiesim.Cli.Commands.RunCommand.Announce(Load("every: 1s"), error = new StringWriter()).Should().BeFalse();
        error.ToString().Should().BeEmpty();
        var line = new Zombiesim.Cli.Runs.ProgressLine(error, TimeSpan.FromHours(2), terminal: false);
        line.Text(TimeSpan.FromMinutes(30), 3_000_000, TimeSpan.FromSeconds(10)).Should()
            .Be("progress: 30m00s of 2h simulated (25%), 300,000 events/s, about 30s left");
        line.Report(TimeSpan.FromMinutes(30), 1);
        error.ToString().Should().BeEmpty("nothing is shown in a run's first 2 seconds");
        Zombiesim.Cli.Runs.ProgressLine.Wanted(error, asked: false).Should().BeFalse("not a terminal, not asked");
        Zombiesim.Cli.Runs.ProgressLine.Wanted(error, asked: true).Should().BeTrue();
    }

    [Fact]
    public void A_search_or_exploration_is_announced_by_its_invocations_over_all_runs()
    {
        var s = Load("at: [0s, 95s]");
        WorkEstimate.Warning(s, 8_000_000, "search", "--replications 10").Should()
            .Be("this search simulates about 16,000,000 invocations (2 a run, 8,000,000 runs); it may take minutes. "
                + "To try it small first: --replications 10");
        WorkEstimate.Warning(s, 5_000_000, "search", "--replications 10").Should().BeNull("10 million invocations share the cores");
    }
}
