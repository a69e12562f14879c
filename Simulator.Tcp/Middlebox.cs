namespace Zombiesim.Tcp;

/// <summary>What a middlebox does with a segment of a flow it has forgotten or never saw.</summary>
public enum FlowAction
{
    /// <summary>Pass it on as if nothing happened.</summary>
    Forward,
    /// <summary>Drop it silently: the sender's kernel retransmits until its budget runs out.</summary>
    Drop,
    /// <summary>Drop it and answer the sender with RST, whichever side it is.</summary>
    ResetSender,
    /// <summary>Drop it; answer with RST when the inside (the side that opened the flow) sent it,
    /// drop silently what comes from outside (a NAT has no mapping for it).</summary>
    ResetInsideSender,
    /// <summary>Drop it and send RST to both ends.</summary>
    ResetBoth,
    /// <summary>Linux conntrack with nf_conntrack_tcp_loose=1: a segment from the inside that carries
    /// only ACK (data allowed) starts a new flow and passes; anything else is dropped silently
    /// (net/netfilter/nf_conntrack_proto_tcp.c, Linux 6.18: tcp_conntracks "sNO -> sES Assumed" for
    /// ACK, sIV for FIN, RST and SYN,ACK; tcp_new picks up mid-stream only when tcp_loose is set).</summary>
    PickUpFromInside,
}

/// <summary>A middlebox's behaviour: idle timeout and what it does after.</summary>
/// <remarks>The product presets (AWS, Azure) are data in Simulator.Core (Network/MiddleboxPresets.cs).</remarks>
public sealed record MiddleboxProfile(string Kind, TimeSpan IdleTimeout, FlowAction OnExpired, FlowAction OnUnknown);

/// <summary>
/// A box on the path that tracks flows (a NAT gateway, a load balancer, a stateful firewall). A flow
/// is opened by a SYN from the inside, lives while segments pass, ends with a RST, and expires after
/// the idle timeout. Expiry is noticed when the next segment of the flow arrives, so the box needs no
/// timer; a flow that sees a FIN is kept until it expires (conntrack's shorter FIN timeouts are not
/// modelled).
/// </summary>
public sealed class Middlebox
{
    private readonly Dictionary<(Endpoint Inside, Endpoint Outside), TimeSpan> _lastSeen = new();
    private int _sinceSweep;

    public Middlebox(string name, MiddleboxProfile profile)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Profile = profile ?? throw new ArgumentNullException(nameof(profile));
        if (profile.IdleTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(profile), $"idle timeout must be positive, got {profile.IdleTimeout}");
    }

    public string Name { get; }
    public MiddleboxProfile Profile { get; }

    /// <summary>Flows currently remembered (expired ones included until noticed or swept).</summary>
    public int FlowCount => _lastSeen.Count;

    /// <summary>Flows expired so far.</summary>
    public long Expired { get; private set; }

    /// <summary>
    /// A segment passes. Returns true when it goes on; segments the box itself sends (RSTs) are
    /// added to <paramref name="injected"/>, each addressed to its receiver.
    /// </summary>
    public bool Process(TimeSpan now, in Segment s, bool fromInside, List<Segment> injected)
    {
        var key = fromInside ? (s.Source, s.Destination) : (s.Destination, s.Source);
        if (++_sinceSweep >= 4096)
            Sweep(now);
        bool expired = false;
        if (_lastSeen.TryGetValue(key, out TimeSpan last))
        {
            if (now - last <= Profile.IdleTimeout)
            {
                if (s.Rst)
                    _lastSeen.Remove(key);
                else
                    _lastSeen[key] = now;
                return true;
            }
            _lastSeen.Remove(key);
            Expired++;
            expired = true;
        }
        if (fromInside && s.Syn && !s.HasAck)
        {
            _lastSeen[key] = now; // a new flow (possibly reusing an expired one's addresses)
            return true;
        }
        var action = expired ? Profile.OnExpired : Profile.OnUnknown;
        if (action == FlowAction.PickUpFromInside && fromInside && s.HasAck && !s.Syn && !s.Fin && !s.Rst)
        {
            _lastSeen[key] = now; // a flow picked up in the middle of the stream
            return true;
        }
        return Apply(action, s, fromInside, injected);
    }

    /// <summary>Forget every flow idle for longer than the timeout (keeps memory proportional to live flows).</summary>
    public void Sweep(TimeSpan now)
    {
        _sinceSweep = 0;
        List<(Endpoint, Endpoint)>? dead = null;
        foreach (var (key, last) in _lastSeen)
        {
            if (now - last > Profile.IdleTimeout)
                (dead ??= new()).Add(key);
        }
        if (dead is null)
            return;
        foreach (var key in dead)
            _lastSeen.Remove(key);
        Expired += dead.Count;
    }

    private static bool Apply(FlowAction action, in Segment s, bool fromInside, List<Segment> injected)
    {
        switch (action)
        {
            case FlowAction.Forward:
                return true;
            case FlowAction.Drop:
            case FlowAction.PickUpFromInside: // what it cannot pick up
                return false;
            case FlowAction.ResetSender:
                if (!s.Rst) injected.Add(TcpHost.ResetFor(s));
                return false;
            case FlowAction.ResetInsideSender:
                if (fromInside && !s.Rst) injected.Add(TcpHost.ResetFor(s));
                return false;
            case FlowAction.ResetBoth:
                if (!s.Rst)
                {
                    injected.Add(TcpHost.ResetFor(s));
                    // To the receiver, in the sender's name, at the sender's sequence number.
                    injected.Add(new Segment(s.Source, s.Destination, s.Seq, 0, TcpFlags.Rst, 0));
                }
                return false;
            default:
                throw new ArgumentOutOfRangeException(nameof(action), action, null);
        }
    }
}
