using System.Globalization;
using ScottPlot;
using Zombiesim.Cli.Searches;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Search;
using static Zombiesim.Cli.Charts.ChartStyle;

namespace Zombiesim.Cli.Charts;

/// <summary>One parameter: the failure rate with its interval band against the parameter, the
/// objective's metric on the right axis, the boundary and the recommendation marked. Two: a heatmap
/// of the failure rate.</summary>
public static class SearchChart
{
    public static Chart Draw(SearchReport search)
    {
        var vary = search.Vary.Select(v => v.Path).ToList();
        return vary.Count == 2 ? Heatmap(search, vary) : Rate(search, vary[0]);
    }

    private static Chart Heatmap(SearchReport search, List<string> vary)
    {
        var points = search.Points;
        var series = new Dictionary<string, double[]>();
        var xs = points.Select(p => p.Values[0]).Distinct().ToList();
        var ys = points.Select(p => p.Values[1]).Distinct().ToList();
        var grid = new double[ys.Count, xs.Count];
        for (int i = 0; i < ys.Count; i++)
            for (int j = 0; j < xs.Count; j++)
                grid[ys.Count - 1 - i, j] = double.NaN;
        foreach (var pt in points)
        {
            int j = xs.IndexOf(pt.Values[0]), i = ys.IndexOf(pt.Values[1]);
            grid[ys.Count - 1 - i, j] = 100 * pt.FailureRate;
        }
        var hp = NewPlot($"{search.Scenario}: failure rate (%)", vary[0], vary[1]);
        var hm = hp.Add.Heatmap(grid);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        var bar = hp.Add.ColorBar(hm);
        bar.Label = "failure rate (%)";
        hp.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xs.Select((x, k) => new Tick(k, x)).ToArray());
        hp.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ys.Select((y, k) => new Tick(k, y)).ToArray());
        series["failure rate (%)"] = points.Select(pt => 100 * pt.FailureRate).ToArray();
        double max = points.Select(pt => 100 * pt.FailureRate).DefaultIfEmpty(0).Max();
        foreach (var pt in points)
        {
            int j = xs.IndexOf(pt.Values[0]), i = ys.IndexOf(pt.Values[1]);
            double rate = 100 * pt.FailureRate;
            var text = hp.Add.Text($"{rate.ToString("0.#", CultureInfo.InvariantCulture)}%\n{pt.Failures}/{pt.Runs} runs", j, i);
            text.Alignment = Alignment.MiddleCenter;
            text.LabelFontSize = 13;
            // Viridis is dark below the middle of its range and light above it.
            text.LabelFontColor = max > 0 && rate > max / 2 ? Colors.Black : Colors.White;
        }
        if (search.Recommended is { Count: 2 } rec)
        {
            int j = xs.IndexOf(rec[0]), i = ys.IndexOf(rec[1]);
            var mark = hp.Add.Rectangle(j - 0.48, j + 0.48, i - 0.48, i + 0.48);
            mark.FillStyle.Color = Colors.Transparent;
            mark.LineColor = Colors.Red;
            mark.LineWidth = 4;
            mark.LegendText = $"recommended: {vary[0]} = {rec[0]}, {vary[1]} = {rec[1]}";
            series["recommended"] = [j, i];
        }
        hp.ShowLegend(Edge.Bottom);
        return new Chart(hp, "search", series);
    }

    private static Chart Rate(SearchReport search, string path)
    {
        var points = search.Points;
        var series = new Dictionary<string, double[]>();
        var labels = points.Select(pt => pt.Values[0]).ToList();
        bool durations = labels.All(l => DurationText.TryParse(l, out _, out _));
        var x = labels.Select(l => durations && DurationText.TryParse(l, out var d, out _) ? d.TotalSeconds
            : double.Parse(l, CultureInfo.InvariantCulture)).ToArray();
        var rate = points.Select(pt => 100 * pt.FailureRate).ToArray();
        var low = points.Select(pt => 100 * pt.Low).ToArray();
        var high = points.Select(pt => 100 * pt.High).ToArray();
        series["failure rate (%)"] = rate;
        series["interval low (%)"] = low;
        series["interval high (%)"] = high;
        var plt = NewPlot($"{search.Scenario}: failure rate against {path}", $"{path}{(durations ? " (s)" : "")}", "runs failing (%)");
        var band = plt.Add.FillY(x, high, low);
        band.FillColor = Distinct.GetColor(0).WithAlpha(0.25);
        band.LineWidth = 0;
        band.LegendText = $"{100 * search.Confidence:0}% interval";
        var line = plt.Add.Scatter(x, rate);
        line.Color = Distinct.GetColor(0);
        line.LineWidth = 2;
        line.LegendText = "failure rate";
        if (search.Objective.Metric is { } metric && points.All(pt => pt.Metrics.ContainsKey(metric)))
        {
            string name = metric.Name();
            var cost = points.Select(pt => pt.Metrics[metric]).ToArray();
            series[name] = cost;
            var c = plt.Add.Scatter(x, cost);
            c.Color = Distinct.GetColor(1);
            c.LinePattern = LinePattern.Dashed;
            c.LegendText = $"{name} (right axis)";
            c.Axes.YAxis = plt.Axes.Right;
            plt.Axes.Right.Label.Text = name;
        }
        if (search.Recommended?[0] is { } recommended)
        {
            double rx = x[labels.IndexOf(recommended)];
            var v = plt.Add.VerticalLine(rx);
            v.Color = Colors.DarkGreen;
            v.LineWidth = 2;
            v.LegendText = $"recommended: {recommended}";
            series["recommended"] = [rx];
        }
        if (search.Boundary?[0] is { } boundary)
        {
            var b = plt.Add.VerticalLine(x[labels.IndexOf(boundary)]);
            b.Color = Colors.DarkOrange;
            b.LinePattern = LinePattern.Dashed;
            b.LegendText = $"boundary: {boundary}";
        }
        plt.Axes.SetLimitsY(0, Math.Clamp(high.DefaultIfEmpty(0).Max() * 1.1, 5, 100)); // a share of runs: never above 100%
        plt.Axes.SetLimitsX(0, x.DefaultIfEmpty(1).Max() * 1.05); // the parameter's axis starts at zero too
        if (series.TryGetValue(search.Objective.Metric?.Name() ?? "", out var costs))
            plt.Axes.SetLimits(0, x.DefaultIfEmpty(1).Max() * 1.05, 0, Math.Max(1, costs.Max()) * 1.1, plt.Axes.Bottom, plt.Axes.Right);
        LegendOutside(plt);
        return new Chart(plt, "search", series);
    }
}
