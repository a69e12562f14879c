using ScottPlot;

namespace Zombiesim.Cli.Charts;

/// <summary>
/// Panels stacked top to bottom in one figure, each with its share of the height, their data areas
/// aligned (the same left and right margins, room on the right for the legends) and their time axes
/// the same: one scale per axis, each quantity in its own panel.
/// </summary>
public sealed class Panels : IMultiplotLayout
{
    private readonly float[] _weights;

    private Panels(float[] weights) => _weights = weights;

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
            figure.Subplots.Add(plots[i]);
        }
        figure.Layout = new Panels(weights.ToArray());
        return figure;
    }

    public PixelRect[] GetSubplotRectangles(SubplotCollection subplots, PixelRect figureRect)
    {
        float total = _weights.Sum(), top = figureRect.Top;
        var rects = new PixelRect[subplots.Count];
        for (int i = 0; i < rects.Length; i++)
        {
            float height = figureRect.Height * _weights[Math.Min(i, _weights.Length - 1)] / total;
            rects[i] = new PixelRect(figureRect.Left, figureRect.Right, top + height, top);
            top += height;
        }
        return rects;
    }
}
