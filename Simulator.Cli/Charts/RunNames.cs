using Zombiesim.Cli.Runs;

namespace Zombiesim.Cli.Charts;

/// <summary>How charts name the runs they overlay: the scenario's name, numbered when two runs share it.</summary>
public static class RunNames
{
    public static IReadOnlyList<string> Of(IReadOnlyList<RunData> runs) =>
        runs.Select((r, i) => runs.Count(o => o.Name == r.Name) > 1 ? $"{i + 1}. {r.Name}" : r.Name).ToList();

    /// <summary>A name fit for a file: letters, digits, '-' and '_' kept, anything else '-'.</summary>
    public static string File(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray());
}
