using System.Globalization;

namespace Zombiesim.Cli.Commands;

/// <summary>How a benchmark figure spread over its repetitions: the median, the quartiles (linear
/// interpolation between order statistics) and the extremes.</summary>
public sealed record Spread(double Median, double Q1, double Q3, double Min, double Max, int Repetitions)
{
    public static Spread Of(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        if (sorted.Length == 0)
            throw new ArgumentException("no values", nameof(values));
        return new Spread(Quantile(sorted, 0.5), Quantile(sorted, 0.25), Quantile(sorted, 0.75), sorted[0], sorted[^1], sorted.Length);
    }

    /// <summary>"median (min-max)" with the given number format, or the median alone for one repetition.</summary>
    public string Text(string format) =>
        Repetitions == 1
            ? Median.ToString(format, CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture,
                $"{Median.ToString(format, CultureInfo.InvariantCulture)} ({Min.ToString(format, CultureInfo.InvariantCulture)}"
                + $"-{Max.ToString(format, CultureInfo.InvariantCulture)})");

    private static double Quantile(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
    }
}
