using Zombiesim.Core.Engine;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Network;

/// <summary>
/// An execution environment's resolver: the address a connection to a server's name goes to. It
/// keeps each answer for the record's TTL (as a caching stub resolver, or a runtime's own DNS cache,
/// does), so that a connection opened within the TTL of an answer goes to the node that answer named.
/// </summary>
internal sealed class Resolver(Names names, Clock clock)
{
    private Dictionary<Endpoint, (Endpoint Node, TimeSpan Until)>? _kept;

    public Endpoint Resolve(Endpoint name)
    {
        if (names.Answer(name) is not { } answer)
            return name;
        _kept ??= new();
        if (_kept.TryGetValue(name, out var kept) && clock.Now < kept.Until)
            return kept.Node;
        _kept[name] = (answer.Node, clock.Now + answer.Ttl);
        return answer.Node;
    }
}
