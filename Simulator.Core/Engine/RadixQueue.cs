using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Zombiesim.Core.Engine;

/// <summary>An entry of the event queue: the instant, and a key the queue carries without reading
/// (the scheduler's insertion sequence and slot).</summary>
internal struct QueuedEvent
{
    public long Time;
    public long Key;
}

/// <summary>
/// A monotone radix heap (Ahuja, Mehlhorn, Orlin and Tarjan 1990) of events by instant, first in
/// first out among equal instants, with 64-ary digits. It holds instants at or after the last
/// minimum taken (<c>floor</c>); an entry waits in the bucket of (the highest 6-bit digit where its
/// instant differs from the floor, its instant's value of that digit), bucket 0 holding those equal
/// to the floor; buckets are numbered in the order of the instants they hold. Taking the minimum
/// pops bucket 0, or first moves the lowest non-empty bucket down around its own minimum, which
/// becomes the floor. Each entry moves at most once per digit (11 of them), mostly a few times;
/// moves read and write memory in order, where a heap's sift jumps across it. Entries with equal
/// instants always share a bucket and keep their order through every move, so equal instants come
/// out in insertion order.
/// An instant before the floor (possible after a peek beyond a run's horizon) re-files every
/// entry around it; scheduling never does that otherwise, as it never schedules in the past.
/// Buckets are chains of fixed-size chunks from one pool, reused, so that memory follows the
/// entries held and the steady state allocates nothing.
/// </summary>
internal sealed class RadixQueue
{
    private const int ChunkBits = 4;
    private const int ChunkSize = 1 << ChunkBits;
    private const int DigitBits = 6;
    private const int Radix = 1 << DigitBits;
    private const int Levels = (63 + DigitBits - 1) / DigitBits; // instants are non-negative: bits 0 to 62
    private const int BucketCount = 1 + Levels * (Radix - 1); // 0, then (level, digit from 1) in order
    private const int MaskWords = (BucketCount + 63) / 64;

    private struct Bucket
    {
        public int Head;    // first chunk of the chain, -1 when the bucket never had one
        public int HeadPos; // next entry to pop in the head chunk (bucket 0 only; 0 elsewhere)
        public int Tail;    // last chunk
        public int TailPos; // entries written in the tail chunk
        public int Count;
    }

    private QueuedEvent[] _entries;
    private int[] _nextChunk; // the next chunk of a chain, or of the free list
    private int _freeChunk = -1;
    private int _chunksUsed;
    private readonly Bucket[] _buckets = new Bucket[BucketCount];
    private readonly ulong[] _nonEmpty = new ulong[MaskWords]; // bit b set when bucket b holds entries
    private long _floor;
    private QueuedEvent[] _scratch = [];

    public RadixQueue(int capacity)
    {
        // Only non-empty buckets hold chunks, all full but one: capacity entries in full chunks, 16
        // partly filled ones and the chunk being drained while a bucket moves down; the pool doubles
        // when more are needed (a small run's queue then costs a few kilobytes, not one chunk a bucket).
        int chunks = (capacity + ChunkSize - 1) / ChunkSize + Math.Min(16, capacity) + 1;
        _entries = new QueuedEvent[chunks * ChunkSize];
        _nextChunk = new int[chunks];
        for (int b = 0; b < BucketCount; b++)
            _buckets[b].Head = _buckets[b].Tail = -1;
    }

    /// <summary>Entries held.</summary>
    public int Count { get; private set; }

    /// <summary>Empties the queue, keeping its storage: it then behaves as a new one (the same chunks in the same
    /// order), only without growing to the size it already had.</summary>
    public void Clear()
    {
        for (int b = 0; b < BucketCount; b++)
            _buckets[b] = new Bucket { Head = -1, Tail = -1 };
        Array.Clear(_nonEmpty);
        _freeChunk = -1;
        _chunksUsed = 0;
        _floor = 0;
        Count = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Push(in QueuedEvent e)
    {
        if (e.Time < _floor)
            Refile(e.Time);
        Append(BucketOf(e.Time), e);
    }

    /// <summary>The earliest entry (the first pushed among the earliest). The queue must not be empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref readonly QueuedEvent Min()
    {
        ref Bucket zero = ref MemoryMarshal.GetArrayDataReference(_buckets);
        if (zero.Count == 0)
            Redistribute();
        return ref Entry((zero.Head << ChunkBits) + zero.HeadPos);
    }

    /// <summary>Removes the earliest entry into <paramref name="e"/> if there is one due at or before
    /// <paramref name="horizon"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPop(long horizon, out QueuedEvent e)
    {
        if (Count == 0 || Min().Time > horizon)
        {
            e = default;
            return false;
        }
        e = Pop();
        return true;
    }

    /// <summary>Removes the next entry into <paramref name="e"/> if it is due at <paramref name="time"/>, the
    /// instant of the last entry taken. Unlike <see cref="Min"/>, it never looks beyond that instant, so
    /// entries pushed for it afterwards do not make the queue re-file.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPopAt(long time, out QueuedEvent e)
    {
        if (_floor != time || _buckets[0].Count == 0)
        {
            e = default;
            return false;
        }
        e = Pop();
        return true;
    }

    /// <summary>Removes and returns the earliest entry. The queue must not be empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public QueuedEvent Pop()
    {
        ref Bucket zero = ref MemoryMarshal.GetArrayDataReference(_buckets);
        if (zero.Count == 0)
            Redistribute();
        QueuedEvent e = Entry((zero.Head << ChunkBits) + zero.HeadPos++);
        Count--;
        if (--zero.Count == 0)
        {
            Release(ref zero);
            _nonEmpty[0] &= ~1UL;
        }
        else if (zero.HeadPos == ChunkSize)
        {
            int next = _nextChunk[zero.Head];
            FreeChunk(zero.Head);
            zero.Head = next;
            zero.HeadPos = 0;
        }
        return e;
    }

    /// <summary>The keys of the heads of the two lowest non-empty buckets, likely the next entries
    /// out (-1 where there is none): something to prefetch for.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public (long First, long Second) Upcoming()
    {
        if (Count == 0)
            return (-1, -1);
        int b = Lowest(0);
        int next = Lowest(b + 1);
        return (HeadKey(b), next < 0 ? -1 : HeadKey(next));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long HeadKey(int b)
    {
        ref Bucket k = ref BucketAt(b);
        return Entry((k.Head << ChunkBits) + k.HeadPos).Key;
    }

    /// <summary>Moves every entry, in order (equal instants in insertion order), into
    /// <paramref name="into"/> (grown as needed) and empties the queue; returns how many.</summary>
    public int DrainAll(ref QueuedEvent[] into)
    {
        if (into.Length < Count)
            into = new QueuedEvent[Math.Max(Count, into.Length * 2)];
        int n = 0;
        for (int b = Lowest(0); b >= 0; b = Lowest(b + 1))
        {
            ref Bucket k = ref _buckets[b];
            int chunk = k.Head, pos = k.HeadPos, left = k.Count;
            while (left > 0)
            {
                into[n++] = _entries[(chunk << ChunkBits) + pos];
                left--;
                if (++pos == ChunkSize && left > 0)
                {
                    int next = _nextChunk[chunk];
                    FreeChunk(chunk);
                    chunk = next;
                    pos = 0;
                }
            }
            k.Head = chunk;
            k.Count = 0;
            Release(ref k);
        }
        Array.Clear(_nonEmpty);
        Count = 0;
        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int BucketOf(long time)
    {
        ulong x = (ulong)(time ^ _floor);
        if (x == 0)
            return 0;
        int level = (63 - BitOperations.LeadingZeroCount(x)) / DigitBits;
        int digit = (int)((ulong)time >> (level * DigitBits)) & (Radix - 1); // above the floor's: 1 or more
        return 1 + level * (Radix - 1) + digit - 1;
    }

    /// <summary>The lowest non-empty bucket from <paramref name="from"/> on, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Lowest(int from)
    {
        for (int w = from >> 6; w < MaskWords; w++)
        {
            ulong bits = _nonEmpty[w];
            if (w == from >> 6)
                bits &= ~0UL << (from & 63);
            if (bits != 0)
                return (w << 6) + BitOperations.TrailingZeroCount(bits);
        }
        return -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Append(int b, in QueuedEvent e)
    {
        ref Bucket k = ref BucketAt(b);
        if (k.Count == 0)
        {
            k.Head = k.Tail = NewChunk();
            _nonEmpty[b >> 6] |= 1UL << b;
        }
        else if (k.TailPos == ChunkSize)
        {
            int chunk = NewChunk();
            _nextChunk[k.Tail] = chunk;
            k.Tail = chunk;
            k.TailPos = 0;
        }
        Entry((k.Tail << ChunkBits) + k.TailPos++) = e;
        k.Count++;
        Count++;
    }

    /// <summary>Bucket 0 is empty: the lowest non-empty bucket's minimum becomes the floor, and its
    /// entries move to lower buckets, in order (the minimum's equals to bucket 0).</summary>
    private void Redistribute()
    {
        int b = Lowest(1);
        ref Bucket k = ref BucketAt(b);
        if (k.Count == 1)
        {
            // A lone entry: its chain becomes bucket 0's (empty, it holds no chunk).
            ref Bucket zero = ref BucketAt(0);
            _floor = Entry(k.Head << ChunkBits).Time;
            (zero, k) = (k, zero);
            _nonEmpty[b >> 6] &= ~(1UL << b);
            _nonEmpty[0] |= 1UL;
            return;
        }
        long min = long.MaxValue;
        int chunk = k.Head, pos = 0;
        for (int left = k.Count; left > 0; left--)
        {
            long t = Entry((chunk << ChunkBits) + pos).Time;
            if (t < min)
                min = t;
            if (++pos == ChunkSize)
            {
                chunk = _nextChunk[chunk];
                pos = 0;
            }
        }
        _floor = min;
        int count = k.Count;
        chunk = k.Head;
        pos = 0;
        k.Count = 0;
        k.TailPos = 0;
        _nonEmpty[b >> 6] &= ~(1UL << b);
        Count -= count;
        for (int left = count; left > 0; left--)
        {
            QueuedEvent e = Entry((chunk << ChunkBits) + pos); // the moves may grow the pool: read it afresh
            Append(BucketOf(e.Time), e); // always a lower bucket: never the chain being read
            if (++pos == ChunkSize && left > 1)
            {
                int next = _nextChunk[chunk];
                FreeChunk(chunk);
                chunk = next;
                pos = 0;
            }
        }
        k.Head = chunk;
        Release(ref k);
    }

    /// <summary>An emptied bucket gives its last chunk back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Release(ref Bucket k)
    {
        FreeChunk(k.Head);
        k.Head = k.Tail = -1;
        k.HeadPos = k.TailPos = 0;
    }

    /// <summary>An instant before the floor: every entry is filed again around it.</summary>
    private void Refile(long floor)
    {
        int n = DrainAll(ref _scratch);
        _floor = floor;
        for (int i = 0; i < n; i++)
            Append(BucketOf(_scratch[i].Time), _scratch[i]);
    }

    /// <summary>An entry by index, unchecked: indices come from the chains, which stay inside the pool.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref QueuedEvent Entry(int index) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_entries), index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref Bucket BucketAt(int b) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_buckets), b);

    private int NewChunk()
    {
        if (_freeChunk >= 0)
        {
            int free = _freeChunk;
            _freeChunk = _nextChunk[free];
            return free;
        }
        if (_chunksUsed == _nextChunk.Length)
        {
            Array.Resize(ref _nextChunk, _nextChunk.Length * 2);
            Array.Resize(ref _entries, _entries.Length * 2);
        }
        return _chunksUsed++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void FreeChunk(int chunk)
    {
        _nextChunk[chunk] = _freeChunk;
        _freeChunk = chunk;
    }
}
