using Zombiesim.Tcp;

namespace Zombiesim.Core.Network;

/// <summary>
/// The hosts' kernel work against their applications', as Linux orders them. Segments that arrive are processed in softirq
/// (the NAPI receive loop), which only marks the task they wake runnable; the task runs once the softirq is done, and by
/// then the kernel has also taken whatever arrived with the segment. So the application events a host's kernel raises
/// while processing an arrival (or a timer) are held, and handed to its application once the rest of the segment's burst
/// has been processed: the segments its sender emitted in the same step (an error reply and the FIN of the close() after
/// it) that arrive in the same instant. An application woken by the error then finds its socket in CLOSE_WAIT, as on Linux.
/// </summary>
/// <remarks>Segments the peer sent in a later step of the same instant, in answer to what its own kernel did (a command
/// written once connect() returned, after the ACK that completed the handshake), are not waited for: on a real machine
/// its application needed some microseconds to answer, and the task woken here races them; the model lets the task
/// run first. Deterministic: bursts are counted when sent. Under <c>explore</c> the order of same-instant arrivals stays a
/// choice; a host's held events wait for the rest of the burst it took last, so a segment of another burst chosen in the
/// middle of one ends the first one's wait (the model's insertion order never interleaves them). One instance serves
/// every host of a network, so that a host costs nothing here while nothing is on its way to it.</remarks>
internal sealed class Softirq
{
    private readonly List<(uint Host, long Ticks, long Slot)> _sends = new(); // this burst's last segment per host and instant
    private long _sendsBurst = -1;
    private readonly HashSet<uint> _open = new(); // hosts that took a segment whose burst has more due at the instant
    private readonly List<(TcpConnection Connection, TcpEvent Event)> _held = new();
    private readonly List<TcpConnection> _moved = new(); // sockets whose deadline moved meanwhile

    /// <summary>The host whose kernel is at work on an arrival or a timer, if any.</summary>
    public TcpHost? Running { get; set; }

    /// <summary>A segment of <paramref name="burst"/>, waiting in <paramref name="slot"/>, will arrive at
    /// <paramref name="host"/> at <paramref name="at"/>. Returns the slot of the segment its burst sent before it to the same
    /// host for the same instant (which is then followed: it arrives just before this one), or -1.</summary>
    public long Sent(uint host, TimeSpan at, long burst, long slot)
    {
        if (burst != _sendsBurst)
        {
            _sends.Clear();
            _sendsBurst = burst;
        }
        for (int i = 0; i < _sends.Count; i++)
        {
            if (_sends[i].Host == host && _sends[i].Ticks == at.Ticks)
            {
                long before = _sends[i].Slot;
                _sends[i] = (host, at.Ticks, slot);
                return before;
            }
        }
        _sends.Add((host, at.Ticks, slot));
        return -1;
    }

    /// <summary>A segment has arrived at <paramref name="host"/> (to be processed, or lost); <paramref name="followed"/>
    /// when its burst has another due there at this instant, which the woken application waits for.</summary>
    public void Arrived(uint host, bool followed)
    {
        if (followed)
            _open.Add(host);
        else if (_open.Count > 0)
            _open.Remove(host);
    }

    /// <summary>The kernel of <paramref name="host"/> is done with what arrived: no burst it has begun to take still has
    /// segments due.</summary>
    public bool Done(uint host) => _open.Count == 0 || !_open.Contains(host);

    /// <summary>An event for the application, raised by the running kernel: it waits for <see cref="Wake"/>.</summary>
    public void Hold(TcpConnection c, in TcpEvent e) => _held.Add((c, e));

    /// <summary>The deadline of <paramref name="c"/> moved: armed after <see cref="Wake"/>, at the deadline the socket has
    /// once its application has answered (a reply that carries the ACK a delayed-ACK timer waited to send leaves no timer
    /// to fire for nothing).</summary>
    public void Moved(TcpConnection c)
    {
        if (!_moved.Contains(c))
            _moved.Add(c);
    }

    /// <summary>The softirq of <paramref name="host"/> is done: its woken application runs, and hears the held events in
    /// the order they were raised. A socket the application closed meanwhile (in answer to an earlier one) wakes it no more;
    /// nor does a destroyed machine. Then the deadlines that moved are armed. Other hosts' held events stay held.</summary>
    public void Wake(TcpHost host, Action<TcpConnection, TcpEvent>? application, Action<TcpConnection> arm)
    {
        if (_open.Count > 0)
            _open.Remove(host.Address);
        if (_held.Count == 0 && _moved.Count == 0)
            return;
        // Nothing is held or moved while an application runs (no kernel is): the lists stay as they are meanwhile.
        int kept = 0;
        for (int i = 0; i < _held.Count; i++)
        {
            var (c, e) = _held[i];
            if (c.Host != host)
                _held[kept++] = _held[i];
            else if (!c.Orphaned && !host.Destroyed)
                application?.Invoke(c, e);
        }
        _held.RemoveRange(kept, _held.Count - kept);
        kept = 0;
        for (int i = 0; i < _moved.Count; i++)
        {
            if (_moved[i].Host != host)
                _moved[kept++] = _moved[i];
            else
                arm(_moved[i]);
        }
        _moved.RemoveRange(kept, _moved.Count - kept);
    }
}
