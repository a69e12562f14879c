namespace Zombiesim.Core.Observation;

/// <summary>Counts by category over a fixed list of category names: a dictionary's view, an array's cost.</summary>
public sealed class CategoryCounts(string[] keys) : IReadOnlyDictionary<string, int>
{
    private readonly int[] _counts = new int[keys.Length];

    /// <summary>Counts one in the category at <paramref name="index"/>; a negative index (a state with
    /// no category on that side, such as LISTEN) is not counted.</summary>
    internal void Add(int index, int n = 1)
    {
        if (index >= 0)
            _counts[index] += n;
    }

    public int this[string key] => _counts[IndexOf(key)];

    /// <summary>The counts in category order.</summary>
    public ReadOnlySpan<int> Counts => _counts;

    internal void Clear() => Array.Clear(_counts);

    internal void CopyFrom(CategoryCounts other) => other._counts.CopyTo(_counts, 0);

    /// <summary>Each count becomes the larger of itself and <paramref name="other"/>'s.</summary>
    internal void Max(CategoryCounts other)
    {
        for (int i = 0; i < _counts.Length; i++)
            _counts[i] = Math.Max(_counts[i], other._counts[i]);
    }
    public IEnumerable<string> Keys => keys;
    public IEnumerable<int> Values => _counts;
    public int Count => keys.Length;
    public int Total
    {
        get
        {
            int t = 0;
            foreach (int c in _counts) t += c;
            return t;
        }
    }
    public bool ContainsKey(string key) => Array.IndexOf(keys, key) >= 0;

    public bool TryGetValue(string key, out int value)
    {
        int i = Array.IndexOf(keys, key);
        value = i >= 0 ? _counts[i] : 0;
        return i >= 0;
    }

    public IEnumerator<KeyValuePair<string, int>> GetEnumerator()
    {
        for (int i = 0; i < keys.Length; i++)
            yield return new(keys[i], _counts[i]);
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(string key) =>
        Array.IndexOf(keys, key) is var i and >= 0 ? i : throw new KeyNotFoundException($"no category '{key}'");
}
