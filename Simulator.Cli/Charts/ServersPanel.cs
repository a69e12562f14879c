using ScottPlot;
using Zombiesim.Cli.Runs;
using static Zombiesim.Cli.Charts.ChartStyle;

namespace Zombiesim.Cli.Charts;

/// <summary>With several servers (a pooler and the server behind it), each one's open connections as a
/// line of its own: the pooler's clients and its connections to the server, side by side.</summary>
public static class ServersPanel
{
    public const float Weight = 1.5f;

    /// <summary>The panel, or null when the run has one server.</summary>
    public static Plot? Draw(RunData run, double scale, int columns, double end, Dictionary<string, double[]> series)
    {
        if (run.Samples.PerServer is not { } per)
            return null;
        var plot = NewPlot("", "", "connections per server");
        int colour = 0;
        double top = 0;
        foreach (var (name, open) in per)
        {
            series["open " + name] = open;
            var (x, y) = Downsample.Line(run.Samples.T, scale, open, columns);
            var line = plot.Add.ScatterLine(x, y);
            line.LegendText = $"{name} (peak {open.DefaultIfEmpty(0).Max():N0})";
            line.Color = LineColor(colour++);
            line.LineWidth = 2;
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            top = Math.Max(top, open.DefaultIfEmpty(0).Max());
        }
        plot.Axes.SetLimits(0, end, 0, Math.Max(1, top) * 1.1);
        IntegerTicks(plot.Axes.Left);
        LegendOutside(plot);
        return plot;
    }
}
