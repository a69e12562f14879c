using Zombiesim.Core.Engine;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Network;

/// <summary>
/// The servers' names, as DNS answers them: each name points to its first node's address until a
/// failover moves it to another node. A name that never moves is its node (no resolver keeps
/// anything for it). A resolver asks with <see cref="Answer"/> and may keep the answer for the
/// record's TTL.
/// </summary>
internal sealed class Names
{
    private readonly Dictionary<Endpoint, Record> _moving = new();

    /// <summary>The name first pointing to <paramref name="name"/> will move: a resolver keeps each
    /// answer for <paramref name="ttl"/>.</summary>
    public void WillMove(Endpoint name, TimeSpan ttl) => _moving[name] = new Record { Node = name, Ttl = ttl };

    /// <summary>From now on the name first pointing to <paramref name="name"/> answers <paramref name="node"/>.</summary>
    public void Move(Endpoint name, Endpoint node) => _moving[name].Node = node;

    /// <summary>The node the name answers now, and how long the answer may be kept; null: a name that never moves.</summary>
    public (Endpoint Node, TimeSpan Ttl)? Answer(Endpoint name) =>
        _moving.TryGetValue(name, out var r) ? (r.Node, r.Ttl) : null;

    private sealed class Record
    {
        public Endpoint Node;
        public TimeSpan Ttl;
    }
}
