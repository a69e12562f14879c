using ScottPlot;
using Zombiesim.Cli.Runs;
using Zombiesim.Core.Observation;
using static Zombiesim.Cli.Charts.ChartStyle;

namespace Zombiesim.Cli.Charts;

/// <summary>Connections over time. One run: server sockets stacked by category, environments on the
/// right axis, limits and scripted events. Several runs: each run's server sockets and zombies, overlaid.</summary>
public static class ConnectionsChart
{
    private static readonly Dictionary<string, string> Friendly = new()
    {
        ["established-in-use"] = "ESTABLISHED, in use",
        ["established-idle"] = "ESTABLISHED, idle",
        ["zombie"] = "zombie (client frozen or gone)",
    };

    public static Chart Draw(IReadOnlyList<RunData> runs)
    {
        double span = runs.Max(r => r.Samples.T.Length == 0 ? 0 : r.Samples.T[^1]);
        var (scale, unit) = TimeUnit(span);
        return runs.Count > 1 ? Overlay(runs, scale, unit) : One(runs[0], scale, unit);
    }

    private static Chart Overlay(IReadOnlyList<RunData> runs, double scale, string unit)
    {
        var series = new Dictionary<string, double[]>();
        var plt = NewPlot("Server connections over time", $"time ({unit})", "server sockets");
        foreach (var r in runs)
        {
            var s = r.Samples;
            var x = s.T.Select(t => t / scale).ToArray();
            var total = Enumerable.Range(0, s.T.Length).Select(i => Sample.ServerCategories.Sum(c => s.Server[c][i])).ToArray();
            var line = plt.Add.ScatterLine(x, total);
            line.LegendText = $"{r.Name}: all server sockets";
            line.LineWidth = 2;
            var z = plt.Add.ScatterLine(x, s.Server["zombie"]);
            z.LegendText = $"{r.Name}: zombies";
            z.LinePattern = LinePattern.Dashed;
            z.Color = line.Color;
            series[$"{r.Name}: all server sockets"] = total;
            series[$"{r.Name}: zombies"] = s.Server["zombie"];
        }
        IntegerTicks(plt.Axes.Left);
        plt.Axes.SetLimitsX(0, Math.Max(runs.Max(r => r.Samples.T.DefaultIfEmpty(0).Max()), 1) / scale); // time starts at 0
        plt.ShowLegend(Alignment.UpperRight);
        return new Chart(plt, "connections", series);
    }

    private static Chart One(RunData run, double scale, string unit)
    {
        var series = new Dictionary<string, double[]>();
        var samples = run.Samples;
        var xs = samples.T.Select(t => t / scale).ToArray();
        var p = NewPlot($"{run.Name}: server connections over time", $"time ({unit})", "server sockets");
        var lower = new double[xs.Length];
        int colour = 0;
        double peak = 0;
        foreach (var c in Sample.ServerCategories)
        {
            var values = samples.Server[c];
            series[c] = values;
            if (values.All(v => v == 0))
            {
                colour++;
                continue;
            }
            var upper = lower.Zip(values, (a, b) => a + b).ToArray();
            var fill = p.Add.FillY(xs, upper, lower);
            fill.FillColor = Wong.GetColor(colour++).WithAlpha(0.75);
            fill.LineWidth = 0;
            fill.LegendText = Friendly.GetValueOrDefault(c, c);
            lower = upper;
            peak = Math.Max(peak, upper.DefaultIfEmpty(0).Max());
        }
        var alive = samples.Alive;
        series["environments alive"] = alive;
        series["environments frozen"] = samples.EnvironmentsFrozen;
        var a = p.Add.ScatterLine(xs, alive);
        a.LegendText = "environments alive (right axis)";
        a.Color = Colors.Black;
        a.LineWidth = 1.5f;
        a.Axes.YAxis = p.Axes.Right;
        var f = p.Add.ScatterLine(xs, samples.EnvironmentsFrozen);
        f.LegendText = "environments frozen (right axis)";
        f.Color = Colors.Gray;
        f.LinePattern = LinePattern.Dashed;
        f.Axes.YAxis = p.Axes.Right;
        p.Axes.Right.Label.Text = "environments";

        var h = run.Header;
        foreach (var (name, limit) in new[] { ("soft limit", h.SoftLimit), ("hard limit", h.HardLimit), ("max clients", h.MaxClients) })
        {
            // A limit far above the counts would flatten them: drawn only when it is in view.
            if (limit is { } l && l <= Math.Max(2 * peak, 10))
            {
                var line = p.Add.HorizontalLine(l);
                line.LegendText = $"{name} ({l})";
                line.LinePattern = LinePattern.Dotted;
                series[name] = [l];
            }
        }
        // Refusals and throttles are what a user of a pooled fleet looks for: where they begin, and how many.
        foreach (var (name, column, mark) in new[]
        {
            ("connections refused", samples.Rejections, Colors.Red), ("invocations throttled", samples.Throttles, Colors.Purple),
        })
        {
            int first = Array.FindIndex(column, v => v > 0);
            if (first < 0)
                continue;
            var begin = p.Add.VerticalLine(xs[first]);
            begin.LinePattern = LinePattern.Dotted;
            begin.Color = mark;
            begin.LineWidth = 2;
            begin.LegendText = $"{name} from here ({column[^1]:N0} by the end)";
            series[name] = column;
        }
        var scripted = run.Notes.Where(n =>
            n.Text.StartsWith("partition:") || n.Text.StartsWith("redeploy:") || n.Text.StartsWith("restart:"));
        foreach (var n in scripted)
        {
            var v = p.Add.VerticalLine(n.T.TotalSeconds / scale);
            v.LinePattern = LinePattern.Dashed;
            v.Color = Colors.DarkRed;
            v.Text = n.Text.Split(':')[0] + (n.Who is "network" or "server" ? "" : $" {n.Who}");
            v.LabelOppositeAxis = true;
        }
        p.Axes.SetLimitsY(0, Math.Max(1, peak) * 1.15);
        p.Axes.SetLimitsX(0, Math.Max(samples.T.DefaultIfEmpty(0).Max(), 1) / scale); // time starts at 0, not in the margin before it
        IntegerTicks(p.Axes.Left);
        IntegerTicks(p.Axes.Right);
        p.Axes.Right.Min = 0;
        p.Axes.Right.Max = Math.Max(1, alive.DefaultIfEmpty(0).Max()) * 1.15;
        p.ShowLegend(Alignment.UpperLeft);
        return new Chart(p, "connections", series);
    }
}
