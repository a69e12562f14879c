using FluentAssertions;
using Xunit;
using Zombiesim.Cli.Charts;
using Zombiesim.Cli.Runs;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Cli;

/// <summary>What the charts draw: rejections and failures per interval as recorded, a spike of one sample kept
/// by the downsampling, an ECDF with its steps where the data has them, and state colours a reader can tell apart.</summary>
public class ChartDataTests
{
    [Fact]
    public void Refusals_and_rejected_requests_are_plotted_per_interval_exactly_as_recorded()
    {
        var scenario = ScenarioLoader.LoadFile(Scenarios.File("pool-fleet-connection-limit.yaml"));
        var rec = new ChartRecorder(scenario);
        var outcome = Simulation.Run(scenario, null, rec);
        var chart = ConnectionsChart.Draw([RunData.From(outcome, rec)]);
        var refused = chart.Series["connections refused (per interval)"];
        refused.Should().Equal(rec.Samples.Select((s, i) => (double)(s.Rejections - (i == 0 ? 0 : rec.Samples[i - 1].Rejections))));
        refused.Sum().Should().Be(6923);
        // A request counts in the first sample at or after it failed: every REJECTED request failed before the last sample is there.
        double last = rec.Samples[^1].T.TotalSeconds;
        chart.Series["requests REJECTED (per interval)"].Sum().Should()
            .Be(rec.Requests.Count(r => r.Outcome == Outcome.Rejected && r.T.TotalSeconds + r.LatencyMs / 1000 <= last));
        chart.Series["connections refused"][^1].Should().Be(6923, "the running total, as connections.csv has it");
        chart.Panels.Should().HaveCount(3, "sockets, environments and what went wrong each have a panel and a scale");
        chart.Panels[2].GetPlottables<ScottPlot.Plottables.Scatter>().Select(s => s.LegendText).Should()
            .Equal("connections refused", "requests REJECTED");
    }

    [Fact]
    public void A_failed_request_is_plotted_when_it_failed_not_when_it_arrived()
    {
        // The monitoring scenario's 49 commands arrive within the first second and wait 30 s for the server.
        var scenario = ScenarioLoader.LoadFile(Scenarios.File("mongodb-monitoring-connections.yaml"));
        var rec = new ChartRecorder(scenario);
        var outcome = Simulation.Run(scenario, null, rec);
        var chart = ConnectionsChart.Draw([RunData.From(outcome, rec)]);
        var timedOut = chart.Series["requests ETIMEDOUT (per interval)"];
        var t = rec.Samples.Select(x => x.T.TotalSeconds).ToArray();
        timedOut.Sum().Should().Be(49);
        Enumerable.Range(0, t.Length).Where(i => timedOut[i] > 0).Should().OnlyContain(i => t[i] > 30 && t[i] <= 35);
    }

    [Fact]
    public void A_single_sample_spike_survives_downsampling_and_the_points_stay_bounded()
    {
        const int n = 7200 * 10; // two hours sampled every 100 ms
        var sockets = Enumerable.Repeat(3.0, n).ToArray();
        sockets[45_678] = 102;
        var idx = Downsample.Indices(n, [sockets], 1000);
        idx.Should().HaveCountLessThanOrEqualTo(2 * 1000 + 2).And.BeInAscendingOrder().And.OnlyHaveUniqueItems();
        Downsample.Pick(sockets, idx).Max().Should().Be(102);
        idx.Should().Contain(45_678).And.Contain(0).And.Contain(n - 1);
        Downsample.Indices(1500, [sockets[..1500]], 1000).Should().Equal(Enumerable.Range(0, 1500), "few samples are all drawn");
    }

    [Fact]
    public void A_two_hour_run_draws_its_one_second_spike_in_a_small_svg()
    {
        const int n = 7201; // 2 h, one sample a second
        var t = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        var zero = new double[n];
        var idle = t.Select(x => 20 + x % 7).ToArray();
        var zombies = t.Select(x => x % 13).ToArray();
        idle[5000] = 102;
        var server = Sample.ServerCategories.ToDictionary(c => c, c => c switch
        {
            "established-idle" => idle,
            "zombie" => zombies,
            _ => zero,
        });
        var client = Sample.ClientCategories.ToDictionary(c => c, _ => zero);
        var alive = t.Select(x => 30 + x % 5).ToArray();
        var run = new RunData(new RunHeader("spike", null, null, null, new Dictionary<string, string>()),
            new SampleColumns(t, server, client, zero, alive, zero, zero, zero, zero), [], [], [], []);
        var chart = ConnectionsChart.Draw([run]);
        var top = chart.Panels[0].GetPlottables<ScottPlot.Plottables.FillY>().Last();
        top.GetAxisLimits().Top.Should().Be(102 + zombies[5000], "the top of the stack at the spike");
        chart.Svg(1200, 700).Length.Should()
            .BeLessThan(700_000, "7,201 samples drawn as at most two points per pixel column and series (2 MB without)");
    }

    [Fact]
    public void The_latency_ecdf_starts_at_the_minimum_at_zero_and_jumps_once_per_distinct_value()
    {
        var (at, share) = LatencyChart.Ecdf([1.5, 2, 2, 2, 7]);
        at.Should().Equal(1.5, 1.5, 2, 7);
        share.Should().Equal(0, 0.2, 0.8, 1);
        LatencyChart.Ecdf([4, 4]).Share.Should().Equal(0, 1);
    }

    [Fact]
    public void A_long_ecdf_keeps_the_first_and_last_point_of_each_column_and_its_ends()
    {
        var x = Enumerable.Range(0, 200_000).Select(i => Math.Sqrt(i)).ToArray();
        var keep = Downsample.Monotone(x, 600);
        keep.Should().HaveCountLessThanOrEqualTo(2 * 600 + 2).And.BeInAscendingOrder().And.OnlyHaveUniqueItems();
        keep[0].Should().Be(0);
        keep[^1].Should().Be(x.Length - 1);
        // Each of the 600 columns of the axis holds a kept point: no gap wider than a column.
        keep.Zip(keep.Skip(1), (a, b) => x[b] - x[a]).Max().Should().BeLessThanOrEqualTo((x[^1] - x[0]) / 600 * 2);
        Downsample.Monotone([1, 2, 3], 600).Should().Equal(0, 1, 2);
    }

    [Fact]
    public void Every_tcp_state_has_its_own_colour_and_none_is_near_black()
    {
        string[] states = [.. Sample.ServerCategories, "SYN_SENT", "ESTABLISHED"];
        var colours = states.Select(ChartStyle.StateColor).ToList();
        foreach (var (state, c) in states.Zip(colours))
            (0.2126 * c.R + 0.7152 * c.G + 0.0722 * c.B).Should().BeGreaterThan(40, $"{state} must not read as black");
        colours.Take(Sample.ServerCategories.Length).Select(c => c.ToHex()).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void Time_marks_are_dark_and_unlike_every_state_colour_and_each_other()
    {
        static double Distance(ScottPlot.Color a, ScottPlot.Color b) =>
            Math.Sqrt(Math.Pow(a.R - b.R, 2) + Math.Pow(a.G - b.G, 2) + Math.Pow(a.B - b.B, 2));
        var marks = TimeMarks.Palette;
        var palette = Enumerable.Range(0, 10).Select(ChartStyle.Distinct.GetColor).ToList();
        foreach (var m in marks)
        {
            (0.2126 * m.R + 0.7152 * m.G + 0.0722 * m.B).Should().BeLessThan(100, $"{m.ToHex()} must stand out on a light fill");
            palette.Select(p => Distance(m, p)).Min().Should().BeGreaterThanOrEqualTo(80, $"{m.ToHex()} must not pass for a state");
        }
        for (int i = 0; i < marks.Count; i++)
            marks.Skip(i + 1).Select(o => Distance(marks[i], o)).DefaultIfEmpty(255).Min().Should()
                .BeGreaterThanOrEqualTo(70, $"{marks[i].ToHex()} must not pass for another mark");
    }
}
