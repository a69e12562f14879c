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
    private static Chart Draw(string file)
    {
        var scenario = ScenarioLoader.LoadFile(Scenarios.File(file));
        var rec = new ChartRecorder(scenario);
        var outcome = Simulation.Run(scenario, null, rec);
        return ConnectionsChart.Draw([RunData.From(outcome, rec)]);
    }

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
        story.Should().NotContainKey("connections refused").And.NotContainKey("invocations throttled");
        Draw("mongodb-proxy.yaml").Series.Should().ContainKey("invocations throttled");
    }
}
