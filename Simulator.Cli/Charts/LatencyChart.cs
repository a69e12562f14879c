using System.Globalization;
using ScottPlot;
using Zombiesim.Cli.Runs;
using static Zombiesim.Cli.Charts.ChartStyle;

namespace Zombiesim.Cli.Charts;

/// <summary>The distribution (ECDF) of successful requests' latency per function, per run.</summary>
public static class LatencyChart
{
    public static Chart Draw(IReadOnlyList<RunData> runs)
    {
        // Latencies as the files keep them (to the nanosecond), so that a chart drawn in memory equals one drawn from disk.
        static double Ms(Zombiesim.Core.Observation.RequestRecord r) => Math.Round(r.LatencyMs, 6);
        var ok = runs.SelectMany(r => r.Requests).Where(r => r.Ok && Ms(r) > 0).Select(Ms).ToList();
        // Cold starts put a tail 100 times above the body: then the axis is logarithmic.
        bool log = ok.Count > 0 && ok.Max() / ok.Min() > 50;
        string axis = log ? "latency (ms, log scale)" : "latency (ms)";
        var p = NewPlot("Latency of successful requests", axis, "share of requests at or below");
        if (log)
        {
            p.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                IntegerTicksOnly = true,
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                LabelFormatter = v => Math.Pow(10, v).ToString("0.###", CultureInfo.InvariantCulture),
            };
        }
        var series = new Dictionary<string, double[]>();
        foreach (var run in runs)
        {
            foreach (var g in run.Requests.Where(r => r.Ok).GroupBy(r => r.Function).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var sorted = g.Select(Ms).Order().ToArray();
                var ys = Enumerable.Range(1, sorted.Length).Select(i => (double)i / sorted.Length).ToArray();
                string strategy = run.Header.Strategies.GetValueOrDefault(g.Key, "?");
                string name = $"{(runs.Count > 1 ? run.Name + ": " : "")}{g.Key} ({strategy})";
                var xs = log ? sorted.Select(v => Math.Log10(Math.Max(v, 1e-6))).ToArray() : sorted;
                var line = p.Add.ScatterLine(xs, ys);
                line.ConnectStyle = ConnectStyle.StepHorizontal;
                line.LineWidth = 2;
                line.LegendText = $"{name}: p50 {Text(Quantile(sorted, 0.5))} ms, p99 {Text(Quantile(sorted, 0.99))} ms";
                series[name] = sorted;
            }
        }
        p.Axes.SetLimitsY(0, 1.05);
        p.ShowLegend(Alignment.LowerRight);
        return new Chart(p, "latency", series);

        static string Text(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
    }

    private static double Quantile(double[] sorted, double q) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
