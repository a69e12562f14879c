using ScottPlot;
using Zombiesim.Cli.Runs;
using Zombiesim.Core.Observation;
using Zombiesim.Tcp;

namespace Zombiesim.Cli.Charts;

/// <summary>
/// The lanes of a connection's life as segments: its client's environment (running, or stopped in the platform's
/// word, from its lifecycle records) and each side's socket state (from its transitions). Sockets are filled with
/// their state's colour (<see cref="ChartStyle.StateColor"/>); environments are grey when running and hatched when
/// not, so that no environment state looks like a socket state.
/// </summary>
public static class LifecycleLanes
{
    /// <summary>A lane's state from <see cref="From"/> to <see cref="To"/> (s), with its look and legend name.</summary>
    public readonly record struct Segment(double From, double To, string State, Color Color, IHatch? Hatch = null)
    {
        /// <summary>Both ends of the handshake share a colour (each is on its own lane): one legend entry.</summary>
        public string Legend => State is "SYN_SENT" or "SYN_RECEIVED" ? "SYN_SENT, SYN_RECEIVED" : State;
    }

    /// <summary>The environment lane: running from a cold start or thaw, stopped from a freeze (throttle, suspension,
    /// snapshot), shutting down, until destroyed or the end of the run.</summary>
    public static List<Segment> Environment(IEnumerable<LifecycleRecord> lifecycle, double end)
    {
        var segments = new List<Segment>();
        EnvironmentState? lane = null;
        double since = 0;
        foreach (var l in lifecycle)
        {
            EnvironmentState? next = l.Event.After() switch
            {
                EnvironmentState.Initializing or EnvironmentState.Busy or EnvironmentState.Idle => EnvironmentState.Busy,
                EnvironmentState.Destroyed => null,
                var s => s,
            };
            double t = l.T.TotalSeconds;
            if (lane is { } current && next != current)
                segments.Add(Look(since, t, current));
            if (next != lane)
                since = t;
            lane = next;
        }
        if (lane is { } last)
            segments.Add(Look(since, end, last));
        return segments;
    }

    private static Segment Look(double from, double to, EnvironmentState state) => state switch
    {
        // Each platform's own word: Lambda freezes, Cloud Run throttles, Vercel suspends, SnapStart snapshots.
        EnvironmentState.Busy => new(from, to, "running", Color.FromHex("#5A5A5A")),
        EnvironmentState.Frozen => new(from, to, "frozen", Colors.SteelBlue, new ScottPlot.Hatches.Striped()),
        EnvironmentState.Throttled => new(from, to, "throttled", Color.FromHex("#B8860B"), new ScottPlot.Hatches.Striped()),
        EnvironmentState.Suspended => new(from, to, "suspended", Colors.DarkMagenta, new ScottPlot.Hatches.Striped()),
        EnvironmentState.Snapshotted => new(from, to, "snapshotted", Colors.DarkGreen, new ScottPlot.Hatches.Dots()),
        _ => new(from, to, state == EnvironmentState.ShuttingDown ? "shutting down" : state.Name(), Color.FromHex("#B22222"),
            new ScottPlot.Hatches.Checker()),
    };

    /// <summary>A connection's two hosts: the client, which opened it (an environment, or a pooler towards its server),
    /// and the server, which accepted it ("server", a pooler, a named server; null when its records are not kept).</summary>
    public static (string Client, string? Server) Ends(RunData run, string label)
    {
        var records = run.Transitions.Where(t => t.Connection == label).ToList();
        var hosts = records.Select(t => t.Host).Distinct().ToList();
        string client = records.FirstOrDefault(t => t.Cause == TcpCause.ActiveOpen)?.Host
            ?? hosts.FirstOrDefault(h => h != "server" && !records.Any(t => t.Host == h && t.From == TcpState.Listen)) ?? hosts[0];
        return (client, hosts.FirstOrDefault(h => h != client));
    }

    /// <summary>A socket's lane: each state from its transition to the next (CLOSED and LISTEN are not drawn).</summary>
    public static List<Segment> Socket(RunData run, string label, string? host, double end)
    {
        var list = new List<Segment>();
        double since = 0;
        TcpState? state = null;
        foreach (var t in run.Transitions.Where(t => t.Connection == label && t.Host == host))
        {
            if (state is { } s && s is not (TcpState.Closed or TcpState.Listen))
                list.Add(new Segment(since, t.T.TotalSeconds, s.Name(), ChartStyle.StateColor(s.Name())));
            state = t.To;
            since = t.T.TotalSeconds;
        }
        if (state is { } last && last is not (TcpState.Closed or TcpState.Listen))
            list.Add(new Segment(since, end, last.Name(), ChartStyle.StateColor(last.Name())));
        return list;
    }
}
