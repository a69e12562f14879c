using System.Globalization;
using ScottPlot;
using Zombiesim.Cli.Runs;
using static Zombiesim.Cli.Charts.ChartStyle;

namespace Zombiesim.Cli.Charts;

/// <summary>The distribution (ECDF) of successful requests' latency per function, per run, from the requests a run
/// keeps (requests.csv's: on a long run a sample, which the legend says with the run's total).</summary>
public static class LatencyChart
{
    public static Chart Draw(IReadOnlyList<RunData> runs, int width = DefaultWidth)
    {
        // Latencies as the files keep them (to the nanosecond), so that a chart drawn in memory equals one drawn from disk.
        static double Ms(Zombiesim.Core.Observation.RequestRecord r) => Math.Round(r.LatencyMs, 6);
        var ok = runs.SelectMany(r => r.Requests).Where(r => r.Ok).Select(Ms).ToList();
        // Cold starts put a tail 100 times above the body: then the axis is logarithmic (never with a latency of 0).
        bool log = ok.Count > 0 && ok.Min() > 0 && ok.Max() / ok.Min() > 50;
        string axis = log ? "latency (ms, log scale)" : "latency (ms)";
        string title = runs.Count > 1 ? RunNames.Title("Latency of successful requests, overlaid: ", RunNames.Of(runs), width)
            : $"{runs[0].Name}: latency of successful requests";
        var p = NewPlot(title, axis, "share of requests at or below");
        if (log)
        {
            p.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(LogTicks(ok.Min(), ok.Max()).ToArray());
        }
        var series = new Dictionary<string, double[]>();
        var names = RunNames.Of(runs);
        for (int r = 0; r < runs.Count; r++)
        {
            var run = runs[r];
            foreach (var g in run.Requests.Where(r => r.Ok).GroupBy(r => r.Function).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var sorted = g.Select(Ms).Order().ToArray();
                var (at, share) = Ecdf(sorted);
                string strategy = run.Header.Strategies.GetValueOrDefault(g.Key, "?");
                string name = $"{(runs.Count > 1 ? names[r] + ": " : "")}{g.Key} ({strategy})";
                var xs = log ? at.Select(v => Math.Log10(Math.Max(v, 1e-6))).ToArray() : at;
                // Hundreds of thousands of distinct latencies: the first and last of each column of the axis suffice.
                var keep = Downsample.Monotone(xs, Downsample.Columns(width));
                var line = p.Add.ScatterLine(Downsample.Pick(xs, keep), Downsample.Pick(share, keep));
                line.ConnectStyle = ConnectStyle.StepHorizontal;
                line.Color = LineColor(series.Count / 3);
                (line.LineWidth, line.LinePattern) = runs.Count > 1 ? RunLine(r, runs.Count) : (2, LinePattern.Solid);
                line.LegendText = $"{name}:\np50 {RunText.Ms(Quantile(sorted, 0.5))} ms, p99 {RunText.Ms(Quantile(sorted, 0.99))} ms"
                    + Count(sorted.Length, run.Successes?.GetValueOrDefault(g.Key));
                series[name] = sorted;
                series[name + " ECDF at"] = at;
                series[name + " ECDF share"] = share;
            }
        }
        if (ok.Count == 0)
        {
            // Nothing to draw: say so, rather than leave an empty frame (a run whose every request failed).
            p.Add.Annotation("no successful request in this run", Alignment.MiddleCenter);
            p.Axes.SetLimitsX(0, 1);
        }
        p.Axes.SetLimitsY(0, 1); // a share: nothing above 1
        if (!log && ok.Count > 0)
            p.Axes.SetLimitsX(0, Math.Max(ok.Max() * 1.05, 1)); // a linear axis starts at zero
        if (series.Count > 0)
            LegendOutside(p); // an outside legend with no entry leaves the whole figure blank
        return new Chart(p, "latency", series);
    }

    /// <summary>Ticks of a log10 axis from <paramref name="min"/> to <paramref name="max"/> (ms): 1, 2 and 5 of each decade
    /// labelled (a decade alone leaves 15 ms to guess between 10 and 100), the other whole numbers as minor ticks. Over
    /// more than four decades (a fleet's waits from 2 ms to 200,000 ms) only the powers of ten are labelled: the labels
    /// of 1, 2 and 5 would run into each other.</summary>
    public static IEnumerable<Tick> LogTicks(double min, double max)
    {
        int first = (int)Math.Floor(Math.Log10(min)), last = (int)Math.Floor(Math.Log10(max));
        bool wide = last - first + 1 > 4;
        for (int decade = first; decade <= last; decade++)
        {
            for (int m = 1; m <= 9; m++)
            {
                double v = m * Math.Pow(10, decade);
                yield return m == 1 || (!wide && m is 2 or 5)
                    ? new Tick(Math.Log10(v), v.ToString(v < 1 ? "0.###" : "#,0", CultureInfo.InvariantCulture), true)
                    : new Tick(Math.Log10(v), "", false);
            }
        }
    }

    /// <summary>How many requests a line is drawn from: all of the function's successes, or a sample of them.</summary>
    public static string Count(int drawn, long? total) => total is { } all && all > drawn
        ? $"\nin a sample of {drawn:N0} of {all:N0} (requests.csv)"
        : $", n {drawn:N0}";

    /// <summary>
    /// The empirical distribution as steps: it is 0 up to the smallest latency, and at each distinct
    /// latency it jumps to the share of requests at or below it (equal latencies make one jump).
    /// Points: (min, 0), then (x, F(x)) for each distinct x, for a line drawn as horizontal-then-vertical steps.
    /// </summary>
    public static (double[] At, double[] Share) Ecdf(double[] sorted)
    {
        if (sorted.Length == 0)
            return ([], []);
        var at = new List<double> { sorted[0] };
        var share = new List<double> { 0 };
        for (int i = 0; i < sorted.Length; i++)
        {
            if (i + 1 < sorted.Length && sorted[i + 1] == sorted[i])
                continue; // ties: one jump, at the last of them
            at.Add(sorted[i]);
            share.Add((double)(i + 1) / sorted.Length);
        }
        return (at.ToArray(), share.ToArray());
    }

    private static double Quantile(double[] sorted, double q) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
