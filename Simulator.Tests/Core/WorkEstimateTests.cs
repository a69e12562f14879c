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
    public void A_run_reporting_its_progress_makes_the_same_records_and_hears_each_tenth()
    {
        var scenario = ScenarioLoader.LoadFile(World.Scenarios.File("fleet-reuse-vs-per-invocation.yaml"));
        var plain = new RunRecorder();
        var reported = new RunRecorder();
        var tenths = new List<double>();
        var a = Simulation.Run(scenario, null, plain);
        var b = Simulation.RunWithProgress(scenario, null, tenths.Add, reported);
        tenths.Should().Equal(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0);
        b.Events.Should().Be(a.Events);
        reported.Requests.Should().Equal(plain.Requests);
        reported.Transitions.Should().Equal(plain.Transitions);
        reported.Samples.Count.Should().Be(plain.Samples.Count);
    }

    [Fact]
    public void Run_announces_absurd_work_on_stderr_and_reports_progress_there()
    {
        var error = new StringWriter();
        var progress = Zombiesim.Cli.Commands.RunCommand.Announced(Load("every: 1ms", "2h"), error);
        progress.Should().NotBeNull();
        progress!(0.3);
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().Be("warning: this run simulates about 7,200,000 invocations (traffic.0, of 'f': about 7,200,000) over 2h; "
            + "it may take minutes. To try it small first: --set horizon=10m");
        lines[1].Should().StartWith("progress: 30% of 2h simulated, ");
        Zombiesim.Cli.Commands.RunCommand.Announced(Load("every: 1s"), error = new StringWriter()).Should().BeNull();
        error.ToString().Should().BeEmpty();
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
