using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;

namespace Zombiesim.Tests.Core;

/// <summary>The histogram holds only the buckets it has seen; its quantiles are those of the whole 2,400 buckets.</summary>
public class LatencyHistogramTests
{
    /// <summary>The quantile as every bucket from 1 us to about 3 h, 1% wide, gives it.</summary>
    private static double Reference(IReadOnlyList<double> latencies, double q)
    {
        if (latencies.Count == 0)
            return 0;
        var counts = new long[2400];
        foreach (double ms in latencies)
            counts[ms <= 0.001 ? 0 : Math.Min(2399, (int)Math.Ceiling(Math.Log(ms / 0.001) / Math.Log(1.01)))]++;
        long rank = (long)Math.Ceiling(q * latencies.Count), seen = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= Math.Max(rank, 1))
                return Math.Min(latencies.Max(), 0.001 * Math.Pow(1.01, i));
        }
        return latencies.Max();
    }

    [Theory]
    [InlineData(1, 0.5, 3.0)]          // milliseconds around a millisecond: one window
    [InlineData(2, 0.0001, 1e7)]       // from below 1 us to past 3 h: the window grows both ways to every bucket
    [InlineData(3, 200.0, 400.0)]      // a narrow band far from the first bucket
    public void Quantiles_and_merges_equal_those_of_every_bucket(int seed, double low, double high)
    {
        var rng = new System.Random(seed);
        var all = new List<double>();
        var whole = new LatencyHistogram();
        var parts = new[] { new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram() };
        for (int n = 0; n < 5_000; n++)
        {
            // Log-uniform between low and high, with a few exact edges.
            double ms = n % 97 == 0 ? low : Math.Exp(Math.Log(low) + rng.NextDouble() * (Math.Log(high) - Math.Log(low)));
            all.Add(ms);
            whole.Add(ms);
            parts[n % 3].Add(ms);
        }
        var merged = new LatencyHistogram();
        foreach (var p in parts)
            merged.Add(p);
        foreach (double q in new[] { 0.0, 0.01, 0.5, 0.9, 0.99, 0.999, 1.0 })
        {
            whole.Quantile(q).Should().Be(Reference(all, q), $"q = {q}");
            merged.Quantile(q).Should().Be(Reference(all, q), $"q = {q}, merged");
        }
        whole.Count.Should().Be(5_000);
        new LatencyHistogram().Quantile(0.99).Should().Be(0);
    }
}
