using ScottPlot;
using Zombiesim.Core.Files;

namespace Zombiesim.Cli.Charts;

/// <summary>A chart and the series it was drawn from (what tests check: the data, not the pixels).</summary>
public sealed record Chart(Plot Plot, string Name, IReadOnlyDictionary<string, double[]> Series)
{
    /// <summary>Writes PNG and/or SVG (<see cref="ChartFormat"/>) next to <paramref name="pathWithoutExtension"/>,
    /// each atomically; returns the files.</summary>
    public IReadOnlyList<string> Save(string pathWithoutExtension, ChartFormat format, int width, int height)
    {
        var files = new List<string>();
        if (format.HasFlag(ChartFormat.Png))
        {
            AtomicFile.WriteAllBytes(pathWithoutExtension + ".png", Plot.GetImageBytes(width, height, ImageFormat.Png));
            files.Add(pathWithoutExtension + ".png");
        }
        if (format.HasFlag(ChartFormat.Svg))
        {
            AtomicFile.WriteAllText(pathWithoutExtension + ".svg", Plot.GetSvgXml(width, height));
            files.Add(pathWithoutExtension + ".svg");
        }
        return files;
    }
}

/// <summary>Which image files a chart is saved as.</summary>
[Flags]
public enum ChartFormat { Png = 1, Svg = 2, Both = Png | Svg }

/// <summary>What every chart shares: a shipped font, a colour-blind-safe palette (Wong), titles and
/// axis labels with units, a time axis in s, min or h as fits.</summary>
public static class ChartStyle
{
    public const int DefaultWidth = 1200, DefaultHeight = 700;

    private static readonly object FontGate = new();
    private static bool _fontLoaded;
    private const string FontName = "DejaVu Sans";
    public static readonly IPalette Wong = new ScottPlot.Palettes.ColorblindFriendly();

    public static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        lock (FontGate)
        {
            if (!_fontLoaded)
            {
                Fonts.AddFontFile(FontName, Path.Combine(AppContext.BaseDirectory, "Assets", "DejaVuSans.ttf"), false, false);
                Fonts.Default = FontName;
                _fontLoaded = true;
            }
        }
        var plt = new Plot();
        plt.Font.Set(FontName);
        plt.Add.Palette = Wong;
        plt.Title(title);
        plt.XLabel(xLabel);
        plt.YLabel(yLabel);
        return plt;
    }

    /// <summary>Seconds, minutes or hours, whichever reads best for a span.</summary>
    public static (double Scale, string Unit) TimeUnit(double spanSeconds) =>
        spanSeconds <= 600 ? (1, "s") : spanSeconds <= 3 * 3600 ? (60, "min") : (3600, "h");

    /// <summary>Whole numbers only on a count axis.</summary>
    public static void IntegerTicks(IAxis axis) =>
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
}
