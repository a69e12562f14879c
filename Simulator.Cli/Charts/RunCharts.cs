using Zombiesim.Cli.Runs;

namespace Zombiesim.Cli.Charts;

/// <summary>Every chart of one or several runs: connections (overlaid across runs), latency (overlaid), and
/// the lifecycles of each run (one chart per run when there are several, named after it).</summary>
public static class RunCharts
{
    public static IReadOnlyList<Chart> Draw(IReadOnlyList<RunData> runs, int width = ChartStyle.DefaultWidth)
    {
        var charts = new List<Chart> { ConnectionsChart.Draw(runs, width) };
        if (runs.Count == 1)
            charts.Add(LifecycleChart.Draw(runs[0]));
        else
        {
            var names = RunNames.Of(runs);
            for (int i = 0; i < runs.Count; i++)
                charts.Add(LifecycleChart.Draw(runs[i]) with { Name = $"lifecycle-{RunNames.File(names[i])}" });
        }
        charts.Add(LatencyChart.Draw(runs, width));
        return charts;
    }

    /// <summary>Writes the charts into <paramref name="dir"/> (which exists), each file atomically; returns the files.</summary>
    public static IReadOnlyList<string> Save(IReadOnlyList<RunData> runs, string dir, ChartFormat format, int width, int height) =>
        Draw(runs, width).SelectMany(c => c.Save(Path.Combine(dir, c.Name), format, width, height)).ToList();
}
