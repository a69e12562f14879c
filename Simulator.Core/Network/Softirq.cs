using System.Runtime.InteropServices;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Network;

/// <summary>
/// One host's kernel work against its application's, as Linux orders them. Segments that arrive are processed in softirq
/// (the NAPI receive loop), which only marks the task they wake runnable; the task runs once the softirq is done, and by
/// then the kernel has also taken whatever arrived with the segment. So the application events the kernel raises while
/// processing an arrival (or a timer) are held, and handed to the application once the rest of the segment's burst has
/// been processed: the segments its sender emitted in the same step (an error reply and the FIN of the close() after it)
/// that arrive in the same instant. An application woken by the error then finds its socket in CLOSE_WAIT, as on Linux.
/// </summary>
/// <remarks>Segments the peer sent in a later step of the same instant, in answer to what its own kernel did (a command
/// written once connect() returned, after the ACK that completed the handshake), are not waited for: on a real machine
/// its application needed some microseconds to answer, and the task woken here races them; the model lets the task
/// run first. Deterministic: bursts are counted when sent; under <c>explore</c> the order of same-instant arrivals stays a
/// choice, and the held events wait for the rest of the burst they came with.</remarks>
internal sealed class Softirq(TcpHost host)
{
    private readonly Dictionary<(long Ticks, long Burst), int> _due = new(); // segments on their way here
    private readonly List<(TcpConnection Connection, TcpEvent Event)> _held = new();
    private readonly List<TcpConnection> _moved = new(); // sockets whose deadline moved meanwhile
    private (long Ticks, long Burst)? _open; // the burst whose rest the held events wait for

    public TcpHost Host { get; } = host;

    /// <summary>A segment of <paramref name="burst"/> will arrive at <paramref name="at"/>.</summary>
    public void Expect(TimeSpan at, long burst) => CollectionsMarshal.GetValueRefOrAddDefault(_due, (at.Ticks, burst), out _)++;

    /// <summary>A segment of <paramref name="burst"/> due at <paramref name="at"/> has arrived (to be processed, or lost).</summary>
    public void Arrived(TimeSpan at, long burst)
    {
        ref int n = ref CollectionsMarshal.GetValueRefOrNullRef(_due, (at.Ticks, burst));
        if (--n == 0)
            _due.Remove((at.Ticks, burst));
        _open = _due.ContainsKey((at.Ticks, burst)) ? (at.Ticks, burst) : null;
    }

    /// <summary>The kernel is done with what arrived: no burst it has begun to take still has segments due.</summary>
    public bool Done => _open is not { } o || !_due.ContainsKey(o);

    /// <summary>An event for the application, raised by the kernel: it waits for <see cref="Wake"/>.</summary>
    public void Hold(TcpConnection c, in TcpEvent e) => _held.Add((c, e));

    /// <summary>The deadline of <paramref name="c"/> moved: armed after <see cref="Wake"/>, at the deadline the socket has
    /// once its application has answered (a reply that carries the ACK a delayed-ACK timer waited to send leaves no timer
    /// to fire for nothing).</summary>
    public void Moved(TcpConnection c)
    {
        if (!_moved.Contains(c))
            _moved.Add(c);
    }

    /// <summary>The softirq is done: the woken application runs, and hears the held events in the order they were raised.
    /// A socket the application closed meanwhile (in answer to an earlier one) wakes it no more; nor does a destroyed
    /// machine. Then the deadlines that moved are armed.</summary>
    public void Wake(Action<TcpConnection, TcpEvent>? application, Action<TcpConnection> arm)
    {
        _open = null;
        for (int i = 0; i < _held.Count; i++)
        {
            var (c, e) = _held[i];
            if (!c.Orphaned && !Host.Destroyed)
                application?.Invoke(c, e);
        }
        _held.Clear();
        for (int i = 0; i < _moved.Count; i++)
            arm(_moved[i]);
        _moved.Clear();
    }
}
