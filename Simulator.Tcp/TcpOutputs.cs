namespace Zombiesim.Tcp;

/// <summary>
/// What a host's sockets produced while processing one input: segments, application events and
/// transitions in the order they happened, and the connections whose next deadline may have moved.
/// The host hands them to its driver only once the input is processed (smoltcp's <c>dispatch</c>,
/// quinn-proto's <c>poll_transmit</c>/<c>poll_timeout</c>), so no application code runs in the middle
/// of RFC processing: an application answering an event finds the socket in its final state.
/// </summary>
/// <remarks>A call the application makes while an event is being handed to it is an input of its
/// own: its outputs form a new batch, handed out when that call returns, before the rest of the
/// batch that raised the event (as if the application had been woken and answered at once).</remarks>
internal sealed class TcpOutputs
{
    internal enum Kind : byte { Segment, Event, Transition }

    internal readonly record struct Output(Kind Kind, TcpConnection? Connection, Segment Segment, TcpEvent Event,
        TcpState From, TcpState To, TcpCause Cause);

    /// <summary>Outputs in order, and the connections touched. A batch is drained before it is reused, so
    /// its items need no clearing: a slot handed out is simply written again later (what it still
    /// references lives on at most until then).</summary>
    internal sealed class Batch
    {
        private Output[] _items = []; // eight at the first output
        private int _head, _tail;
        public readonly List<TcpConnection> Touched = new();

        public bool HasItems => _head < _tail;

        public void Add(in Output o)
        {
            if (_tail == _items.Length)
                Array.Resize(ref _items, Math.Max(8, _items.Length * 2));
            _items[_tail++] = o;
        }

        /// <summary>Takes the next item in order.</summary>
        public bool TryTake(out Output o)
        {
            if (_head == _tail)
            {
                _head = _tail = 0;
                o = default;
                return false;
            }
            o = _items[_head++];
            return true;
        }

        public void Clear()
        {
            _head = _tail = 0;
            Touched.Clear();
        }

        /// <summary>Empty, referencing nothing of the world that used it.</summary>
        public void Reset()
        {
            Array.Clear(_items);
            Clear();
        }
    }

    private readonly TcpOutputStorage? _storage;
    private readonly Stack<Batch> _free = new();
    private Batch _current;

    /// <param name="storage">Where batches come from (a thread's, reused by world after world); null: new ones.</param>
    public TcpOutputs(TcpOutputStorage? storage = null)
    {
        _storage = storage;
        _current = NewBatch();
    }

    private Batch NewBatch() => _storage?.Take() ?? new Batch();

    /// <summary>Nothing waits in the current batch.</summary>
    public bool Empty => !_current.HasItems;

    public void Segment(in Segment s) =>
        _current.Add(new Output(Kind.Segment, null, s, default, default, default, default));

    public void Event(TcpConnection c, in TcpEvent e) =>
        _current.Add(new Output(Kind.Event, c, default, e, default, default, default));

    public void Transition(TcpConnection c, TcpState from, TcpState to, TcpCause cause) =>
        _current.Add(new Output(Kind.Transition, c, default, default, from, to, cause));

    /// <summary>The connection's next deadline may have moved: report it when the batch is handed out.</summary>
    public void Touch(TcpConnection c)
    {
        if (!_current.Touched.Contains(c))
            _current.Touched.Add(c);
    }

    /// <summary>The host is gone, its outputs handed out: its batches forget the connections their slots still name, and
    /// those it made itself go (a storage's stay with the storage, for the next world).</summary>
    public void Reset()
    {
        if (_storage is null)
        {
            _current = new Batch();
            _free.Clear();
            _free.TrimExcess();
            return;
        }
        _current.Reset();
        foreach (var b in _free)
            b.Reset();
    }

    /// <summary>Hand the current batch to <paramref name="driver"/>: its outputs in order, then the
    /// deadlines that moved.</summary>
    public void Dispatch(TcpHost host, ITcpDriver driver)
    {
        Batch batch = _current;
        while (true)
        {
            if (batch.TryTake(out var o))
            {
                Hand(host, driver, batch, o);
                continue;
            }
            if (batch.Touched.Count == 0)
                return;
            for (int i = 0; i < batch.Touched.Count; i++)
            {
                var c = batch.Touched[i];
                if (c.TakeMovedDeadline(out TimeSpan? deadline))
                    driver.OnDeadlineChanged(c, deadline);
            }
            batch.Touched.Clear();
        }
    }

    /// <summary>One output to the driver. An event wakes the application: whatever it does meanwhile
    /// is a batch of its own. (Segments, transitions and deadlines go to the wire and to observers;
    /// were a driver to call in on them, its outputs would join the current batch.)</summary>
    private void Hand(TcpHost host, ITcpDriver driver, Batch batch, in Output o)
    {
        switch (o.Kind)
        {
            case Kind.Segment:
                driver.Transmit(host, o.Segment);
                return;
            case Kind.Transition:
                driver.OnTransition(o.Connection!, o.From, o.To, o.Cause);
                return;
        }
        var answer = _free.Count > 0 ? _free.Pop() : NewBatch();
        _current = answer;
        try
        {
            driver.OnEvent(o.Connection!, o.Event);
            if (answer.HasItems || answer.Touched.Count > 0)
                Dispatch(host, driver); // left by a call that did not dispatch: hand it out now
        }
        finally
        {
            answer.Clear();
            _free.Push(answer);
            _current = batch;
        }
    }
}
