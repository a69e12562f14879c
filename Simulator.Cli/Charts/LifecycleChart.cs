using ScottPlot;
using Zombiesim.Cli.Runs;
using Zombiesim.Core.Observation;
using Zombiesim.Tcp;
using static Zombiesim.Cli.Charts.ChartStyle;

namespace Zombiesim.Cli.Charts;

/// <summary>
/// A few connections' lives, three lanes each: the client's environment (running or frozen, from
/// its lifecycle records), the client's socket and the server's socket (from their transitions),
/// with requests (ok, error), FIN and RST marked.
/// </summary>
public static class LifecycleChart
{
    private enum Lane { Running, Frozen, Throttled, Suspended, Snapshotted, ShuttingDown }

    private readonly record struct Segment(double From, double To, string State, Color Color);

    public static Chart Draw(RunData run, int connections = 3)
    {
        var labels = run.Transitions.Where(t => t.Host != "server" && t.Connection.StartsWith('c')).Select(t => t.Connection).Distinct()
            .Take(connections).ToList();
        double end = run.Samples.T.Length == 0 ? 1 : run.Samples.T[^1];
        var (scale, unit) = TimeUnit(end);
        var p = NewPlot($"{run.Name}: connection lifecycles", $"time ({unit})", "");
        var series = new Dictionary<string, double[]>();
        var legendShown = new HashSet<string>();
        var ticks = new List<Tick>();
        double lane = 4 * (labels.Count - 1); // the first connection on top
        foreach (var label in labels)
        {
            string env = run.Transitions.First(t => t.Connection == label && t.Host != "server").Host;
            var envSegments = EnvironmentSegments(run.Lifecycle.Where(l => l.Environment == env), end);
            var client = SocketSegments(run, label, server: false, end);
            var server = SocketSegments(run, label, server: true, end);

            double envLane = lane + 2, clientLane = lane + 1, serverLane = lane;
            DrawLane(envSegments, envLane);
            DrawLane(client, clientLane);
            DrawLane(server, serverLane);
            ticks.Add(new Tick(envLane, $"{label} {env}"));
            ticks.Add(new Tick(clientLane, $"{label} client"));
            ticks.Add(new Tick(serverLane, $"{label} server"));
            series[$"{label} environment"] = envSegments.SelectMany(s => new[] { s.From, s.To }).ToArray();
            series[$"{label} client"] = client.SelectMany(s => new[] { s.From, s.To }).ToArray();
            series[$"{label} server"] = server.SelectMany(s => new[] { s.From, s.To }).ToArray();

            foreach (var r in run.Requests.Where(r => r.Connection == label))
                Mark(r.T, envLane, r.Ok ? "request ok" : "request failed");
            foreach (var t in run.Transitions.Where(t => t.Connection == label))
            {
                double y = t.Host == "server" ? serverLane : clientLane;
                if (t.Cause is TcpCause.RcvFin or TcpCause.Close && t.To != TcpState.Closed)
                    Mark(t.T, y, t.Cause == TcpCause.Close ? "FIN sent" : "FIN received");
                if (t.Cause is TcpCause.RcvRst or TcpCause.RcvDataAfterClose or TcpCause.Abort)
                    Mark(t.T, y, "RST");
            }
            lane -= 4;
        }
        p.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks.ToArray());
        p.Axes.SetLimits(0, end / scale, -0.8, Math.Max(4 * labels.Count - 1.2, 1));
        p.ShowLegend(Edge.Right);
        return new Chart(p, "lifecycle", series);

        void DrawLane(IEnumerable<Segment> segments, double y)
        {
            foreach (var s in segments)
            {
                var rect = p.Add.Rectangle(s.From / scale, Math.Max(s.To, s.From + end * 1e-4) / scale, y - 0.35, y + 0.35);
                rect.FillColor = s.Color.WithAlpha(0.85);
                rect.LineWidth = 0;
                if (legendShown.Add(s.State))
                    rect.LegendText = s.State;
            }
        }

        void Mark(TimeSpan t, double y, string kind)
        {
            var m = p.Add.Marker(t.TotalSeconds / scale, y);
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

    /// <summary>The environment lane: running from a cold start or thaw, frozen from a freeze, until destroyed.</summary>
    private static List<Segment> EnvironmentSegments(IEnumerable<LifecycleRecord> lifecycle, double end)
    {
        var segments = new List<Segment>();
        Lane? lane = null;
        double since = 0;
        foreach (var l in lifecycle)
        {
            Lane? next = l.Event.After() switch
            {
                EnvironmentState.Initializing or EnvironmentState.Busy or EnvironmentState.Idle => Lane.Running,
                EnvironmentState.Frozen => Lane.Frozen,
                EnvironmentState.Throttled => Lane.Throttled,
                EnvironmentState.Suspended => Lane.Suspended,
                EnvironmentState.Snapshotted => Lane.Snapshotted,
                EnvironmentState.ShuttingDown => Lane.ShuttingDown,
                _ => null,
            };
            double t = l.T.TotalSeconds;
            if (lane is { } current && next != current)
                segments.Add(EnvironmentSegment(since, t, current));
            if (next != lane)
                since = t;
            lane = next;
        }
        if (lane is { } last)
            segments.Add(EnvironmentSegment(since, end, last));
        return segments;
    }

    private static Segment EnvironmentSegment(double from, double to, Lane lane) =>
        lane switch
        {
            // Each platform's own word for the state: Lambda freezes, Cloud Run throttles, Vercel suspends, SnapStart snapshots.
            Lane.Running => new(from, to, "running", Colors.DimGray),
            Lane.Frozen => new(from, to, "frozen", Colors.LightSteelBlue),
            Lane.Throttled => new(from, to, "throttled", Colors.Khaki),
            Lane.Suspended => new(from, to, "suspended", Colors.Plum),
            Lane.Snapshotted => new(from, to, "snapshotted", Colors.LightGreen),
            _ => new(from, to, "shutting down", Colors.Salmon),
        };

    /// <summary>A socket's lane: each state from its transition to the next (CLOSED and LISTEN are not drawn).</summary>
    private static List<Segment> SocketSegments(RunData run, string label, bool server, double end)
    {
        var list = new List<Segment>();
        double since = 0;
        TcpState? state = null;
        foreach (var t in run.Transitions.Where(t => t.Connection == label && (t.Host == "server") == server))
        {
            if (state is { } s && s is not (TcpState.Closed or TcpState.Listen))
                list.Add(new Segment(since, t.T.TotalSeconds, s.Name(), StateColor(s)));
            state = t.To;
            since = t.T.TotalSeconds;
        }
        if (state is { } last && last is not (TcpState.Closed or TcpState.Listen))
            list.Add(new Segment(since, end, last.Name(), StateColor(last)));
        return list;
    }

    private static Color StateColor(TcpState state) => ChartStyle.StateColor(state.Name());
}
