using ScottPlot;
using Zombiesim.Cli.Runs;
using Zombiesim.Core.Observation;
using static Zombiesim.Cli.Charts.ChartStyle;

namespace Zombiesim.Cli.Charts;

/// <summary>Several runs on one time axis, one colour per run: server sockets, zombies, environments
/// alive, and failed requests per interval, each in its own panel. The legend names each run once, in
/// the top panel; the title names the runs overlaid, wrapped to the figure's width. Lines that coincide stay
/// visible: each run's line is thinner than the one before and dashed or dotted in turn, so an equal
/// count drawn over another lets it show at its edges and through its gaps.</summary>
public static class ConnectionsOverlay
{
    public static readonly float[] Weights = [3f, 2f, 1.5f, 1.8f];

    /// <summary>The four panels (downsampled to <paramref name="columns"/>) and their series.</summary>
    public static (Plot[] Panels, Dictionary<string, double[]> Series) Draw(IReadOnlyList<RunData> runs, double scale, string unit,
        int columns, int width)
    {
        var series = new Dictionary<string, double[]>();
        var names = RunNames.Of(runs);
        var sockets = NewPlot(RunNames.Title($"Overlay of {names.Count} runs: ", names, width), "", "server sockets");
        var zombiePanel = NewPlot("", "", "zombies");
        var environments = NewPlot("", "", "environments");
        var problems = NewPlot("", $"time ({unit})", "failed / interval");
        double end = 1, peak = 1, zombiePeak = 1, envPeak = 1, failPeak = 1;
        for (int r = 0; r < runs.Count; r++)
        {
            var s = runs[r].Samples;
            var total = Enumerable.Range(0, s.T.Length).Select(i => Sample.ServerCategories.Sum(c => s.Server[c][i])).ToArray();
            var zombies = s.Server["zombie"];
            var alive = s.Alive;
            var failed = new double[s.T.Length];
            foreach (var (name, values) in Failures.PerInterval(runs[r]))
                if (name.StartsWith("requests ", StringComparison.Ordinal))
                    for (int i = 0; i < failed.Length; i++)
                        failed[i] += values[i];
            series[$"{names[r]}: all server sockets"] = total;
            series[$"{names[r]}: zombies"] = zombies;
            series[$"{names[r]}: environments alive"] = alive;
            series[$"{names[r]}: failed requests (per interval)"] = failed;
            var color = LineColor(r);
            var (lineWidth, pattern) = RunLine(r, runs.Count);
            Line(sockets, Downsample.Line(s.T, scale, total, columns), color, lineWidth, pattern, names[r]);
            Line(zombiePanel, Downsample.Line(s.T, scale, zombies, columns), color, lineWidth, pattern, null);
            Line(environments, Downsample.Line(s.T, scale, alive, columns), color, lineWidth, pattern, null);
            Line(problems, Downsample.Line(s.T, scale, failed, columns), color, lineWidth, pattern, null);
            end = Math.Max(end, s.T.DefaultIfEmpty(0).Max());
            peak = Math.Max(peak, total.DefaultIfEmpty(0).Max());
            zombiePeak = Math.Max(zombiePeak, zombies.DefaultIfEmpty(0).Max());
            envPeak = Math.Max(envPeak, alive.DefaultIfEmpty(0).Max());
            failPeak = Math.Max(failPeak, failed.DefaultIfEmpty(0).Max());
        }
        foreach (var (plot, top) in new[] { (sockets, peak), (zombiePanel, zombiePeak), (environments, envPeak), (problems, failPeak) })
        {
            plot.Axes.SetLimits(0, end / scale, 0, top * 1.1);
            IntegerTicks(plot.Axes.Left);
            LegendOutside(plot);
        }
        return ([sockets, zombiePanel, environments, problems], series);
    }

    private static void Line(Plot plot, (double[] X, double[] Y) points, Color color, float width, LinePattern pattern, string? legend)
    {
        var line = plot.Add.ScatterLine(points.X, points.Y);
        line.Color = color;
        line.LinePattern = pattern;
        line.LineWidth = width;
        line.ConnectStyle = ConnectStyle.StepHorizontal;
        if (legend is not null)
            line.LegendText = legend;
    }
}
