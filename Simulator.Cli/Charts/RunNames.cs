using Zombiesim.Cli.Runs;

namespace Zombiesim.Cli.Charts;

/// <summary>How charts name the runs they overlay: the scenario's name, numbered when two runs share it.</summary>
public static class RunNames
{
    public static IReadOnlyList<string> Of(IReadOnlyList<RunData> runs) =>
        runs.Select((r, i) => runs.Count(o => o.Name == r.Name) > 1 ? $"{i + 1}. {r.Name}" : r.Name).ToList();

    /// <summary>"<paramref name="lead"/>a vs b vs ...", in lines that fit a figure <paramref name="width"/> pixels
    /// wide (a title's character is under 11 px: DejaVu Sans at the title's size).</summary>
    public static string Title(string lead, IReadOnlyList<string> names, int width)
    {
        int most = Math.Max(40, width / 11);
        var lines = new List<string> { lead + names[0] };
        foreach (var name in names.Skip(1))
        {
            if (lines[^1].Length + name.Length + 4 > most)
                lines.Add($"vs {name}");
            else
                lines[^1] += $" vs {name}";
        }
        return string.Join("\n", lines);
    }

    /// <summary>A name fit for a file: letters, digits, '-' and '_' kept, anything else '-'.</summary>
    public static string File(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray());
}
