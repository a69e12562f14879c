namespace Zombiesim.Cli.Charts;

/// <summary>
/// Which samples a chart draws when there are more than two a pixel column: the samples are cut into
/// <c>columns</c> runs of consecutive samples and, in each, the ones holding each given series'
/// minimum and maximum are kept (in time order), with the first and last samples. A spike of a single sample therefore survives
/// however long the run. Stacked layers are drawn from the indices of their total (so they stay
/// stacked and the stack's top keeps its extremes); a line from its own.
/// </summary>
public static class Downsample
{
    /// <summary>The indices to draw: all of them when there are at most <paramref name="columns"/> * 2 samples,
    /// else at most 2 * <paramref name="columns"/> per series.</summary>
    public static int[] Indices(int count, IReadOnlyList<double[]> series, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if (count <= 2 * columns)
            return Enumerable.Range(0, count).ToArray();
        var keep = new List<int>(4 * columns);
        for (int b = 0; b < columns; b++)
        {
            int from = (int)((long)b * count / columns), to = (int)((long)(b + 1) * count / columns); // [from, to)
            var bucket = new SortedSet<int>();
            foreach (var s in series)
            {
                int min = from, max = from;
                for (int i = from + 1; i < to; i++)
                {
                    if (s[i] < s[min])
                        min = i;
                    if (s[i] > s[max])
                        max = i;
                }
                bucket.Add(min);
                bucket.Add(max);
            }
            keep.AddRange(bucket);
        }
        if (keep[0] != 0)
            keep.Insert(0, 0); // the line starts with the run
        if (keep[^1] != count - 1)
            keep.Add(count - 1); // and ends with it
        return keep.ToArray();
    }

    /// <summary>Times (scaled) and values of one line, downsampled on its own extremes.</summary>
    public static (double[] X, double[] Y) Line(double[] t, double scale, double[] values, int columns)
    {
        var idx = Indices(values.Length, [values], columns);
        return (Pick(t, idx).Select(x => x / scale).ToArray(), Pick(values, idx));
    }

    /// <summary>The values at <paramref name="indices"/>.</summary>
    public static double[] Pick(double[] values, int[] indices)
    {
        var picked = new double[indices.Length];
        for (int i = 0; i < indices.Length; i++)
            picked[i] = values[indices[i]];
        return picked;
    }

    /// <summary>Points for a count held from one sample to the next (a step), for fills that cannot draw steps:
    /// each value is repeated at the next sample's instant.</summary>
    public static double[] StepsX(double[] x) =>
        x.Length == 0 ? x : x.SelectMany((v, i) => i == 0 ? new[] { v } : new[] { v, v }).ToArray();

    /// <inheritdoc cref="StepsX"/>
    public static double[] StepsY(double[] y) =>
        y.Length == 0 ? y : y.SelectMany((v, i) => i == 0 ? new[] { v } : new[] { y[i - 1], v }).ToArray();
}
