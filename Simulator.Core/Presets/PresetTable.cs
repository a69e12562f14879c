namespace Zombiesim.Core.Presets;

/// <summary>How sure a figure is (../shared/FACTS.md): documented, measured by someone, or repeated
/// but unverified (and then a parameter, never a silent default).</summary>
public enum SourceKind { Doc, Meas, Folk }

/// <summary>Where a preset's values come from: the kind of source and the citation (document,
/// file and version, or the measurement and its date).</summary>
public sealed record Source(SourceKind Kind, string Citation)
{
    public override string ToString() => $"{Kind.ToString().ToUpperInvariant()}: {Citation}";
}

/// <summary>One preset: a named row of values with its source and a one-line summary for tables.</summary>
public sealed record Preset<T>(string Name, T Values, Source Source, string Summary);

/// <summary>
/// The presets of one kind of part (platform, client library, server, middlebox): data, not branches.
/// The scenario reader takes its names from here, and docs/model.md carries the table that
/// <see cref="ToMarkdown"/> renders, between <c>&lt;!-- presets:KIND --&gt;</c> markers (a test keeps them equal).
/// </summary>
public sealed class PresetTable<T>
{
    private readonly Dictionary<string, Preset<T>> _byName;

    public PresetTable(string kind, IReadOnlyList<Preset<T>> rows)
    {
        Kind = kind;
        Rows = rows;
        _byName = rows.ToDictionary(r => r.Name, StringComparer.Ordinal);
    }

    /// <summary>The part's kind, as in the docs markers: platform, client, server, middlebox.</summary>
    public string Kind { get; }

    public IReadOnlyList<Preset<T>> Rows { get; }

    public IEnumerable<string> Names => Rows.Select(r => r.Name);

    public Preset<T> this[string name] => _byName[name];

    /// <summary>The table as docs/model.md shows it: name, summary, source.</summary>
    public string ToMarkdown()
    {
        var lines = new List<string> { "| preset | values | source |", "|---|---|---|" };
        foreach (var r in Rows)
            lines.Add($"| `{r.Name}` | {r.Summary} | {r.Source} |");
        return string.Join("\n", lines);
    }
}
