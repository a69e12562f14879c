using ScottPlot;
using SkiaSharp;
using Zombiesim.Core.Files;

namespace Zombiesim.Cli.Charts;

/// <summary>A chart (one or several panels sharing a figure) and the series it was drawn from (what tests
/// check: the data, not the pixels).</summary>
public sealed record Chart(Multiplot Figure, string Name, IReadOnlyDictionary<string, double[]> Series)
{
    public Chart(Plot plot, string name, IReadOnlyDictionary<string, double[]> series) : this(new Multiplot(plot), name, series)
    {
    }

    /// <summary>The panels, top to bottom.</summary>
    public IReadOnlyList<Plot> Panels => Figure.Subplots.GetPlots();

    public byte[] Png(int width, int height) => Figure.Render(width, height).GetImageBytes(ImageFormat.Png);

    public string Svg(int width, int height)
    {
        using var stream = new SKDynamicMemoryWStream();
        using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, width, height), stream))
            Figure.Render(canvas, new PixelRect(0, width, height, 0));
        using var data = stream.DetachAsData();
        return System.Text.Encoding.UTF8.GetString(data.AsSpan());
    }

    /// <summary>Writes PNG and/or SVG (<see cref="ChartFormat"/>) next to <paramref name="pathWithoutExtension"/>,
    /// each atomically; returns the files.</summary>
    public IReadOnlyList<string> Save(string pathWithoutExtension, ChartFormat format, int width, int height)
    {
        var files = new List<string>();
        if (format.HasFlag(ChartFormat.Png))
        {
            AtomicFile.WriteAllBytes(pathWithoutExtension + ".png", Png(width, height));
            files.Add(pathWithoutExtension + ".png");
        }
        if (format.HasFlag(ChartFormat.Svg))
        {
            AtomicFile.WriteAllText(pathWithoutExtension + ".svg", Svg(width, height));
            files.Add(pathWithoutExtension + ".svg");
        }
        return files;
    }
}

/// <summary>Which image files a chart is saved as.</summary>
[Flags]
public enum ChartFormat { Png = 1, Svg = 2, Both = Png | Svg }
