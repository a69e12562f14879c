using System.Net;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// The real side's connection names, c1, c2, ... in the order the connections began, as the model numbers them. The
/// poller names the connections it saw, in the order it first saw them; connections first seen in the same poll (two a
/// pool opened at once, within its interval) are in the order their agents began their connect() (the `open` lines'
/// monotonic timestamps), those no agent opened (a pooler's to its database) after them in the poller's order (a
/// server's accepted sockets first). A connection too short for any poll (a connect refused within a round trip) is
/// known only from its client's result, by its local port, and takes its place in the order by the instant its
/// invocation was sent, so that the connections after it are numbered as the model numbers them.
/// </summary>
public static class ConnectionNames
{
    /// <summary>The names, by client address, with the connections the poller missed (<paramref name="missed"/>: client
    /// address, and when its invocation was sent, in seconds), and the transitions with their connections renamed.
    /// <paramref name="opened"/>: when an agent began each connection's connect() (monotonic timestamps, by client
    /// address), which orders the connections one poll saw first.</summary>
    public static (Dictionary<string, string> Names, List<ObservedTransition> Transitions) Merge(Dictionary<string, string> polled,
        List<ObservedTransition> transitions, IEnumerable<(IPEndPoint Client, double At)> missed,
        IReadOnlyDictionary<string, long>? opened = null)
    {
        opened ??= new Dictionary<string, long>();
        var firstSeen = transitions.Where(t => t.Connection != "listener").GroupBy(t => t.Connection)
            .ToDictionary(g => g.Key, g => g.Min(t => t.T));
        var order = polled.Select(p => (Client: p.Key, At: firstSeen.GetValueOrDefault(p.Value, double.MaxValue), Old: Number(p.Value)))
            .Concat(missed.Select(m => m.Client.ToString()).Distinct().Where(c => !polled.ContainsKey(c))
                .Select(c => (Client: c, At: missed.First(m => m.Client.ToString() == c).At, Old: int.MaxValue)))
            .OrderBy(x => x.At).ThenBy(x => opened.GetValueOrDefault(x.Client, long.MaxValue)).ThenBy(x => x.Old).ToList();
        var names = order.Select((x, i) => (x.Client, Name: $"c{i + 1}")).ToDictionary(x => x.Client, x => x.Name);
        var renamed = polled.ToDictionary(p => p.Value, p => names[p.Key]);
        var result = transitions.Select(t => renamed.TryGetValue(t.Connection, out var name) ? t with { Connection = name } : t);
        return (names, result.ToList());
    }

    private static int Number(string name) => int.TryParse(name.AsSpan(1), out int n) ? n : int.MaxValue;
}
