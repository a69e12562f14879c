using Zombiesim.Core.Observation;
using Zombiesim.Tcp;

namespace Zombiesim.Cli.Runs.Sampling;

/// <summary>
/// The last few records of each connection (its transitions on either side, the server's notes about
/// it), so that a connection chosen late still shows what explains its failure (the idle close
/// before the EOF, even when the server's socket closed long before the client's). A connection is
/// forgotten once <see cref="Lag"/> other sockets have reached CLOSED after one of its own did (a
/// failure is reported just after its socket closes), so memory follows the connections alive in the
/// world.
/// </summary>
public sealed class RecentRecords(int size)
{
    public const int Lag = 1024;

    private readonly Dictionary<string, Ring> _rings = new(StringComparer.Ordinal);
    private readonly Queue<string> _closed = new();

    public void Add(string connection, object record)
    {
        if (!_rings.TryGetValue(connection, out var ring))
            _rings[connection] = ring = new Ring(size);
        ring.Add(record);
        if (record is TransitionRecord { To: TcpState.Closed })
        {
            _closed.Enqueue(connection);
            if (_closed.Count > Lag)
                _rings.Remove(_closed.Dequeue());
        }
    }

    /// <summary>The records remembered of <paramref name="connection"/>, oldest first, forgotten as they are taken.</summary>
    public IReadOnlyList<object> Take(string connection) =>
        _rings.Remove(connection, out var ring) ? ring.Items().ToList() : [];

    /// <summary>The records remembered of <paramref name="connection"/>, oldest first, still remembered.</summary>
    public IReadOnlyList<object> Of(string connection) =>
        _rings.TryGetValue(connection, out var ring) ? ring.Items().ToList() : [];

    private sealed class Ring(int size)
    {
        private readonly object[] _items = new object[size];
        private int _next, _count;

        public void Add(object item)
        {
            _items[_next] = item;
            _next = (_next + 1) % size;
            _count = Math.Min(_count + 1, size);
        }

        public IEnumerable<object> Items()
        {
            for (int i = 0; i < _count; i++)
                yield return _items[(_next - _count + i + size) % size];
        }
    }
}
