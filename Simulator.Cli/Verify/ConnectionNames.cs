using System.Net;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// The real side's connection names, c1, c2, ... in the order the connections began, as the model numbers them. A
/// connection an agent opened began when the agent began its connect() (its `open` line's monotonic timestamp, on the
/// run's clock), before any poll could see it; one no agent opened (a pooler's to its database) began when the poller
/// first saw it. (Ordering all by first sighting mixed them up: one poll reads the namespaces one after the other, so
/// a pooler's connection opened for a client could be seen microseconds before that client's.) Ties keep the poller's
/// order (a server's accepted sockets first). A connection too short for any poll (a connect refused within a round trip) is
/// known only from its client's result, by its local port, and takes its place in the order by the instant its
/// invocation was sent, so that the connections after it are numbered as the model numbers them.
/// </summary>
public static class ConnectionNames
{
    /// <summary>The names, by client address, with the connections the poller missed (<paramref name="missed"/>: client
    /// address, and when its invocation was sent, in seconds), and the transitions with their connections renamed.
    /// <paramref name="opened"/>: when an agent began each connection's connect() (seconds on the run's clock, by client
    /// address).</summary>
    public static (Dictionary<string, string> Names, List<ObservedTransition> Transitions) Merge(Dictionary<string, string> polled,
        List<ObservedTransition> transitions, IEnumerable<(IPEndPoint Client, double At)> missed,
        IReadOnlyDictionary<string, double>? opened = null)
    {
        opened ??= new Dictionary<string, double>();
        var firstSeen = transitions.Where(t => t.Connection != "listener").GroupBy(t => t.Connection)
            .ToDictionary(g => g.Key, g => g.Min(t => t.T));
        var order = polled.Select(p => (Client: p.Key, Old: Number(p.Value),
                At: Math.Min(firstSeen.GetValueOrDefault(p.Value, double.MaxValue), opened.GetValueOrDefault(p.Key, double.MaxValue))))
            .Concat(missed.Select(m => m.Client.ToString()).Distinct().Where(c => !polled.ContainsKey(c))
                .Select(c => (Client: c, Old: int.MaxValue, At: missed.First(m => m.Client.ToString() == c).At)))
            .OrderBy(x => x.At).ThenBy(x => x.Old).ToList();
        var names = order.Select((x, i) => (x.Client, Name: $"c{i + 1}")).ToDictionary(x => x.Client, x => x.Name);
        var renamed = polled.ToDictionary(p => p.Value, p => names[p.Key]);
        var result = transitions.Select(t => renamed.TryGetValue(t.Connection, out var name) ? t with { Connection = name } : t);
        return (names, result.ToList());
    }

    private static int Number(string name) => int.TryParse(name.AsSpan(1), out int n) ? n : int.MaxValue;
}
