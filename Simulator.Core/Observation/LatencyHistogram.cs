namespace Zombiesim.Core.Observation;

/// <summary>Latency percentiles in constant memory: log-spaced buckets 1% wide from 1 us to about 3 h. Only the
/// range of buckets seen so far is held (a search's small run sees a few hundred of the 2,400).</summary>
public sealed class LatencyHistogram
{
    private const double Min = 0.001; // ms
    private const double Growth = 1.01;
    private const int Buckets = 2400;
    private long[] _counts = []; // buckets _first .. _first + _counts.Length - 1
    private int _first;
    private long _total;
    private double _max;

    public void Add(double ms)
    {
        int i = ms <= Min ? 0 : Math.Min(Buckets - 1, (int)Math.Ceiling(Math.Log(ms / Min) / Math.Log(Growth)));
        Cover(i, i);
        _counts[i - _first]++;
        _total++;
        _max = Math.Max(_max, ms);
    }

    public long Count => _total;

    /// <summary>Forgets every latency, keeping the buckets held (a quantile does not depend on which are held).</summary>
    public void Clear()
    {
        Array.Clear(_counts);
        _total = 0;
        _max = 0;
    }

    /// <summary>Adds every latency of <paramref name="other"/> (a group's percentiles from its members').</summary>
    public void Add(LatencyHistogram other)
    {
        if (other._counts.Length > 0)
        {
            Cover(other._first, other._first + other._counts.Length - 1);
            for (int j = 0; j < other._counts.Length; j++)
                _counts[other._first + j - _first] += other._counts[j];
        }
        _total += other._total;
        _max = Math.Max(_max, other._max);
    }

    /// <summary>The upper edge of the bucket holding the q-quantile (within 1%), or 0 when empty.</summary>
    public double Quantile(double q)
    {
        if (_total == 0)
            return 0;
        long rank = (long)Math.Ceiling(q * _total);
        long seen = 0;
        for (int j = 0; j < _counts.Length; j++)
        {
            seen += _counts[j];
            if (seen >= Math.Max(rank, 1))
                return Math.Min(_max, Min * Math.Pow(Growth, _first + j));
        }
        return _max;
    }

    /// <summary>Widens the buckets held to cover <paramref name="low"/> to <paramref name="high"/>: at least twice as
    /// many (64 at first, at most all of them), the slack shared on both sides.</summary>
    private void Cover(int low, int high)
    {
        int last = _first + _counts.Length - 1;
        if (_counts.Length > 0 && low >= _first && high <= last)
            return;
        int needLow = _counts.Length == 0 ? low : Math.Min(_first, low);
        int needHigh = _counts.Length == 0 ? high : Math.Max(last, high);
        int length = Math.Max(needHigh - needLow + 1, Math.Min(Buckets, Math.Max(64, _counts.Length * 2)));
        int first = Math.Clamp(needLow - (length - (needHigh - needLow + 1)) / 2, 0, Buckets - length);
        var counts = new long[length];
        if (_counts.Length > 0)
            Array.Copy(_counts, 0, counts, _first - first, _counts.Length);
        (_counts, _first) = (counts, first);
    }
}
