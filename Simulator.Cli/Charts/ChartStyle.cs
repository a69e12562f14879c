using ScottPlot;

namespace Zombiesim.Cli.Charts;

/// <summary>What every chart shares: a shipped font, a colour-blind-safe palette without black (Wong's
/// seven colours, then Tol's), titles and axis labels with units, a time axis in s, min or h as fits,
/// axes from zero and legends outside the data.</summary>
public static class ChartStyle
{
    public const int DefaultWidth = 1200, DefaultHeight = 700;

    private static readonly object FontGate = new();
    private static bool _fontLoaded;
    private const string FontName = "DejaVu Sans";

    /// <summary>Wong (Nature Methods 8, 441, 2011) without its black, then Tol's wine, olive and grey:
    /// ten colours no two of which are alike, none near black.</summary>
    public static readonly IPalette Distinct = new ScottPlot.Palettes.Custom(
        ["#0072B2", "#56B4E9", "#D55E00", "#009E73", "#E69F00", "#F0E442", "#CC79A7", "#882255", "#999933", "#BBBBBB"],
        "zombiesim distinct", "colour-blind-safe, no black");

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
        plt.Add.Palette = Distinct;
        if (title.Length > 0)
            plt.Title(title);
        plt.XLabel(xLabel);
        plt.YLabel(yLabel);
        return plt;
    }

    /// <summary>Seconds, minutes or hours, whichever reads best for a span.</summary>
    public static (double Scale, string Unit) TimeUnit(double spanSeconds) =>
        spanSeconds <= 600 ? (1, "s") : spanSeconds <= 3 * 3600 ? (60, "min") : (3600, "h");

    /// <summary>Ticks for a time axis from <paramref name="from"/> to <paramref name="to"/> (in its unit) over
    /// <paramref name="pixels"/>: a step of 1, 2 or 5 times a power of ten, at least 50 pixels apart, minor ticks between.
    /// Panels stacked on one time axis share them (left to itself, each panel chose its own density).</summary>
    public static ScottPlot.TickGenerators.NumericManual TimeTicks(double from, double to, float pixels) =>
        new(TimeTickList(from, to, pixels));

    /// <inheritdoc cref="TimeTicks"/>
    public static Tick[] TimeTickList(double from, double to, float pixels)
    {
        double span = Math.Max(to - from, 1e-9), raw = span / Math.Max(2, Math.Floor(pixels / 50));
        double power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        int m = new[] { 1, 2, 5, 10 }.First(k => k * power >= raw * (1 - 1e-9));
        double step = m * power, minor = step / (m == 2 ? 4 : 5);
        var ticks = new List<Tick>();
        for (long i = (long)Math.Ceiling(from / minor - 1e-9); i * minor <= to + minor * 1e-9; i++)
        {
            double v = Math.Round(i * minor, 9);
            bool major = Math.Abs(v / step - Math.Round(v / step)) < 1e-6;
            ticks.Add(new Tick(v, major ? TimeMarks.Number(v) : "", major));
        }
        return ticks.ToArray();
    }

    /// <summary>Whole numbers only on a count axis.</summary>
    public static void IntegerTicks(IAxis axis) =>
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };

    /// <summary>The legend beside the data, never over it.</summary>
    public static void LegendOutside(Plot plot, Edge edge = Edge.Right)
    {
        plot.ShowLegend(edge);
        plot.Legend.FontSize = LegendFontSize;
        plot.Legend.Alignment = Alignment.UpperLeft;
    }

    public const float LegendFontSize = 12;

    /// <summary>Room for the widest legend line of <paramref name="plots"/> (DejaVu Sans at 12 px: under 7 px a
    /// character), at most 40% of the figure.</summary>
    public static float LegendWidth(IEnumerable<Plot> plots, int width)
    {
        int chars = plots.SelectMany(p => p.GetPlottables().SelectMany(x => x.LegendItems).Select(i => i.LabelText)
                .Concat(p.Legend.ManualItems.Select(i => i.LabelText)))
            .SelectMany(t => (t ?? "").Split('\n')).Select(l => l.Length).DefaultIfEmpty(0).Max();
        return Math.Min(0.4f * width, 6.7f * chars + 100); // 100: the gap, the frame, the line sample and its padding
    }

    private static readonly int[] LineOrder = [0, 2, 3, 4, 6, 7, 8, 1, 5, 9];

    /// <summary>The <paramref name="i"/>th of several lines: the most different colours first.</summary>
    public static Color LineColor(int i) => Distinct.GetColor(LineOrder[i % LineOrder.Length]);

    /// <summary>One per overlaid run in turn, so that a line drawn over an equal one lets it show through its gaps.</summary>
    private static readonly LinePattern[] RunPatterns =
        [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];

    /// <summary>The line of the <paramref name="r"/>th of <paramref name="runs"/> overlaid runs (or lines of one panel): each
    /// thinner than the one before and dashed or dotted in turn, so that an equal line drawn later lets the earlier show.</summary>
    public static (float Width, LinePattern Pattern) RunLine(int r, int runs) =>
        (1.5f + 0.8f * (runs - 1 - r), RunPatterns[r % RunPatterns.Length]);

    /// <summary>The colour of a TCP state or server category, the same in every chart.</summary>
    public static Color StateColor(string state) => state switch
    {
        "established-in-use" or "ESTABLISHED" => Distinct.GetColor(0),
        "established-idle" => Distinct.GetColor(1),
        "zombie" => Distinct.GetColor(2),
        "SYN_RECEIVED" or "SYN_SENT" => Distinct.GetColor(4),
        "FIN_WAIT_1" => Distinct.GetColor(3),
        "FIN_WAIT_2" => Distinct.GetColor(5),
        "CLOSE_WAIT" => Distinct.GetColor(6),
        "CLOSING" => Distinct.GetColor(7),
        "LAST_ACK" => Distinct.GetColor(8),
        "TIME_WAIT" => Distinct.GetColor(9),
        _ => Colors.Gray,
    };
}
