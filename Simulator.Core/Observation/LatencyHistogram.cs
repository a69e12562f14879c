namespace Zombiesim.Core.Observation;

/// <summary>Latency percentiles in constant memory: log-spaced buckets 1% wide from 1 us to about 3 h.</summary>
public sealed class LatencyHistogram
{
    private const double Min = 0.001; // ms
    private const double Growth = 1.01;
    private readonly long[] _counts = new long[2400];
    private long _total;
    private double _max;

    public void Add(double ms)
    {
        int i = ms <= Min ? 0 : Math.Min(_counts.Length - 1, (int)Math.Ceiling(Math.Log(ms / Min) / Math.Log(Growth)));
        _counts[i]++;
        _total++;
        _max = Math.Max(_max, ms);
    }

    public long Count => _total;

    /// <summary>Adds every latency of <paramref name="other"/> (a group's percentiles from its members').</summary>
    public void Add(LatencyHistogram other)
    {
        for (int i = 0; i < _counts.Length; i++)
            _counts[i] += other._counts[i];
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
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= Math.Max(rank, 1))
                return Math.Min(_max, Min * Math.Pow(Growth, i));
        }
        return _max;
    }
}
