using FluentAssertions;
using Xunit;
using Zombiesim.Cli.Charts;
using Zombiesim.Cli.Searches;

namespace Zombiesim.Tests.Cli;

/// <summary>The search chart's axes: a share of runs never drawn above 100%.</summary>
public sealed class SearchChartTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"zombiesim-search-{Guid.NewGuid():N}.json");

    public void Dispose() => File.Delete(_file);

    private static string Point(int size, int failures, double high) =>
        "{\"values\":{\"servers.0.pooler.defaultPoolSize\":\"" + size + "\"},\"runs\":20,\"failures\":" + failures
        + ",\"failureRate\":" + (failures / 20.0).ToString(System.Globalization.CultureInfo.InvariantCulture)
        + ",\"low\":0,\"high\":" + high.ToString(System.Globalization.CultureInfo.InvariantCulture)
        + ",\"safe\":" + (failures == 0 ? "true" : "false") + ",\"outcomes\":{\"ok\":10},"
        + "\"metrics\":{\"errorRate\":0,\"p99LatencyMs\":1,\"peakServerConnections\":1,\"zombieSeconds\":1},\"cause\":null}";

    [Fact]
    public void A_rate_every_run_failed_at_ends_the_axis_at_100_percent()
    {
        // search-pgbouncer-pool-size: 20 runs of 20 fail at pool sizes 4 and 6, none at 9.
        File.WriteAllText(_file, $$"""
            {"scenario":"pool","vary":[{"path":"servers.0.pooler.defaultPoolSize","values":3}],"replications":20,"goal":"no errors",
             "confidence":0.95,"objective":"min servers.0.pooler.defaultPoolSize","strategy":"bisect",
             "points":[{{Point(4, 20, 1)}},{{Point(6, 20, 1)}},{{Point(9, 0, 0.161125)}}],
             "boundary":{"servers.0.pooler.defaultPoolSize":"6"},
             "recommendation":{"values":{"servers.0.pooler.defaultPoolSize":"9"},"text":"9"},"warnings":[]}
            """);
        var chart = SearchChart.Draw(SearchReport.Read(_file));
        chart.Series["interval high (%)"].Max().Should().Be(100);
        var limits = chart.Panels[0].Axes.GetLimits();
        (limits.Bottom, limits.Top).Should().Be((0, 100), "no run can fail more than all of them");
    }
}
