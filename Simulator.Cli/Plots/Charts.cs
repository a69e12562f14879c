using System.Globalization;
using System.Text.Json.Nodes;
using ScottPlot;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Cli.Plots;

/// <summary>A chart and the series it was drawn from (what tests check: the data, not the pixels).</summary>
public sealed record Chart(Plot Plot, string Name, IReadOnlyDictionary<string, double[]> Series);

/// <summary>
/// The charts: connection counts over time, a few connections' lifecycles, search results and
/// latency distributions. Readable by default: title, axis labels with units, legend, a time axis
/// in s, min or h as fits, a colour-blind-safe palette (Wong), and a shipped font.
/// </summary>
public static class Charts
{
    private static readonly object FontGate = new();
    private static bool _fontLoaded;
    private const string FontName = "DejaVu Sans";
    private static readonly IPalette Palette = new ScottPlot.Palettes.ColorblindFriendly();

    private static readonly Dictionary<string, string> Friendly = new()
    {
        ["established-in-use"] = "ESTABLISHED, in use",
        ["established-idle"] = "ESTABLISHED, idle",
        ["zombie"] = "zombie (client frozen or gone)",
    };

    public static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        lock (FontGate)
        {
            if (!_fontLoaded)
            {
                Fonts.AddFontFile(FontName, Path.Combine(AppContext.BaseDirectory, "Assets", "DejaVuSans.ttf"), false, false);
                Fonts.Default = FontName;
                _fontLoaded = true;
            }
        }
        var plt = new Plot();
        plt.Font.Set(FontName);
        plt.Add.Palette = Palette;
        plt.Title(title);
        plt.XLabel(xLabel);
        plt.YLabel(yLabel);
        return plt;
    }

    /// <summary>Seconds, minutes or hours, whichever reads best for a span.</summary>
    public static (double Scale, string Unit) TimeUnit(double spanSeconds) =>
        spanSeconds <= 600 ? (1, "s") : spanSeconds <= 3 * 3600 ? (60, "min") : (3600, "h");

    /// <summary>Writes PNG and/or SVG next to <paramref name="pathWithoutExtension"/>; returns the files.</summary>
    public static IReadOnlyList<string> Save(Chart chart, string pathWithoutExtension, string format, int width, int height)
    {
        var files = new List<string>();
        if (format is "png" or "both")
        {
            chart.Plot.SavePng(pathWithoutExtension + ".png", width, height);
            files.Add(pathWithoutExtension + ".png");
        }
        if (format is "svg" or "both")
        {
            chart.Plot.SaveSvg(pathWithoutExtension + ".svg", width, height);
            files.Add(pathWithoutExtension + ".svg");
        }
        return files;
    }

    // ---------------------------------------------------------------- connections over time

    /// <summary>One run: server sockets stacked by category, environments on the right axis, limits
    /// and lifecycle events. Several runs: each run's server connections and zombies, overlaid.</summary>
    public static Chart Connections(IReadOnlyList<RunData> runs)
    {
        double span = runs.Max(r => r.T.Length == 0 ? 0 : r.T[^1]);
        var (scale, unit) = TimeUnit(span);
        var series = new Dictionary<string, double[]>();
        if (runs.Count > 1)
        {
            var plt = NewPlot("Server connections over time", $"time ({unit})", "server sockets");
            foreach (var r in runs)
            {
                var x = r.T.Select(t => t / scale).ToArray();
                var total = Enumerable.Range(0, r.T.Length).Select(i => Sample.ServerCategories.Sum(c => r.Server[c][i])).ToArray();
                var line = plt.Add.ScatterLine(x, total);
                line.LegendText = $"{r.Name}: all server sockets";
                line.LineWidth = 2;
                var z = plt.Add.ScatterLine(x, r.Server["zombie"]);
                z.LegendText = $"{r.Name}: zombies";
                z.LinePattern = LinePattern.Dashed;
                z.Color = line.Color;
                series[$"{r.Name}: all server sockets"] = total;
                series[$"{r.Name}: zombies"] = r.Server["zombie"];
            }
            IntegerTicks(plt.Axes.Left);
            plt.ShowLegend(Alignment.UpperRight);
            return new Chart(plt, "connections", series);
        }

        var run = runs[0];
        var xs = run.T.Select(t => t / scale).ToArray();
        var p = NewPlot($"{run.Name}: server connections over time", $"time ({unit})", "server sockets");
        var lower = new double[xs.Length];
        int colour = 0;
        double peak = 0;
        foreach (var c in Sample.ServerCategories)
        {
            var values = run.Server[c];
            series[c] = values;
            if (values.All(v => v == 0))
            {
                colour++;
                continue;
            }
            var upper = lower.Zip(values, (a, b) => a + b).ToArray();
            var fill = p.Add.FillY(xs, upper, lower);
            fill.FillColor = Palette.GetColor(colour++).WithAlpha(0.75);
            fill.LineWidth = 0;
            fill.LegendText = Friendly.GetValueOrDefault(c, c);
            lower = upper;
            peak = Math.Max(peak, upper.DefaultIfEmpty(0).Max());
        }
        var alive = run.Alive;
        series["environments alive"] = alive;
        series["environments frozen"] = run.EnvironmentsFrozen;
        var a = p.Add.ScatterLine(xs, alive);
        a.LegendText = "environments alive (right axis)";
        a.Color = Colors.Black;
        a.LineWidth = 1.5f;
        a.Axes.YAxis = p.Axes.Right;
        var f = p.Add.ScatterLine(xs, run.EnvironmentsFrozen);
        f.LegendText = "environments frozen (right axis)";
        f.Color = Colors.Gray;
        f.LinePattern = LinePattern.Dashed;
        f.Axes.YAxis = p.Axes.Right;
        p.Axes.Right.Label.Text = "environments";

        foreach (var (name, limit) in new[] { ("soft limit", run.SoftLimit), ("hard limit", run.HardLimit), ("max clients", run.MaxClients) })
        {
            // A limit far above the counts would flatten them: drawn only when it is in view.
            if (limit is { } l && l <= Math.Max(2 * peak, 10))
            {
                var h = p.Add.HorizontalLine(l);
                h.LegendText = $"{name} ({l})";
                h.LinePattern = LinePattern.Dotted;
                series[name] = [l];
            }
        }
        foreach (var (t, who, text) in run.Notes.Where(n => n.Text.StartsWith("partition:") || n.Text.StartsWith("redeploy:") || n.Text.StartsWith("restart:")))
        {
            var v = p.Add.VerticalLine(t / scale);
            v.LinePattern = LinePattern.Dashed;
            v.Color = Colors.DarkRed;
            v.Text = text.Split(':')[0] + (who is "network" or "server" ? "" : $" {who}");
            v.LabelOppositeAxis = true;
        }
        p.Axes.SetLimitsY(0, Math.Max(1, peak) * 1.15);
        IntegerTicks(p.Axes.Left);
        IntegerTicks(p.Axes.Right);
        p.Axes.Right.Min = 0;
        p.Axes.Right.Max = Math.Max(1, alive.DefaultIfEmpty(0).Max()) * 1.15;
        p.ShowLegend(Alignment.UpperLeft);
        return new Chart(p, "connections", series);
    }

    // ---------------------------------------------------------------- lifecycle lanes

    /// <summary>One colour per lane state, none shared: the environment's states in greys, the
    /// sockets' in the palette (the two opening states share one).</summary>
    private static Color StateColor(string state) => state switch
    {
        "running" => Colors.DimGray,
        "frozen" => Colors.LightSteelBlue,
        "SYN_SENT" or "SYN_RECEIVED" => Palette.GetColor(0),
        "ESTABLISHED" => Palette.GetColor(1),
        "FIN_WAIT_1" => Palette.GetColor(2),
        "FIN_WAIT_2" => Palette.GetColor(3),
        "CLOSE_WAIT" => Palette.GetColor(4),
        "CLOSING" => Palette.GetColor(5),
        "LAST_ACK" => Palette.GetColor(6),
        _ => Palette.GetColor(7), // TIME_WAIT
    };

    /// <summary>Whole numbers only on a count axis.</summary>
    private static void IntegerTicks(IAxis axis) =>
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };

    /// <summary>
    /// A few connections' lives, three lanes each: the client's environment (running or frozen),
    /// the client's socket and the server's socket, with requests (ok, error), FIN and RST marked.
    /// </summary>
    public static Chart Lifecycle(RunData run, int connections = 3)
    {
        var labels = run.Transitions.Where(t => t.Host != "server" && t.Connection.StartsWith('c')).Select(t => t.Connection).Distinct().Take(connections).ToList();
        double end = run.T.Length == 0 ? 1 : run.T[^1];
        var (scale, unit) = TimeUnit(end);
        var p = NewPlot($"{run.Name}: connection lifecycles", $"time ({unit})", "");
        var series = new Dictionary<string, double[]>();
        var legendShown = new HashSet<string>();
        var ticks = new List<Tick>();
        double lane = 4 * (labels.Count - 1); // the first connection on top
        foreach (var label in labels)
        {
            string env = run.Transitions.First(t => t.Connection == label && t.Host != "server").Host;
            // Environment lane: running from cold start or thaw, frozen from the freeze, until destroyed.
            var envSegments = new List<(double From, double To, string State)>();
            double? runningSince = null, frozenSince = null;
            foreach (var l in run.Lifecycle.Where(l => l.Environment == env))
            {
                switch (l.Event)
                {
                    case "cold-start" or "thawed":
                        if (frozenSince is { } fs) envSegments.Add((fs, l.T, "frozen"));
                        frozenSince = null;
                        runningSince = l.T;
                        break;
                    case "frozen":
                        if (runningSince is { } rs) envSegments.Add((rs, l.T, "running"));
                        runningSince = null;
                        frozenSince = l.T;
                        break;
                    case "destroyed":
                        if (runningSince is { } r2) envSegments.Add((r2, l.T, "running"));
                        if (frozenSince is { } f2) envSegments.Add((f2, l.T, "frozen"));
                        runningSince = frozenSince = null;
                        break;
                }
            }
            if (runningSince is { } r3) envSegments.Add((r3, end, "running"));
            if (frozenSince is { } f3) envSegments.Add((f3, end, "frozen"));

            double envLane = lane + 2, clientLane = lane + 1, serverLane = lane;
            Draw(envSegments, envLane);
            Draw(Segments(run, label, server: false, end), clientLane);
            Draw(Segments(run, label, server: true, end), serverLane);
            ticks.Add(new Tick(envLane, $"{label} {env}"));
            ticks.Add(new Tick(clientLane, $"{label} client"));
            ticks.Add(new Tick(serverLane, $"{label} server"));
            series[$"{label} environment"] = envSegments.SelectMany(s => new[] { s.From, s.To }).ToArray();
            series[$"{label} client"] = Segments(run, label, false, end).SelectMany(s => new[] { s.From, s.To }).ToArray();
            series[$"{label} server"] = Segments(run, label, true, end).SelectMany(s => new[] { s.From, s.To }).ToArray();

            foreach (var r in run.Requests.Where(r => r.Connection == label))
                Mark(r.T, envLane, r.Outcome == "ok" ? "request ok" : "request failed");
            foreach (var t in run.Transitions.Where(t => t.Connection == label))
            {
                double y = t.Host == "server" ? serverLane : clientLane;
                if (t.Cause is "rcv-fin" or "close" && t.To is not "CLOSED")
                    Mark(t.T, y, t.Cause == "close" ? "FIN sent" : "FIN received");
                if (t.Cause is "rcv-rst" or "rcv-data-after-close" or "abort")
                    Mark(t.T, y, "RST");
            }
            lane -= 4;
        }
        p.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        p.Axes.SetLimits(0, end / scale, -0.8, Math.Max(4 * labels.Count - 1.2, 1));
        p.ShowLegend(Edge.Right);
        return new Chart(p, "lifecycle", series);

        void Draw(IEnumerable<(double From, double To, string State)> segments, double y)
        {
            foreach (var (from, to, state) in segments)
            {
                var rect = p.Add.Rectangle(from / scale, Math.Max(to, from + end * 1e-4) / scale, y - 0.35, y + 0.35);
                rect.FillColor = StateColor(state).WithAlpha(0.85);
                rect.LineWidth = 0;
                if (legendShown.Add(state))
                    rect.LegendText = state;
            }
        }

        void Mark(double t, double y, string kind)
        {
            var m = p.Add.Marker(t / scale, y);
            (m.MarkerShape, m.Color) = kind switch
            {
                "request ok" => (MarkerShape.FilledCircle, Colors.DarkGreen),
                "request failed" => (MarkerShape.Eks, Colors.Red),
                "RST" => (MarkerShape.FilledSquare, Colors.Black),
                "FIN received" => (MarkerShape.FilledTriangleUp, Colors.DarkBlue),
                _ => (MarkerShape.FilledTriangleDown, Colors.DarkBlue),
            };
            m.MarkerSize = 11;
            if (legendShown.Add(kind))
                m.LegendText = kind;
        }
    }

    private static List<(double From, double To, string State)> Segments(RunData run, string label, bool server, double end)
    {
        var list = new List<(double, double, string)>();
        double? since = null;
        string? state = null;
        foreach (var t in run.Transitions.Where(t => t.Connection == label && (t.Host == "server") == server))
        {
            if (state is not null && since is { } s && state is not ("CLOSED" or "LISTEN"))
                list.Add((s, t.T, state));
            state = t.To;
            since = t.T;
        }
        if (state is not null && since is { } last && state is not ("CLOSED" or "LISTEN"))
            list.Add((last, end, state));
        return list;
    }

    // ---------------------------------------------------------------- latency

    /// <summary>The distribution (ECDF) of successful requests' latency per function, per run.</summary>
    public static Chart Latency(IReadOnlyList<RunData> runs)
    {
        var ok = runs.SelectMany(r => r.Requests).Where(r => r.Outcome == "ok" && r.LatencyMs > 0).Select(r => r.LatencyMs).ToList();
        // Cold starts put a tail 100 times above the body: then the axis is logarithmic.
        bool log = ok.Count > 0 && ok.Max() / ok.Min() > 50;
        var p = NewPlot("Latency of successful requests", log ? "latency (ms, log scale)" : "latency (ms)", "share of requests at or below");
        if (log)
        {
            p.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                IntegerTicksOnly = true,
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                LabelFormatter = v => Math.Pow(10, v).ToString("0.###", CultureInfo.InvariantCulture),
            };
        }
        var series = new Dictionary<string, double[]>();
        foreach (var run in runs)
        {
            foreach (var g in run.Requests.Where(r => r.Outcome == "ok").GroupBy(r => r.Function).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var sorted = g.Select(r => r.LatencyMs).Order().ToArray();
                var ys = Enumerable.Range(1, sorted.Length).Select(i => (double)i / sorted.Length).ToArray();
                string strategy = run.Strategies.GetValueOrDefault(g.Key, "?");
                string name = $"{(runs.Count > 1 ? run.Name + ": " : "")}{g.Key} ({strategy})";
                var xs = log ? sorted.Select(v => Math.Log10(Math.Max(v, 1e-6))).ToArray() : sorted;
                var line = p.Add.ScatterLine(xs, ys);
                line.ConnectStyle = ConnectStyle.StepHorizontal;
                line.LineWidth = 2;
                line.LegendText = $"{name}: p50 {Quantile(sorted, 0.5).ToString("0.###", CultureInfo.InvariantCulture)} ms, p99 {Quantile(sorted, 0.99).ToString("0.###", CultureInfo.InvariantCulture)} ms";
                series[name] = sorted;
            }
        }
        p.Axes.SetLimitsY(0, 1.05);
        p.ShowLegend(Alignment.LowerRight);
        return new Chart(p, "latency", series);
    }

    private static double Quantile(double[] sorted, double q) => sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    // ---------------------------------------------------------------- search

    /// <summary>One parameter: failure rate with its interval band against the parameter, the
    /// objective's metric on the right axis, the recommendation marked. Two: a heatmap of the
    /// failure rate.</summary>
    public static Chart Search(JsonObject search)
    {
        var vary = search["vary"]!.AsArray().Select(v => v!["path"]!.GetValue<string>()).ToList();
        var points = search["points"]!.AsArray().Select(p => p!.AsObject()).ToList();
        string name = search["scenario"]!.GetValue<string>();
        var series = new Dictionary<string, double[]>();
        if (vary.Count == 2)
        {
            var xs = points.Select(p => p["values"]![vary[0]]!.GetValue<string>()).Distinct().ToList();
            var ys = points.Select(p => p["values"]![vary[1]]!.GetValue<string>()).Distinct().ToList();
            var grid = new double[ys.Count, xs.Count];
            for (int i = 0; i < ys.Count; i++)
                for (int j = 0; j < xs.Count; j++)
                    grid[ys.Count - 1 - i, j] = double.NaN;
            foreach (var pt in points)
            {
                int j = xs.IndexOf(pt["values"]![vary[0]]!.GetValue<string>()), i = ys.IndexOf(pt["values"]![vary[1]]!.GetValue<string>());
                grid[ys.Count - 1 - i, j] = 100 * pt["failureRate"]!.GetValue<double>();
            }
            var hp = NewPlot($"{name}: failure rate (%)", vary[0], vary[1]);
            var hm = hp.Add.Heatmap(grid);
            hm.Colormap = new ScottPlot.Colormaps.Viridis();
            var bar = hp.Add.ColorBar(hm);
            bar.Label = "failure rate (%)";
            hp.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xs.Select((x, k) => new Tick(k, x)).ToArray());
            hp.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ys.Select((y, k) => new Tick(k, y)).ToArray());
            series["failure rate (%)"] = points.Select(pt => 100 * pt["failureRate"]!.GetValue<double>()).ToArray();
            return new Chart(hp, "search", series);
        }

        string path = vary[0];
        var labels = points.Select(pt => pt["values"]![path]!.GetValue<string>()).ToList();
        bool durations = labels.All(l => Zombiesim.Core.Scenarios.DurationText.TryParse(l, out _, out _));
        var x = labels.Select(l => durations && Zombiesim.Core.Scenarios.DurationText.TryParse(l, out var d, out _) ? d.TotalSeconds
            : double.Parse(l, CultureInfo.InvariantCulture)).ToArray();
        var rate = points.Select(pt => 100 * pt["failureRate"]!.GetValue<double>()).ToArray();
        var low = points.Select(pt => 100 * pt["low"]!.GetValue<double>()).ToArray();
        var high = points.Select(pt => 100 * pt["high"]!.GetValue<double>()).ToArray();
        series["failure rate (%)"] = rate;
        series["interval low (%)"] = low;
        series["interval high (%)"] = high;
        var plt = NewPlot($"{name}: failure rate against {path}", $"{path}{(durations ? " (s)" : "")}", "runs failing (%)");
        var band = plt.Add.FillY(x, high, low);
        band.FillColor = Palette.GetColor(0).WithAlpha(0.25);
        band.LineWidth = 0;
        band.LegendText = $"{100 * (search["confidence"]?.GetValue<double>() ?? 0.95):0}% interval";
        var line = plt.Add.Scatter(x, rate);
        line.Color = Palette.GetColor(0);
        line.LineWidth = 2;
        line.LegendText = "failure rate";
        string objective = search["objective"]!.GetValue<string>();
        string metric = objective.Split(' ').Last();
        if (metric != path && points.All(pt => pt["metrics"]?[metric] is not null))
        {
            var cost = points.Select(pt => pt["metrics"]![metric]!.GetValue<double>()).ToArray();
            series[metric] = cost;
            var c = plt.Add.Scatter(x, cost);
            c.Color = Palette.GetColor(1);
            c.LinePattern = LinePattern.Dashed;
            c.LegendText = $"{metric} (right axis)";
            c.Axes.YAxis = plt.Axes.Right;
            plt.Axes.Right.Label.Text = metric;
        }
        if (search["recommendation"]?["values"]?[path]?.GetValue<string>() is { } recommended)
        {
            double rx = x[labels.IndexOf(recommended)];
            var v = plt.Add.VerticalLine(rx);
            v.Color = Colors.DarkGreen;
            v.LineWidth = 2;
            v.LegendText = $"recommended: {recommended}";
            series["recommended"] = [rx];
        }
        if (search["boundary"]?[path]?.GetValue<string>() is { } boundary)
        {
            var b = plt.Add.VerticalLine(x[labels.IndexOf(boundary)]);
            b.Color = Colors.DarkOrange;
            b.LinePattern = LinePattern.Dashed;
            b.LegendText = $"boundary: {boundary}";
        }
        plt.Axes.SetLimitsY(0, Math.Max(5, high.DefaultIfEmpty(0).Max() * 1.1));
        plt.ShowLegend(Alignment.UpperRight);
        return new Chart(plt, "search", series);
    }
}
