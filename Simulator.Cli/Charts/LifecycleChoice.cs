using Zombiesim.Cli.Runs;
using Zombiesim.Core.Observation;

namespace Zombiesim.Cli.Charts;

/// <summary>
/// Which connections the lifecycle chart draws and over which time windows. First the connection of the first
/// failed request of each kind (outcome and origin, as the default trace keeps them), then the first a server closed,
/// then the run's first client connections, up to a count, in the order they began. Each connection's window runs from
/// its first record to its last (transitions and requests on it); connections whose windows lie close together share a panel (the
/// panel's span at most <see cref="Sparseness"/> times the sum of theirs), so that a connection of a few seconds is
/// never a sliver on a day's axis.
/// </summary>
public static class LifecycleChoice
{
    /// <summary>How much empty time a shared panel may hold: its span over the sum of its connections' spans.</summary>
    public const double Sparseness = 5;

    /// <summary>A connection drawn, why (e.g. "first EOF"; null for one of the first connections) and its window (s).</summary>
    public sealed record Shown(string Label, string? Why, double From, double To);

    /// <summary>A panel: its connections and the time it shows (s).</summary>
    public sealed record Window(IReadOnlyList<Shown> Connections, double From, double To);

    public static IReadOnlyList<Shown> Connections(RunData run, int count)
    {
        var firstSeen = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var t in run.Transitions)
            if (t.Connection.StartsWith('c'))
                firstSeen.TryAdd(t.Connection, t.T.TotalSeconds);
        var why = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var kinds = new HashSet<(Outcome, Origin?)>();
        foreach (var r in run.Requests.Where(r => !r.Ok).OrderBy(r => r.End))
        {
            if (!kinds.Add((r.Outcome, r.Origin)) || r.Connection is not { } c || !firstSeen.ContainsKey(c))
                continue;
            if (why.TryGetValue(c, out var reasons))
                reasons.Add(Kind(r));
            else if (why.Count < count)
                why[c] = [Kind(r)];
        }
        // Then the first connection a server or pooler closed (an idle timeout, an eviction): where a run without a
        // failure shows its zombie story, a socket the client still holds and the server has let go.
        if (run.Notes.FirstOrDefault(n => n.Kind == NoteKind.Close && n.Connection is { } c && firstSeen.ContainsKey(c)) is { } close)
        {
            string closed = $"closed by {close.Who}";
            if (why.TryGetValue(close.Connection!, out var reasons))
                reasons.Add(closed);
            else if (why.Count < count)
                why[close.Connection!] = [closed];
        }
        var chosen = why.Keys.ToList();
        chosen.AddRange(firstSeen.OrderBy(kv => kv.Value).Select(kv => kv.Key).Where(c => !why.ContainsKey(c))
            .Take(Math.Max(0, count - chosen.Count)));
        return chosen.OrderBy(c => firstSeen[c]).Select(c =>
        {
            var times = run.Transitions.Where(t => t.Connection == c).Select(t => t.T.TotalSeconds)
                .Concat(run.Requests.Where(r => r.Connection == c).SelectMany(r => new[] { r.T.TotalSeconds, r.End.TotalSeconds }))
                .ToList();
            return new Shown(c, why.TryGetValue(c, out var w) ? "first " + string.Join(", first ", w) : null, times.Min(), times.Max());
        }).ToList();

        static string Kind(RequestRecord r) => r.Origin is { } o ? $"{r.Outcome.Name()} ({o.Name()})" : r.Outcome.Name();
    }

    /// <summary>The panels: connections in the order they began, grouped while the group stays dense; each panel's
    /// window padded by 5% of its span, from zero when it begins in its first quarter, within the run.</summary>
    public static IReadOnlyList<Window> Windows(IReadOnlyList<Shown> shown, double end)
    {
        var groups = new List<List<Shown>>();
        foreach (var s in shown.OrderBy(s => s.From))
        {
            if (groups.Count > 0)
            {
                var g = groups[^1];
                double from = g.Min(x => x.From), to = Math.Max(g.Max(x => x.To), s.To);
                if (to - from <= Sparseness * g.Append(s).Sum(x => Math.Max(x.To - x.From, 1)))
                {
                    g.Add(s);
                    continue;
                }
            }
            groups.Add([s]);
        }
        return groups.Select(g =>
        {
            double from = g.Min(x => x.From), to = g.Max(x => x.To), pad = 0.05 * Math.Max(to - from, 1);
            double a = from <= 0.25 * (to + pad) ? 0 : Math.Max(0, from - pad), b = Math.Min(end, to + pad);
            return new Window(g, a, Math.Max(b, a + 1e-3));
        }).ToList();
    }
}
