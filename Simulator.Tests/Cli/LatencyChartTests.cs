using FluentAssertions;
using Xunit;
using Zombiesim.Cli.Charts;
using Zombiesim.Cli.Runs;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Cli;

/// <summary>The latency chart: a share axis ending at 1, a line for every successful request however fast, the
/// sample a line is drawn from named, and overlaid equal lines that let each other show.</summary>
public class LatencyChartTests
{
    private static RunData Requests(string name, long? successes, params double[] latencies)
    {
        var zero = Array.Empty<double>();
        var samples = new SampleColumns(zero, Sample.ServerCategories.ToDictionary(c => c, _ => zero),
            Sample.ClientCategories.ToDictionary(c => c, _ => zero), zero, zero, zero, zero, zero, zero);
        var requests = latencies.Select((ms, i) =>
            new RequestRecord(TimeSpan.FromSeconds(i), "api", "api#1", "c1", Outcome.Ok, null, ms, 0, null)).ToList();
        return new RunData(new RunHeader(name, null, null, null, new Dictionary<string, string> { ["api"] = "reuse" }), samples,
            requests, [], [], [], successes is { } n ? new Dictionary<string, long> { ["api"] = n } : null);
    }

    [Fact]
    public void The_share_axis_ends_at_one()
    {
        var chart = LatencyChart.Draw([ChartRuns.Of("upstash-2020-process.yaml")]);
        var limits = chart.Panels[0].Axes.GetLimits();
        (limits.Bottom, limits.Top).Should().Be((0, 1));
    }

    [Fact]
    public void A_line_drawn_from_a_sample_says_of_how_many_requests_it_is_a_sample()
    {
        var sampled = LatencyChart.Draw([Requests("fleet", 4_321_259, 12, 15, 30)]);
        sampled.Panels[0].GetPlottables<ScottPlot.Plottables.Scatter>().Single().LegendText.Should()
            .Be("api (reuse):\np50 15 ms, p99 30 ms\nin a sample of 3 of 4,321,259 (requests.csv)");
        var whole = LatencyChart.Draw([Requests("story", 3, 12, 15, 30)]);
        whole.Panels[0].GetPlottables<ScottPlot.Plottables.Scatter>().Single().LegendText.Should()
            .Be("api (reuse):\np50 15 ms, p99 30 ms, n 3");
    }

    [Fact]
    public void A_run_keeps_each_functions_successes_and_reads_them_back_from_its_summary()
    {
        var run = ChartRuns.Of("fleet-reuse-vs-per-invocation.yaml");
        run.Successes.Should().NotBeNull();
        run.Successes!.Keys.Should().BeEquivalentTo(["cached", "ephemeral"]);
        foreach (var (function, n) in run.Successes)
            n.Should().BeGreaterThanOrEqualTo(run.Requests.Count(r => r.Function == function && r.Ok));
        var summary = System.Text.Json.Nodes.JsonNode.Parse(
            """{"byFunction":[{"name":"cached","outcomes":{"ok":61,"EOF":2}},{"name":"proxy","outcomes":{"EOF":1}}]}""")!.AsObject();
        SummaryJson.ReadSuccesses(summary).Should().BeEquivalentTo(new Dictionary<string, long> { ["cached"] = 61, ["proxy"] = 0 });
    }

    [Fact]
    public void A_successful_request_of_zero_ms_is_drawn_on_a_linear_axis_from_zero()
    {
        // Same-instant: the one successful request answers at the instant it arrives.
        var chart = LatencyChart.Draw([ChartRuns.Of("explore-same-instant.yaml")]);
        chart.Series["hello (reuse)"].Should().Equal(0);
        chart.Panels[0].GetPlottables<ScottPlot.Plottables.Annotation>().Should().BeEmpty("there is a successful request");
        var limits = chart.Panels[0].Axes.GetLimits();
        (limits.Left, limits.Right).Should().Be((0, 1));
        chart.Panels[0].Axes.Bottom.Label.Text.Should().Be("latency (ms)");
    }

    [Fact]
    public void Overlaid_equal_ecdfs_each_show_thinner_and_dashed_in_turn()
    {
        var chart = LatencyChart.Draw([Requests("a", null, 5, 9), Requests("b", null, 5, 9)]);
        var lines = chart.Panels[0].GetPlottables<ScottPlot.Plottables.Scatter>().ToList();
        lines.Select(l => l.LineWidth).Should().BeInDescendingOrder().And.OnlyHaveUniqueItems();
        lines.Select(l => l.LinePattern).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void A_log_axis_labels_one_two_and_five_of_each_decade()
    {
        var ticks = LatencyChart.LogTicks(1.1, 208).ToList();
        ticks.Where(t => t.IsMajor).Select(t => t.Label).Should().Equal("1", "2", "5", "10", "20", "50", "100", "200", "500");
        ticks.Where(t => t.IsMajor).Select(t => t.Position).Should().BeInAscendingOrder();
        ticks.Should().HaveCount(27, "three decades of nine ticks");
        LatencyChart.LogTicks(0.05, 0.5).Where(t => t.IsMajor).Select(t => t.Label).Should()
            .Equal("0.01", "0.02", "0.05", "0.1", "0.2", "0.5");
    }

    [Fact]
    public void A_log_axis_over_more_than_four_decades_labels_only_the_powers_of_ten()
    {
        // A pooled fleet's waits, 2.6 ms to 160 s: six decades; 1, 2 and 5 of each would run into each other.
        var ticks = LatencyChart.LogTicks(2.6, 160_000).ToList();
        ticks.Where(t => t.IsMajor).Select(t => t.Label).Should().Equal("1", "10", "100", "1,000", "10,000", "100,000");
        ticks.Should().HaveCount(54, "six decades of nine ticks, the unlabelled ones minor");
    }

    [Fact]
    public void Long_latencies_in_the_legend_have_their_thousands_grouped()
    {
        var chart = LatencyChart.Draw([Requests("pooled", null, 104.02, 14_468.645, 98_199.494)]);
        chart.Panels[0].GetPlottables<ScottPlot.Plottables.Scatter>().Single().LegendText.Should()
            .Be("api (reuse):\np50 14,468.645 ms, p99 98,199.494 ms, n 3");
    }
}
