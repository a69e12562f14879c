using ScottPlot;

namespace Zombiesim.Cli.Charts;

/// <summary>
/// Panels stacked top to bottom in one figure, each with its share of the height, their data areas
/// aligned (the same left and right margins, room on the right for the legends) and their time axes
/// the same, ticks included: one scale per axis, each quantity in its own panel.
/// </summary>
public sealed class Panels : IMultiplotLayout
{
    private readonly float[] _weights;
    private readonly float _legendColumn;

    /// <param name="legendColumn">0: every subplot is a panel; else the last subplot is a legend this wide, on the right.</param>
    private Panels(float[] weights, float legendColumn = 0)
    {
        _weights = weights;
        _legendColumn = legendColumn;
    }

    /// <summary>A figure of <paramref name="plots"/> with heights in the ratio of <paramref name="weights"/>.</summary>
    public static Multiplot Stack(IReadOnlyList<Plot> plots, IReadOnlyList<float> weights, int width)
    {
        float legendWidth = ChartStyle.LegendWidth(plots, width);
        var figure = new Multiplot();
        figure.Subplots.Remove(figure.Subplots.GetPlot(0));
        for (int i = 0; i < plots.Count; i++)
        {
            bool top = i == 0, bottom = i == plots.Count - 1;
            int titleLines = plots[i].Axes.Title.Label.Text.Split('\n').Length; // a long title wraps: room for each line
            plots[i].Layout.Fixed(new PixelPadding(80, legendWidth, bottom ? 50 : 25, top ? 40 + 22 * (titleLines - 1) : 12));
            if (!top)
                plots[i].Axes.Left.Label.FontSize = 12; // a short panel's label must fit its height
            var x = plots[i].Axes.GetLimits();
            plots[i].Axes.Bottom.TickGenerator = ChartStyle.TimeTicks(x.Left, x.Right, width - 80 - legendWidth);
            figure.Subplots.Add(plots[i]);
        }
        figure.Layout = new Panels(weights.ToArray());
        return figure;
    }

    /// <summary>Panels (each with its own time axis) stacked in the figure's left part, their data areas aligned
    /// and room on the left for the widest lane label, and one legend of <paramref name="items"/> for all of them in
    /// a column of its own on the right, the figure's full height. <paramref name="left"/>: pixels for the lane labels.</summary>
    public static Multiplot WithLegend(IReadOnlyList<Plot> plots, IReadOnlyList<float> weights, IReadOnlyList<LegendItem> items, int width,
        float left)
    {
        var legend = new Plot();
        legend.Axes.Frameless();
        legend.HideGrid();
        legend.Legend.ManualItems.AddRange(items);
        legend.Legend.Alignment = Alignment.MiddleLeft;
        legend.Legend.FontSize = ChartStyle.LegendFontSize;
        legend.Legend.FontName = plots[0].Axes.Title.Label.FontName;
        legend.ShowLegend();
        legend.Layout.Fixed(new PixelPadding(0, 0, 0, 0));
        float legendWidth = items.Count == 0 ? 0 : ChartStyle.LegendWidth([legend], width);
        var figure = new Multiplot();
        figure.Subplots.Remove(figure.Subplots.GetPlot(0));
        foreach (var p in plots)
        {
            int titleLines = p.Axes.Title.Label.Text.Split('\n').Length;
            p.Layout.Fixed(new PixelPadding(Math.Max(60, left), 20, 50, 16 + 22 * titleLines));
            p.Axes.Title.Label.FontSize = 14;
            figure.Subplots.Add(p);
        }
        figure.Subplots.Add(legend);
        figure.Layout = new Panels(weights.ToArray(), legendWidth);
        return figure;
    }

    public PixelRect[] GetSubplotRectangles(SubplotCollection subplots, PixelRect figureRect)
    {
        var rects = new PixelRect[subplots.Count];
        int panels = _legendColumn > 0 ? rects.Length - 1 : rects.Length;
        float right = figureRect.Right - _legendColumn;
        float total = _weights.Take(panels).Sum(), top = figureRect.Top;
        for (int i = 0; i < panels; i++)
        {
            float height = figureRect.Height * _weights[Math.Min(i, _weights.Length - 1)] / total;
            rects[i] = new PixelRect(figureRect.Left, right, top + height, top);
            top += height;
        }
        if (_legendColumn > 0)
            rects[^1] = new PixelRect(right, figureRect.Right, figureRect.Bottom, figureRect.Top);
        return rects;
    }
}
