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

    /// <summary>Columns for a figure <paramref name="width"/> pixels wide: its data area is at least half of it,
    /// so one column for each two pixels of the figure is at least one a pixel of the data.</summary>
    public static int Columns(int width) => Math.Max(50, width / 2);

    /// <summary>
    /// For a monotone line (an ECDF): the x range cut into <paramref name="columns"/> equal parts and, in
    /// each, the first and last point kept (the line's extremes there), with the first and last of all.
    /// </summary>
    public static int[] Monotone(double[] x, int columns)
    {
        if (x.Length <= 2 * columns)
            return Enumerable.Range(0, x.Length).ToArray();
        double from = x[0], span = x[^1] - x[0];
        var keep = new List<int>(2 * columns + 2) { 0 };
        int last = -1;
        for (int i = 1; i < x.Length; i++)
        {
            int column = span <= 0 ? 0 : Math.Min(columns - 1, (int)((x[i] - from) / span * columns));
            int previous = span <= 0 ? 0 : Math.Min(columns - 1, (int)((x[i - 1] - from) / span * columns));
            if (column != previous || i == x.Length - 1)
            {
                if (keep[^1] != i - 1)
                    keep.Add(i - 1); // the last of the previous column
                keep.Add(i); // the first of this one
            }
            last = i;
        }
        if (keep[^1] != last)
            keep.Add(last);
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
