using System.Text.Json;

namespace Zombiesim.Cli;

internal static class JsonOptions
{
    /// <summary>For JSON documents built as nodes (their names are already as printed).</summary>
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>For serialised records: camelCase names.</summary>
    public static readonly JsonSerializerOptions Default = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
    };
}
