using ScottPlot;
using Zombiesim.Cli.Runs;
using Zombiesim.Core.Observation;
using static Zombiesim.Cli.Charts.ChartStyle;

namespace Zombiesim.Cli.Charts;

/// <summary>
/// Connections over time, in three panels sharing the time axis, each with its own scale from zero:
/// server sockets stacked by category (with the limits in view and the first refusal), environments
/// alive and frozen, and what went wrong per sample interval (refusals, evictions, failed requests by
/// outcome). Several runs: <see cref="ConnectionsOverlay"/>. Series are the recorded columns; what is
/// drawn is downsampled to the figure's width (<see cref="Downsample"/>).
/// </summary>
public static class ConnectionsChart
{
    private static readonly Dictionary<string, string> Friendly = new()
    {
        ["established-in-use"] = "ESTABLISHED, in use",
        ["established-idle"] = "ESTABLISHED, idle",
        ["zombie"] = "zombie (client frozen or gone)",
    };

    public static readonly float[] Weights = [3f, 1.3f, 1.5f];

    public static Chart Draw(IReadOnlyList<RunData> runs, int width = DefaultWidth)
    {
        double span = runs.Max(r => r.Samples.T.Length == 0 ? 0 : r.Samples.T[^1]);
        var (scale, unit) = TimeUnit(span);
        // The data area is at least half the figure: one downsampling column for each two pixels of the figure.
        int columns = Downsample.Columns(width);
        var (panels, series) = runs.Count > 1 ? ConnectionsOverlay.Draw(runs, scale, unit, columns) : One(runs[0], scale, unit, columns);
        return new Chart(Panels.Stack(panels, Weights, width), "connections", series);
    }

    private static (Plot[] Panels, Dictionary<string, double[]> Series) One(RunData run, double scale, string unit, int columns)
    {
        var series = new Dictionary<string, double[]>();
        var s = run.Samples;
        var layers = Sample.ServerCategories.Where(c => s.Server[c].Any(v => v != 0)).ToList();
        foreach (var c in Sample.ServerCategories)
            series[c] = s.Server[c];
        var total = new double[s.T.Length];
        foreach (var c in layers)
            for (int i = 0; i < total.Length; i++)
                total[i] += s.Server[c][i];
        var alive = s.Alive;
        series["environments alive"] = alive;
        series["environments frozen"] = s.EnvironmentsFrozen;
        var failures = Failures.PerInterval(run);
        foreach (var (name, values) in failures)
            series[name + " (per interval)"] = values;

        var idx = Downsample.Indices(s.T.Length, [total], columns);
        var xs = Downsample.Pick(s.T, idx).Select(t => t / scale).ToArray();
        bool dense = idx.Length < s.T.Length; // several samples a pixel column: steps would add points, not detail
        double end = Math.Max(s.T.DefaultIfEmpty(0).Max(), 1) / scale;

        var sockets = NewPlot($"{run.Name}: server connections over time", "", "server sockets");
        var steps = dense ? xs : Downsample.StepsX(xs);
        var lower = new double[steps.Length];
        foreach (var c in layers)
        {
            var upper = lower.Zip(Steps(Downsample.Pick(s.Server[c], idx)), (a, b) => a + b).ToArray();
            var fill = sockets.Add.FillY(steps, upper, lower);
            fill.FillColor = StateColor(c).WithAlpha(0.85);
            fill.LineWidth = 0;
            fill.LegendText = Friendly.GetValueOrDefault(c, c);
            lower = upper;
        }
        // With several servers, a line for each: its own sockets over the stack of all of them.
        for (int k = 0; k < s.Servers.Count; k++)
        {
            var server = s.Servers[k];
            series[$"server {server.Name}"] = server.Connections;
            var line = sockets.Add.ScatterLine(steps, Steps(Downsample.Pick(server.Connections, idx)));
            line.LegendText = $"{server.Name} sockets";
            line.Color = Distinct.GetColor(k + 2);
            line.LineWidth = 1.5f;
            line.LinePattern = LinePattern.Dashed;
        }
        double peak = total.DefaultIfEmpty(0).Max();
        Limits(run, sockets, peak, series);

        var environments = NewPlot("", "", "environments");
        var (ax, ay) = Downsample.Line(s.T, scale, alive, columns);
        var a = environments.Add.ScatterLine(ax, ay);
        a.LegendText = "alive";
        a.Color = Distinct.GetColor(0);
        a.LineWidth = 2;
        a.ConnectStyle = ConnectStyle.StepHorizontal;
        var (fx, fy) = Downsample.Line(s.T, scale, s.EnvironmentsFrozen, columns);
        var f = environments.Add.ScatterLine(fx, fy);
        f.LegendText = "frozen";
        f.Color = Distinct.GetColor(1);
        f.LinePattern = LinePattern.Dashed;
        f.LineWidth = 2;
        f.ConnectStyle = ConnectStyle.StepHorizontal;

        string per = s.T.Length > 1 ? $"events / {TimeMarks.Number(s.T[1] - s.T[0])} s" : "events / sample";
        var problems = NewPlot("", $"time ({unit})", per);
        int colour = 1;
        foreach (var (name, values) in failures)
        {
            var (lx, ly) = Downsample.Line(s.T, scale, values, columns);
            var line = problems.Add.ScatterLine(lx, ly);
            line.LegendText = name;
            line.Color = LineColor(colour++);
            line.LineWidth = 1.5f;
            line.ConnectStyle = ConnectStyle.StepHorizontal;
        }
        if (failures.Count == 0)
            problems.Legend.ManualItems.Add(new LegendItem { LabelText = "no refusal, eviction or failed request" });
        var panels = new[] { sockets, environments, problems };
        FirstRefusal(run, scale, unit, panels, series);
        TimeMarks.Scripted(run, scale, unit, panels);
        foreach (var (plot, top) in new[]
        {
            (sockets, peak), (environments, alive.DefaultIfEmpty(0).Max()),
            (problems, failures.Select(x => x.PerInterval.Max()).DefaultIfEmpty(0).Max()),
        })
        {
            plot.Axes.SetLimits(0, end, 0, Math.Max(1, top) * 1.1);
            IntegerTicks(plot.Axes.Left);
            LegendOutside(plot);
        }
        return (panels, series);

        double[] Steps(double[] values) => dense ? values : Downsample.StepsY(values);
    }

    /// <summary>The server's limits, each drawn only when in view: a limit far above the counts would flatten them.</summary>
    private static void Limits(RunData run, Plot plot, double peak, Dictionary<string, double[]> series)
    {
        var h = run.Header;
        int style = 0;
        foreach (var (name, limit) in new[] { ("soft limit", h.SoftLimit), ("hard limit", h.HardLimit), ("max clients", h.MaxClients) })
        {
            if (limit is { } l && l <= Math.Max(2 * peak, 10))
            {
                var line = plot.Add.HorizontalLine(l);
                line.LegendText = $"{name} ({l})";
                line.Color = Colors.Black;
                line.LinePattern = style++ == 0 ? LinePattern.Dotted : LinePattern.DenselyDashed;
                series[name] = [l];
            }
        }
    }

    /// <summary>Where refusals and throttles begin (what a user of a pooled fleet looks for), with how many by the end.</summary>
    private static void FirstRefusal(RunData run, double scale, string unit, Plot[] panels, Dictionary<string, double[]> series)
    {
        var s = run.Samples;
        foreach (var (name, column, color, note) in new[]
        {
            ("connections refused", s.Rejections, Colors.Red, "rejects "), ("invocations throttled", s.Throttles, Colors.Purple, null),
        })
        {
            int first = Array.FindIndex(column, v => v > 0);
            if (first < 0)
                continue;
            series[name] = column;
            var exact = note is null ? null
                : run.Notes.FirstOrDefault(n => n.Who == "server" && n.Text.StartsWith(note, StringComparison.Ordinal));
            double at = exact?.T.TotalSeconds ?? s.T[first];
            string why = exact is null ? "" : $",\n{exact.Text[(exact.Text.IndexOf(':') + 1)..].Trim()}";
            TimeMarks.Lines(panels, [at / scale], color, LinePattern.Dotted,
                $"{name}: {column[^1]:N0}, first at {TimeMarks.Number(at / scale)} {unit}{why}");
        }
    }
}
