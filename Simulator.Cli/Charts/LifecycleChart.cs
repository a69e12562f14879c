using ScottPlot;
using Zombiesim.Cli.Runs;
using Zombiesim.Tcp;
using static Zombiesim.Cli.Charts.ChartStyle;

namespace Zombiesim.Cli.Charts;

/// <summary>
/// A few connections' lives (<see cref="LifecycleChoice"/>: the first failure of each kind, then the first
/// connections), three lanes each: the client's environment, the client's socket and the server's socket
/// (<see cref="LifecycleLanes"/>), with requests (ok, failed: when they ended), FIN, RST and timeouts marked. Connections close in
/// time share a panel whose time axis fits them; each panel's title names its connections, why each is shown, and
/// the part of the run it shows. One legend for the figure, beside the panels.
/// </summary>
public static class LifecycleChart
{
    public static Chart Draw(RunData run, int connections = ChartRecorder.Connections, int width = DefaultWidth)
    {
        double end = run.Samples.T.Length == 0 ? 1 : run.Samples.T[^1];
        var shown = LifecycleChoice.Connections(run, connections);
        var windows = LifecycleChoice.Windows(shown, end);
        var series = new Dictionary<string, double[]>();
        var legend = new Dictionary<string, LegendItem>(StringComparer.Ordinal);
        var plots = new List<Plot>();
        int longest = 0; // characters of the longest lane label
        for (int i = 0; i < windows.Count; i++)
        {
            string title = (i == 0 ? $"{run.Name}: connection lifecycles\n" : "") + Describe(windows[i], end);
            plots.Add(Panel(run, windows[i], end, title, series, legend, ref longest));
        }
        if (plots.Count == 0)
        {
            var empty = NewPlot($"{run.Name}: connection lifecycles", "time (s)", "");
            empty.Add.Annotation("no client connection in this run's records", Alignment.MiddleCenter);
            empty.Axes.SetLimits(0, end, 0, 1);
            plots.Add(empty);
        }
        // Heights in proportion to lanes, plus room for each panel's title and time axis.
        var weights = windows.Select(w => w.Connections.Count + 0.8f).DefaultIfEmpty(1f).ToList();
        return new Chart(Panels.WithLegend(plots, weights, legend.Values.ToList(), width, 7 * longest + 25), "lifecycle", series);
    }

    /// <summary>"c1, first EOF (fin); c2: 0 to 7.5 min of 2 h", or "...: the whole run" when the panel shows it all.</summary>
    public static string Describe(LifecycleChoice.Window w, double end)
    {
        string who = string.Join("; ", w.Connections.Select(c => c.Why is null ? c.Label : $"{c.Label}, {c.Why}"));
        var (scale, unit) = TimeUnit(w.To - w.From);
        if (w.From <= 0 && w.To >= end)
            return $"{who}: the whole run";
        var (runScale, runUnit) = TimeUnit(end);
        return $"{who}: {Short(w.From / scale)} to {Short(w.To / scale)} {unit} of {Short(end / runScale)} {runUnit}";

        // Three significant digits at most: a panel's bounds, not a measurement.
        static string Short(double v) =>
            v.ToString(v >= 100 ? "0" : v >= 10 ? "0.#" : "0.##", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static Plot Panel(RunData run, LifecycleChoice.Window w, double end, string title, Dictionary<string, double[]> series,
        Dictionary<string, LegendItem> legend, ref int longest)
    {
        var (scale, unit) = TimeUnit(w.To - w.From);
        var p = NewPlot(title, $"time ({unit})", "");
        var ticks = new List<Tick>();
        double lane = 4 * (w.Connections.Count - 1); // the first connection on top
        foreach (var c in w.Connections)
        {
            var (env, serverHost) = LifecycleLanes.Ends(run, c.Label); // the client: an environment, or a pooler
            var envSegments = LifecycleLanes.Environment(run.Lifecycle.Where(l => l.Environment == env), end);
            var client = LifecycleLanes.Socket(run, c.Label, env, end);
            var server = LifecycleLanes.Socket(run, c.Label, serverHost, end);
            double envLane = lane + 2, clientLane = lane + 1, serverLane = lane;
            DrawLane(envSegments, envLane);
            DrawLane(client, clientLane);
            DrawLane(server, serverLane);
            ticks.Add(new Tick(envLane, $"{c.Label} {env}"));
            ticks.Add(new Tick(clientLane, $"{c.Label} client"));
            ticks.Add(new Tick(serverLane, serverHost is null or "server" ? $"{c.Label} server" : $"{c.Label} server ({serverHost})"));
            series[$"{c.Label} environment"] = envSegments.SelectMany(s => new[] { s.From, s.To }).ToArray();
            series[$"{c.Label} client"] = client.SelectMany(s => new[] { s.From, s.To }).ToArray();
            series[$"{c.Label} server"] = server.SelectMany(s => new[] { s.From, s.To }).ToArray();
            series[$"{c.Label} window"] = [w.From, w.To];

            foreach (var r in run.Requests.Where(r => r.Connection == c.Label))
                Mark(r.End, envLane, r.Ok ? "request ok" : "request failed"); // when it answered or failed, as the chart of failures
            foreach (var t in run.Transitions.Where(t => t.Connection == c.Label))
            {
                double y = t.Host == env ? clientLane : serverLane;
                if (t.Cause is TcpCause.RcvFin or TcpCause.Close && t.To != TcpState.Closed)
                    Mark(t.T, y, t.Cause == TcpCause.Close ? "FIN sent" : "FIN received");
                if (t.Cause is TcpCause.RcvRst or TcpCause.RcvDataAfterClose or TcpCause.Abort)
                    Mark(t.T, y, "RST");
                if (t.Cause is TcpCause.RetransmitTimeout or TcpCause.SynTimeout or TcpCause.SynAckTimeout or TcpCause.KeepaliveTimeout
                    or TcpCause.UserTimeout or TcpCause.OrphanRetriesExhausted)
                    Mark(t.T, y, "timed out (TCP timer)");
                if (t.Cause is TcpCause.HostDestroyed or TcpCause.HostRebooted)
                    Mark(t.T, y, "gone with its host");
            }
            lane -= 4;
        }
        p.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        longest = Math.Max(longest, ticks.Max(t => t.Label.Length));
        p.Axes.SetLimits(w.From / scale, w.To / scale, -0.8, Math.Max(4 * w.Connections.Count - 1.2, 1));
        p.HideLegend(); // the figure's one legend, beside the panels, names what every panel draws
        return p;

        void DrawLane(IEnumerable<LifecycleLanes.Segment> segments, double y)
        {
            foreach (var s in segments.Where(s => s.To >= w.From && s.From <= w.To))
            {
                // At least a thousandth of the panel wide: a state of a millisecond stays visible.
                var rect = p.Add.Rectangle(s.From / scale, Math.Max(s.To, s.From + (w.To - w.From) * 1e-3) / scale, y - 0.35, y + 0.35);
                rect.FillColor = s.Hatch is null ? s.Color.WithAlpha(0.85) : Colors.White;
                if (s.Hatch is { } hatch)
                {
                    rect.FillStyle.Hatch = hatch;
                    rect.FillStyle.HatchColor = s.Color;
                }
                rect.LineWidth = s.Hatch is null ? 0 : 1;
                rect.LineColor = s.Color;
                if (!legend.ContainsKey(s.Legend))
                    legend[s.Legend] = new LegendItem
                    {
                        LabelText = s.Legend, FillColor = rect.FillColor, FillHatch = s.Hatch, FillHatchColor = s.Color,
                        OutlineColor = s.Color, OutlineWidth = rect.LineWidth,
                    };
            }
        }

        void Mark(TimeSpan t, double y, string kind)
        {
            double at = t.TotalSeconds;
            if (at < w.From || at > w.To)
                return;
            var m = p.Add.Marker(at / scale, y);
            (m.MarkerShape, m.Color) = kind switch
            {
                "request ok" => (MarkerShape.FilledCircle, Colors.DarkGreen),
                "request failed" => (MarkerShape.Eks, Colors.Red),
                "RST" => (MarkerShape.FilledSquare, Colors.Black),
                "FIN received" => (MarkerShape.FilledTriangleUp, Colors.DarkBlue),
                "FIN sent" => (MarkerShape.FilledTriangleDown, Colors.DarkBlue),
                "gone with its host" => (MarkerShape.Cross, Colors.Black),
                _ => (MarkerShape.OpenDiamond, Colors.Black),
            };
            m.MarkerSize = 11;
            m.MarkerLineWidth = 2;
            if (!legend.ContainsKey(kind))
                legend[kind] = new LegendItem
                {
                    LabelText = kind, MarkerShape = m.MarkerShape, MarkerFillColor = m.Color, MarkerLineColor = m.Color, MarkerSize = 11,
                    MarkerLineWidth = 2,
                };
        }
    }
}
