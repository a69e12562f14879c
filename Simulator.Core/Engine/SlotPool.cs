namespace Zombiesim.Core.Engine;

/// <summary>
/// Values waiting for their event, in a reused array: an event carries the slot number as its
/// argument, so scheduling with a payload allocates nothing once the pool has grown.
/// </summary>
public sealed class SlotPool<T>
{
    private T[] _slots = new T[64];
    private readonly Stack<int> _free = new();
    private int _used;

    /// <summary>Stores <paramref name="value"/>; the slot number to pass as the event's argument.</summary>
    public long Add(T value)
    {
        int i;
        if (_free.Count > 0)
        {
            i = _free.Pop();
        }
        else
        {
            if (_used == _slots.Length)
                Array.Resize(ref _slots, _slots.Length * 2);
            i = _used++;
        }
        _slots[i] = value;
        return i;
    }

    /// <summary>The value in a slot still held, to change in place.</summary>
    public ref T this[long slot] => ref _slots[(int)slot];

    /// <summary>Frees every slot, keeping the array: the pool then hands out slots as a new one would.</summary>
    public void Clear()
    {
        Array.Clear(_slots, 0, _used);
        _free.Clear();
        _used = 0;
    }

    /// <summary>The value in the slot, which is freed.</summary>
    public T Take(long slot)
    {
        int i = (int)slot;
        T value = _slots[i];
        _slots[i] = default!;
        _free.Push(i);
        return value;
    }
}
