using ScottPlot;
using Zombiesim.Cli.Runs;
using Zombiesim.Core.Observation;

namespace Zombiesim.Cli.Charts;

/// <summary>
/// The instants a reader looks for on a time axis (scripted partitions, redeploys, restarts and failovers, the
/// first refusal) as vertical lines named in the legend, never as text over the data: labels then
/// cannot collide with each other or the title, however close the instants.
/// </summary>
public static class TimeMarks
{
    /// <summary>The scripted kinds. Marks are dark (they cross stacked fills) and far from every colour of
    /// <see cref="ChartStyle.Distinct"/> (failover was DarkOrange, the SYN states' orange and the zombies' vermillion).</summary>
    private static readonly (NoteKind Kind, Color Color, LinePattern Pattern)[] Kinds =
    [
        (NoteKind.Partition, Colors.DarkRed, LinePattern.DenselyDashed),
        (NoteKind.Redeploy, Colors.Indigo, LinePattern.Dashed),
        (NoteKind.Restart, Colors.DarkGreen, LinePattern.Dashed),
        (NoteKind.Failover, Colors.DarkSlateGray, LinePattern.Dotted), // the old node fails, then the standby is promoted
    ];

    /// <summary>The first refused connection (was red, beside the zombies' vermillion) and the first throttled invocation.</summary>
    public static readonly Color Refusal = Colors.Black, Throttle = Colors.Navy;

    /// <summary>Every colour a time mark is drawn in.</summary>
    public static IReadOnlyList<Color> Palette => [.. Kinds.Select(k => k.Color), Refusal, Throttle];

    /// <summary>One legend entry per kind and part (e.g. "redeploy dbproxy at 20 min"); a line per instant in every panel.</summary>
    public static void Scripted(RunData run, double scale, string unit, IReadOnlyList<Plot> panels)
    {
        foreach (var (kind, color, pattern) in Kinds)
        {
            foreach (var group in run.Notes.Where(n => n.Kind == kind).GroupBy(n => n.Who))
            {
                var at = group.Select(n => n.T.TotalSeconds / scale).ToList();
                string who = group.Key is "network" or "server" ? "" : $" {group.Key}";
                string when = at.Count <= 4 ? string.Join(", ", at.Select(a => Number(a)))
                    : $"{Number(at[0])} ... {Number(at[^1])} ({at.Count})";
                Lines(panels, at, color, pattern, $"{kind.Name()}{who} at {when} {unit}");
            }
        }
    }

    /// <summary>A vertical line at each of <paramref name="at"/> in every panel, named once in the first panel's legend.</summary>
    public static void Lines(IReadOnlyList<Plot> panels, IReadOnlyList<double> at, Color color, LinePattern pattern, string legend)
    {
        for (int p = 0; p < panels.Count; p++)
        {
            for (int i = 0; i < at.Count; i++)
            {
                var v = panels[p].Add.VerticalLine(at[i]);
                v.Color = color;
                v.LinePattern = pattern;
                v.LineWidth = 1.5f;
                if (p == 0 && i == 0)
                    v.LegendText = legend;
            }
        }
    }

    public static string Number(double v) => v.ToString(v >= 100 ? "0" : "0.###", System.Globalization.CultureInfo.InvariantCulture);
}
