using ScottPlot;
using Zombiesim.Cli.Runs;
using Zombiesim.Core.Observation;
using static Zombiesim.Cli.Charts.ChartStyle;

namespace Zombiesim.Cli.Charts;

/// <summary>Several runs on one time axis, one colour per run: server sockets and zombies, environments
/// alive, and failed requests per interval, in the same three panels as one run's chart. The title
/// names the runs overlaid.</summary>
public static class ConnectionsOverlay
{
    /// <summary>The three panels (downsampled to <paramref name="columns"/>) and their series.</summary>
    public static (Plot[] Panels, Dictionary<string, double[]> Series) Draw(IReadOnlyList<RunData> runs, double scale, string unit,
        int columns)
    {
        var series = new Dictionary<string, double[]>();
        var names = RunNames.Of(runs);
        var sockets = NewPlot($"Overlay of {runs.Count} runs: {string.Join(" vs ", names)}", "", "server sockets");
        var environments = NewPlot("", "", "environments");
        var problems = NewPlot("", $"time ({unit})", "failed / interval");
        double end = 1, peak = 1, envPeak = 1, failPeak = 1;
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
            Line(sockets, Downsample.Line(s.T, scale, total, columns), color, LinePattern.Solid, $"{names[r]}: all server sockets");
            Line(sockets, Downsample.Line(s.T, scale, zombies, columns), color, LinePattern.Dashed, $"{names[r]}: zombies");
            Line(environments, Downsample.Line(s.T, scale, alive, columns), color, LinePattern.Solid, $"{names[r]}: alive");
            Line(problems, Downsample.Line(s.T, scale, failed, columns), color, LinePattern.Solid, $"{names[r]}: failed requests");
            end = Math.Max(end, s.T.DefaultIfEmpty(0).Max());
            peak = Math.Max(peak, total.DefaultIfEmpty(0).Max());
            envPeak = Math.Max(envPeak, alive.DefaultIfEmpty(0).Max());
            failPeak = Math.Max(failPeak, failed.DefaultIfEmpty(0).Max());
        }
        foreach (var (plot, top) in new[] { (sockets, peak), (environments, envPeak), (problems, failPeak) })
        {
            plot.Axes.SetLimits(0, end / scale, 0, top * 1.1);
            IntegerTicks(plot.Axes.Left);
            LegendOutside(plot);
        }
        return ([sockets, environments, problems], series);
    }

    private static void Line(Plot plot, (double[] X, double[] Y) points, Color color, LinePattern pattern, string legend)
    {
        var line = plot.Add.ScatterLine(points.X, points.Y);
        line.Color = color;
        line.LinePattern = pattern;
        line.LineWidth = 2;
        line.ConnectStyle = ConnectStyle.StepHorizontal;
        line.LegendText = legend;
    }
}
