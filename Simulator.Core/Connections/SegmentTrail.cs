using Zombiesim.Core.Network;
using Zombiesim.Core.Observation;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Connections;

/// <summary>
/// Turns what the network reports of each segment (sent, then delivered, lost at its host or dropped; or made by a
/// middlebox, then delivered) into one <see cref="SegmentRecord"/> per segment, given to the run's observer when its
/// fate is known: at its arrival, or at its drop. Built only when the observer wants segments. A segment is named
/// after the connection its sockets belong to when it leaves (a segment no labelled socket owns, a RST to a port
/// without one before any connection was named, is not recorded). Segments still in flight at the end of the run are
/// not recorded.
/// </summary>
internal sealed class SegmentTrail(IRunObserver observer, NetworkDriver network, Func<Endpoint, bool> isServer,
    Func<TcpConnection, ConnectionInfo> name)
{
    private readonly Dictionary<Segment, Queue<Pending>> _inFlight = new();

    private readonly record struct Pending(TimeSpan Sent, string From, string To, string Connection, uint Seq, uint? Ack, bool Injected);

    public void OnSegment(TimeSpan at, in Segment s, SegmentFate fate)
    {
        switch (fate)
        {
            case SegmentFate.Sent:
            case SegmentFate.Injected:
                if (Departure(at, s, fate == SegmentFate.Injected) is { } p)
                {
                    if (!_inFlight.TryGetValue(s, out var queue))
                        _inFlight[s] = queue = new Queue<Pending>(1);
                    queue.Enqueue(p);
                }
                break;
            case SegmentFate.DroppedPartition:
            case SegmentFate.DroppedMiddlebox:
                Settle(s, SegmentOutcome.Dropped, null);
                break;
            case SegmentFate.LostAtHost:
                Settle(s, SegmentOutcome.Lost, at);
                break;
            case SegmentFate.Delivered:
                Settle(s, SegmentOutcome.Delivered, at);
                break;
        }
    }

    private void Settle(in Segment s, SegmentOutcome outcome, TimeSpan? arrived)
    {
        if (!_inFlight.TryGetValue(s, out var queue))
            return;
        var p = queue.Dequeue();
        if (queue.Count == 0)
            _inFlight.Remove(s);
        observer.OnSegment(new SegmentRecord(p.Sent, p.From, p.To, p.Connection, s.Flags, p.Seq, p.Ack, s.Length,
            p.Injected && outcome == SegmentOutcome.Delivered ? SegmentOutcome.Injected : outcome, arrived));
    }

    /// <summary>The segment as it leaves: its connection, its hosts, its numbers relative to the connection's SYNs.</summary>
    private Pending? Departure(TimeSpan at, in Segment s, bool injected)
    {
        bool fromServer = isServer(s.Source);
        var (client, server) = fromServer ? (s.Destination, s.Source) : (s.Source, s.Destination);
        // A client's socket is named at its SYN, which leaves just before it reports SYN_SENT; a server's shares its name.
        var info = network.SocketAt(client, server) is { } mine ? name(mine) : network.SocketAt(server, client)?.Tag as ConnectionInfo;
        if (info is null)
            return null;
        if (s.Syn && !injected)
        {
            if (fromServer)
                info.ServerIsn ??= s.Seq;
            else
                info.ClientIsn ??= s.Seq;
        }
        uint fromBase = (fromServer ? info.ServerIsn : info.ClientIsn) ?? 0;
        uint toBase = (fromServer ? info.ClientIsn : info.ServerIsn) ?? 0;
        string from = network.HostAt(s.Source.Address)?.Name ?? s.Source.ToString();
        string to = network.HostAt(s.Destination.Address)?.Name ?? s.Destination.ToString();
        return new Pending(at, from, to, info.Label, s.Seq - fromBase, s.HasAck ? s.Ack - toBase : null, injected);
    }
}
