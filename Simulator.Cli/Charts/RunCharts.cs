using Zombiesim.Cli.Runs;

namespace Zombiesim.Cli.Charts;

/// <summary>Every chart of one or several runs: connections (overlaid across runs), the first run's lifecycles, latency.</summary>
public static class RunCharts
{
    public static IReadOnlyList<Chart> Draw(IReadOnlyList<RunData> runs) =>
        [ConnectionsChart.Draw(runs), LifecycleChart.Draw(runs[0]), LatencyChart.Draw(runs)];

    /// <summary>Writes the charts into <paramref name="dir"/> (which exists), each file atomically; returns the files.</summary>
    public static IReadOnlyList<string> Save(IReadOnlyList<RunData> runs, string dir, ChartFormat format, int width, int height) =>
        Draw(runs).SelectMany(c => c.Save(Path.Combine(dir, c.Name), format, width, height)).ToList();
}
