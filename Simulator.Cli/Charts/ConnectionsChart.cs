using ScottPlot;
using Zombiesim.Cli.Runs;
using Zombiesim.Core.Observation;
using static Zombiesim.Cli.Charts.ChartStyle;

namespace Zombiesim.Cli.Charts;

/// <summary>
/// Connections over time, in three panels sharing the time axis, each with its own scale from zero:
/// server sockets stacked by category (with the limits in view and the first refusal), environments
/// alive and stopped (in the platform's word: frozen, throttled, suspended), and what went wrong per
/// sample interval (refusals, evictions, failed requests by outcome). Several runs: <see cref="ConnectionsOverlay"/>.
/// Series are the recorded columns; what is drawn is downsampled to the figure's width (<see cref="Downsample"/>).
/// </summary>
public static class ConnectionsChart
{
    /// <summary>A server category's legend, the zombie's in the platform's word for a stopped client.</summary>
    private static string Friendly(string category, string stopped) => category switch
    {
        "established-in-use" => "ESTABLISHED, in use",
        "established-idle" => "ESTABLISHED, idle",
        "zombie" => $"zombie (client {stopped} or gone)",
        _ => category,
    };

    public static readonly float[] Weights = [3f, 1.3f, 1.5f];

    public static Chart Draw(IReadOnlyList<RunData> runs, int width = DefaultWidth)
    {
        double span = runs.Max(r => r.Samples.T.Length == 0 ? 0 : r.Samples.T[^1]);
        var (scale, unit) = TimeUnit(span);
        // The data area is at least half the figure: one downsampling column for each two pixels of the figure.
        int columns = Downsample.Columns(width);
        if (runs.Count > 1)
        {
            var (overlay, overlaid) = ConnectionsOverlay.Draw(runs, scale, unit, columns, width);
            return new Chart(Panels.Stack(overlay, ConnectionsOverlay.Weights, width), "connections", overlaid);
        }
        var (panels, series) = One(runs[0], scale, unit, columns);
        float[] weights = panels.Length > Weights.Length ? [Weights[0], ServersPanel.Weight, .. Weights[1..]] : Weights;
        return new Chart(Panels.Stack(panels, weights, width), "connections", series);
    }

    private static (Plot[] Panels, Dictionary<string, double[]> Series) One(RunData run, double scale, string unit, int columns)
    {
        var series = new Dictionary<string, double[]>();
        var s = run.Samples;
        string stopped = StoppedWords.Of(run);
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
            fill.LegendText = Friendly(c, stopped);
            lower = upper;
        }
        double peak = total.DefaultIfEmpty(0).Max();
        double socketsTop = Math.Max(peak, Limits(run, sockets, peak, series)); // a limit drawn is a limit in view

        var environments = NewPlot("", "", "environments");
        var (ax, ay) = Downsample.Line(s.T, scale, alive, columns);
        var a = environments.Add.ScatterLine(ax, ay);
        a.LegendText = "alive";
        a.Color = Distinct.GetColor(0);
        a.LineWidth = 2;
        a.ConnectStyle = ConnectStyle.StepHorizontal;
        var (fx, fy) = Downsample.Line(s.T, scale, s.EnvironmentsFrozen, columns);
        var f = environments.Add.ScatterLine(fx, fy);
        f.LegendText = stopped;
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
            // Equal counts (refusals and the requests they reject) coincide: each later line thinner and dashed in turn.
            (line.LineWidth, line.LinePattern) = RunLine(colour - 1, failures.Count);
            line.Color = LineColor(colour++);
            line.ConnectStyle = ConnectStyle.StepHorizontal;
        }
        if (failures.Count == 0)
            problems.Legend.ManualItems.Add(new LegendItem { LabelText = "no refusal, eviction or failed request" });
        var servers = ServersPanel.Draw(run, scale, columns, end, series);
        var panels = servers is null ? new[] { sockets, environments, problems } : new[] { sockets, servers, environments, problems };
        FirstRefusal(run, scale, unit, panels, series);
        TimeMarks.Scripted(run, scale, unit, panels);
        foreach (var (plot, top) in new[]
        {
            (sockets, socketsTop), (environments, alive.DefaultIfEmpty(0).Max()),
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

    /// <summary>The server's limits, each drawn only when near the counts (a limit far above them would flatten them);
    /// returns the highest drawn (0 when none), which the axis must show.</summary>
    private static double Limits(RunData run, Plot plot, double peak, Dictionary<string, double[]> series)
    {
        var h = run.Header;
        int style = 0;
        double highest = 0;
        foreach (var (name, limit) in new[] { ("soft limit", h.SoftLimit), ("hard limit", h.HardLimit), ("max clients", h.MaxClients) })
        {
            if (limit is { } l && l <= Math.Max(2 * peak, 10))
            {
                var line = plot.Add.HorizontalLine(l);
                line.LegendText = $"{name} ({l})";
                line.Color = Colors.Black;
                line.LinePattern = style++ == 0 ? LinePattern.Dotted : LinePattern.DenselyDashed;
                series[name] = [l];
                highest = Math.Max(highest, l);
            }
        }
        return highest;
    }

    /// <summary>Where refusals and throttles begin (what a user of a pooled fleet looks for), with how many by the end.</summary>
    private static void FirstRefusal(RunData run, double scale, string unit, Plot[] panels, Dictionary<string, double[]> series)
    {
        var s = run.Samples;
        foreach (var (name, column, color, note) in new[]
        {
            ("connections refused", s.Rejections, TimeMarks.Refusal, (NoteKind?)NoteKind.Refusal),
            ("invocations refused (THROTTLED)", s.Throttles, TimeMarks.Throttle, null),
        })
        {
            int first = Array.FindIndex(column, v => v > 0);
            if (first < 0)
                continue;
            series[name] = column;
            var exact = note is null ? null
                : run.Notes.FirstOrDefault(n => n.Kind == note);
            double at = exact?.T.TotalSeconds ?? s.T[first];
            string why = exact is null ? "" : $",\n{exact.Text[(exact.Text.IndexOf(':') + 1)..].Trim()}";
            // Solid: the limits are dotted and dashed, and their legend swatches must not pass for this one.
            TimeMarks.Lines(panels, [at / scale], color, LinePattern.Solid,
                $"{name}: {column[^1]:N0}, first at {TimeMarks.Number(at / scale)} {unit}{why}");
        }
    }
}
