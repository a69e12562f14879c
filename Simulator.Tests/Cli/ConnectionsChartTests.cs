using FluentAssertions;
using Xunit;
using Zombiesim.Cli.Charts;
using Zombiesim.Cli.Runs;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Cli;

/// <summary>The connections chart marks where refusals and throttles begin, and only when there are some.</summary>
public class ConnectionsChartTests
{
    private static Chart Draw(string file) => ConnectionsChart.Draw([ChartRuns.Of(file)]);

    [Fact]
    public void A_fleet_over_the_limit_shows_its_refusals_from_the_first_sample_that_has_one()
    {
        var refused = Draw("pool-fleet-connection-limit.yaml").Series["connections refused"];
        // Samples every second: the first refusal (3.453 s) shows in the sample at 4 s, the 6,923rd by the end.
        Array.FindIndex(refused, v => v > 0).Should().Be(4);
        refused[^1].Should().Be(6923);
    }

    [Fact]
    public void The_2020_story_has_no_refusal_or_throttle_to_mark_and_the_proxy_has_throttles()
    {
        var story = Draw("upstash-2020-process.yaml").Series;
        story.Should().NotContainKey("connections refused").And.NotContainKey("invocations refused (THROTTLED)");
        Draw("mongodb-proxy.yaml").Series.Should().ContainKey("invocations refused (THROTTLED)");
    }

    [Theory]
    [InlineData("upstash-2020-process.yaml", "frozen")]
    [InlineData("cloud-run-throttled-pings.yaml", "throttled")]
    [InlineData("vercel-fluid-without-pool-hook.yaml", "suspended")]
    [InlineData("snapstart-stale-connection.yaml", "frozen or snapshotted")]
    [InlineData("azure-load-balancer-idle-drop.yaml", "stopped")]
    public void The_chart_names_a_stopped_environment_in_its_platforms_word(string file, string word)
    {
        var chart = Draw(file);
        chart.Panels[0].GetPlottables<ScottPlot.Plottables.FillY>().Select(f => f.LegendText)
            .Should().NotContain(t => t.StartsWith("zombie", StringComparison.Ordinal) && t != $"zombie (client {word} or gone)");
        chart.Panels[1].GetPlottables<ScottPlot.Plottables.Scatter>().Select(x => x.LegendText).Should().Equal("alive", word);
    }

    [Fact]
    public void An_overlay_names_each_run_once_in_its_top_panel_draws_zombies_apart_and_wraps_a_long_title_to_the_figure()
    {
        string[] names = ["upstash-2020-process", "upstash-2020-310s", "upstash-2020-vm", "upstash-2020-etimedout"];
        var chart = ConnectionsChart.Draw(names.Select(n => ChartRuns.Of(n + ".yaml")).ToList(), width: 900); // titles of 81 characters
        chart.Panels.Select(p => p.Axes.Left.Label.Text).Should().Equal("server sockets", "zombies", "environments", "failed / interval");
        var top = chart.Panels[0].GetPlottables<ScottPlot.Plottables.Scatter>().ToList();
        top.Select(x => x.LegendText).Should().Equal(names);
        top.Select(x => x.LineWidth).Should().BeInDescendingOrder("an equal line drawn later must let the earlier one show");
        chart.Panels.Skip(1).SelectMany(p => p.GetPlottables<ScottPlot.Plottables.Scatter>())
            .Should().OnlyContain(x => string.IsNullOrEmpty(x.LegendText), "the top panel's legend names the colours once");
        chart.Panels[0].Axes.Title.Label.Text.Should()
            .Be("Overlay of 4 runs: upstash-2020-process vs upstash-2020-310s vs upstash-2020-vm\nvs upstash-2020-etimedout");
    }

    [Fact]
    public void A_limit_named_in_the_legend_is_within_the_axis()
    {
        // 330 server sockets at most; max clients 500 is near enough to draw, so the axis must reach it.
        var chart = Draw("connection-storm-backlog.yaml");
        chart.Series["max clients"].Should().Equal(500);
        chart.Panels[0].Axes.GetLimits().Top.Should().BeGreaterThan(500);
    }

    [Fact]
    public void Equal_failure_lines_both_show_and_the_first_refusal_is_not_drawn_like_a_limit()
    {
        // postgres-reserved-slots: 23 connections refused at 2 s, and the 23 requests they rejected.
        var chart = Draw("postgres-reserved-slots.yaml");
        var lines = chart.Panels[2].GetPlottables<ScottPlot.Plottables.Scatter>().ToList();
        lines.Select(l => l.LegendText).Should().Equal("connections refused", "requests REJECTED");
        lines.Select(l => l.LineWidth).Should().BeInDescendingOrder().And.OnlyHaveUniqueItems();
        var top = chart.Panels[0];
        var limits = top.GetPlottables<ScottPlot.Plottables.HorizontalLine>().Select(h => h.LinePattern).ToList();
        limits.Should().NotBeEmpty();
        var refusal = top.GetPlottables<ScottPlot.Plottables.VerticalLine>().Single(v => v.LegendText.StartsWith("connections refused"));
        limits.Should().NotContain(refusal.LinePattern);
    }

    [Fact]
    public void Every_panel_has_the_same_time_ticks_at_least_50_pixels_apart()
    {
        // redis-quit-time-wait, 45 s: the bottom panel had chosen a tick a second, its labels touching.
        var chart = Draw("redis-quit-time-wait.yaml");
        chart.Png(1200, 700); // a manual tick generator gives its ticks once rendered
        var ticks = chart.Panels.Select(p => ((ScottPlot.TickGenerators.NumericManual)p.Axes.Bottom.TickGenerator).Ticks
            .Where(t => t.IsMajor).Select(t => t.Position).ToList()).ToList();
        ticks.Should().AllSatisfy(t => t.Should().Equal(ticks[0]));
        ticks[0].Should().Equal(0, 5, 10, 15, 20, 25, 30, 35, 40, 45);
        var wide = ChartStyle.TimeTickList(0, 1440, 700).Where(t => t.IsMajor).Select(t => t.Label);
        wide.Should().Equal("0", "200", "400", "600", "800", "1000", "1200", "1400");
        ChartStyle.TimeTickList(0.72, 3.15, 700).Where(t => t.IsMajor).Select(t => t.Label).Should()
            .Equal("0.8", "1", "1.2", "1.4", "1.6", "1.8", "2", "2.2", "2.4", "2.6", "2.8", "3");
    }
}
