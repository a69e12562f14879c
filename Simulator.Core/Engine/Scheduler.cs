using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Zombiesim.Core.Engine;

/// <summary>Receives the events scheduled for it. One handler object serves many events; the
/// <c>arg</c> given at scheduling tells them apart, so scheduling never allocates.</summary>
public abstract class EventReceiver
{
    public abstract void OnEvent(long arg);
}

/// <summary>Marks an event that only observes (a sample, a probe): it changes nothing, so an order
/// hook runs it first instead of making its place a choice.</summary>
public abstract class ObservationEvent : EventReceiver;

/// <summary>Decides which of several events due at the same instant runs first. The candidates
/// are given in insertion order; the answer is an index into them.</summary>
public interface ISameInstantOrder
{
    int ChooseNext(ReadOnlySpan<ScheduledEvent> candidates);
}

/// <summary>What a same-instant hook sees of an event.</summary>
public readonly record struct ScheduledEvent(TimeSpan At, long Sequence, EventReceiver Handler, long Arg);

/// <summary>A scheduled event that can be cancelled. The default value refers to nothing.</summary>
public readonly record struct TimerHandle(int Slot, long Key)
{
    public bool IsNone => Key == 0;
}

/// <summary>
/// The discrete-event engine: one simulated clock and a queue of events ordered by (time,
/// insertion sequence). Time is integer ticks of 100 ns (<see cref="TimeSpan"/>).
/// A cancelled event never runs and calls nothing: its record is freed at once (the next event scheduled
/// takes it while it is still in the cache), and its queue entry, which no longer matches the record, is
/// dropped when it reaches the front, or all at once when such entries outnumber live ones (the queue is
/// then rebuilt), so memory stays proportional to live events and a timer re-armed per segment stays cheap.
/// </summary>
public sealed class Scheduler
{
    // Event records live in an array indexed by slot; freed slots are reused, so the steady state
    // allocates nothing. The queue holds 16-byte entries: the time, and a key holding the insertion
    // sequence above the slot. An entry whose key is not its slot's (the slot was freed by a cancel,
    // and maybe taken again since) is a cancelled event's.
    private const int SlotBits = 24;
    private const long SlotMask = (1L << SlotBits) - 1;
    private const int PrefetchFrom = 4096; // records in use: 96 KB, about a core's L2 on this machine
    private const long MaxSequence = (1L << (63 - SlotBits)) - 1;

    private readonly RadixQueue _queue;
    private int _cancelledInQueue;
    private struct SlotRecord
    {
        public EventReceiver? Handler; // null: free
        public long Arg;
        public long Key; // the queue key of the event it holds (never 0: sequences start at 1)
    }

    private SlotRecord[] _slots;
    private int[] _freeSlots;
    private int _freeCount;
    private int _slotCount;
    private long _nextSeq = 1; // from 1, so that no key is 0, the handle that refers to nothing
    private long _now;
    private readonly List<QueuedEvent> _ready = new();
    private ScheduledEvent[] _readyView = new ScheduledEvent[8];
    private QueuedEvent[] _scratch = [];

    public Scheduler(int initialCapacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(initialCapacity, 1);
        _queue = new RadixQueue(initialCapacity);
        _slots = new SlotRecord[initialCapacity];
        _freeSlots = new int[initialCapacity];
    }

    /// <summary>Forgets every event and starts again at 0, keeping the storage grown so far: the scheduler then
    /// behaves exactly as a new one (the same slots, generations and sequences), so that a thread running one
    /// world after another allocates its queue once. Handles from before refer to nothing.</summary>
    public void Reset()
    {
        _queue.Clear();
        Array.Clear(_slots, 0, _slotCount);
        _slotCount = 0;
        _freeCount = 0;
        _cancelledInQueue = 0;
        _nextSeq = 1;
        _now = 0;
        _ready.Clear();
        Executed = 0;
        SameInstantOrder = null;
    }

    /// <summary>The simulated clock.</summary>
    public TimeSpan Now => new(_now);

    /// <summary>Events waiting to run (cancelled ones are not counted).</summary>
    public int Pending => _queue.Count + _ready.Count - _cancelledInQueue;

    /// <summary>Events run so far.</summary>
    public long Executed { get; private set; }

    /// <summary>Decides the order of events due at the same instant; null means insertion order.</summary>
    public ISameInstantOrder? SameInstantOrder { get; set; }

    /// <summary>Schedules <paramref name="handler"/> to receive <paramref name="arg"/> at the absolute
    /// instant <paramref name="at"/>, which may not lie in the past.</summary>
    public TimerHandle Schedule(TimeSpan at, EventReceiver handler, long arg = 0)
    {
        ArgumentNullException.ThrowIfNull(handler);
        long t = at.Ticks;
        if (t < _now)
            throw new ArgumentOutOfRangeException(nameof(at), at, $"cannot schedule in the past (now is {Now})");
        if (_nextSeq > MaxSequence)
            throw new InvalidOperationException($"more than {MaxSequence} events scheduled in one run");
        int slot = AllocateSlot();
        ref SlotRecord record = ref _slots[slot];
        record.Handler = handler;
        record.Arg = arg;
        record.Key = (_nextSeq++ << SlotBits) | (long)slot;
        _queue.Push(new QueuedEvent { Time = t, Key = record.Key });
        return new TimerHandle(slot, record.Key);
    }

    /// <summary>Schedules an event <paramref name="delay"/> after now.</summary>
    public TimerHandle ScheduleAfter(TimeSpan delay, EventReceiver handler, long arg = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        return Schedule(new TimeSpan(_now + delay.Ticks), handler, arg);
    }

    /// <summary>Cancels an event that has not run yet. Returns false when it already ran or was
    /// cancelled before (so cancelling twice is harmless).</summary>
    public bool Cancel(TimerHandle handle)
    {
        if (!IsPending(handle))
            return false;
        FreeSlot(handle.Slot);
        _cancelledInQueue++;
        if (_cancelledInQueue > 64 && _cancelledInQueue > _queue.Count / 2)
            Compact();
        return true;
    }

    /// <summary>True while the event behind <paramref name="handle"/> is still waiting.</summary>
    public bool IsPending(TimerHandle handle) =>
        !handle.IsNone && (uint)handle.Slot < (uint)_slotCount && Holds(handle.Slot, handle.Key);

    /// <summary>Runs the next event. Returns false when nothing is pending.</summary>
    public bool Step() => Step(long.MaxValue);

    /// <summary>Runs events in order until none is pending or the next one lies after
    /// <paramref name="horizon"/>; the clock then stands at the horizon (or at the last event
    /// when the horizon is infinite).</summary>
    public void RunUntil(TimeSpan horizon)
    {
        long h = horizon.Ticks;
        while (Step(h)) { }
        if (h != long.MaxValue && h > _now)
            _now = h;
    }

    /// <summary>Runs until nothing is pending.</summary>
    public void RunToCompletion() => RunUntil(TimeSpan.MaxValue);

    private bool Step(long horizon)
    {
        if (SameInstantOrder is not null || _ready.Count > 0)
            return StepOrdered(horizon);
        while (_queue.TryPop(horizon, out QueuedEvent e))
        {
            if (Fire(e))
                return true;
        }
        return false;
    }

    private bool StepOrdered(long horizon)
    {
        // Gather every live event due at the earliest instant, in insertion order, and let the hook pick.
        while (true)
        {
            DropCancelledReady();
            if (_ready.Count == 0)
            {
                while (_queue.Count > 0 && Cancelled(_queue.Min()))
                {
                    _queue.Pop();
                    _cancelledInQueue--;
                }
                if (_queue.Count == 0 || _queue.Min().Time > horizon)
                    return false;
            }
            long t = _ready.Count > 0 ? _ready[0].Time : _queue.Min().Time;
            // Same-instant pops come out in sequence order; later ones have larger sequences. (Not Min(): past the
            // last of them it would look ahead to the next instant, and an event scheduled for now would re-file the queue.)
            while (_queue.TryPopAt(t, out QueuedEvent e))
                _ready.Add(e);
            DropCancelledReady();
            if (_ready.Count == 0)
                continue;
            int pick = 0;
            if (_ready.Count > 1 && SameInstantOrder is { } order)
            {
                if (_readyView.Length < _ready.Count)
                    _readyView = new ScheduledEvent[_ready.Count * 2];
                for (int i = 0; i < _ready.Count; i++)
                {
                    QueuedEvent e = _ready[i];
                    int slot = Slot(e);
                    _readyView[i] = new ScheduledEvent(new TimeSpan(e.Time), e.Key >> SlotBits, _slots[slot].Handler!, _slots[slot].Arg);
                }
                pick = order.ChooseNext(_readyView.AsSpan(0, _ready.Count));
                Array.Clear(_readyView, 0, _ready.Count);
                if ((uint)pick >= (uint)_ready.Count)
                    throw new InvalidOperationException($"same-instant order chose {pick} of {_ready.Count} events");
            }
            QueuedEvent chosen = _ready[pick];
            _ready.RemoveAt(pick);
            return Fire(chosen) || StepOrdered(horizon);
        }
    }

    private void DropCancelledReady()
    {
        for (int i = _ready.Count - 1; i >= 0; i--)
        {
            if (Cancelled(_ready[i]))
            {
                _ready.RemoveAt(i);
                _cancelledInQueue--;
            }
        }
    }

    /// <summary>Runs the event, or drops it if it was cancelled. Returns whether it ran.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Fire(QueuedEvent e)
    {
        if (Cancelled(e))
        {
            _cancelledInQueue--; // its slot was freed when it was cancelled
            return false;
        }
        int slot = Slot(e);
        ref SlotRecord record = ref _slots[slot];
        EventReceiver handler = record.Handler!;
        long arg = record.Arg;
        FreeSlot(slot);
        _now = e.Time;
        Executed++;
        // The next events' records are likely cache misses, unless there are few: overlap them with this handler.
        (long first, long second) = _slotCount > PrefetchFrom ? _queue.Upcoming() : (-1, -1);
        if (first >= 0)
        {
            Prefetch(ref _slots[(int)(first & SlotMask)]);
            if (second >= 0)
                Prefetch(ref _slots[(int)(second & SlotMask)]);
        }
        handler.OnEvent(arg);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch(ref SlotRecord record)
    {
        if (Sse.IsSupported)
            Sse.Prefetch0(Unsafe.AsPointer(ref record));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Slot(in QueuedEvent e) => (int)(e.Key & SlotMask);

    /// <summary>The entry is a cancelled event's: its slot was freed, and holds nothing or another event now.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Cancelled(in QueuedEvent e) => !Holds(Slot(e), e.Key);

    /// <summary>The slot holds the event of <paramref name="key"/>: not freed since, nor taken by another.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Holds(int slot, long key)
    {
        ref SlotRecord record = ref _slots[slot];
        return record.Key == key && record.Handler is not null;
    }

    private int AllocateSlot()
    {
        int slot;
        if (_freeCount > 0)
        {
            slot = _freeSlots[--_freeCount];
        }
        else
        {
            if (_slotCount == _slots.Length)
            {
                if (_slotCount > SlotMask)
                    throw new InvalidOperationException($"more than {SlotMask + 1} events pending at once");
                int n = _slots.Length * 2;
                Array.Resize(ref _slots, n);
                Array.Resize(ref _freeSlots, n);
            }
            slot = _slotCount++;
        }
        return slot;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void FreeSlot(int slot)
    {
        _slots[slot].Handler = null;
        _freeSlots[_freeCount++] = slot;
    }

    /// <summary>Drops every cancelled entry, keeping the others' order.</summary>
    private void Compact()
    {
        int n = _queue.DrainAll(ref _scratch);
        int kept = 0;
        for (int i = 0; i < n; i++)
        {
            if (!Cancelled(_scratch[i]))
            {
                _queue.Push(_scratch[i]);
                kept++;
            }
        }
        _cancelledInQueue -= n - kept;
    }
}
