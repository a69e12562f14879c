using FluentAssertions;
using Xunit;

namespace Zombiesim.Tests.Core;

/// <summary>Issue 10: no line of code is longer than 140 characters (the max_line_length of .editorconfig).</summary>
public class LineLengthTests
{
    private const int MaxLength = 140;

    [Fact]
    public void No_code_line_is_longer_than_140_characters()
    {
        string root = FindRoot();
        var offenders = new List<string>();
        foreach (string file in CodeFiles(root))
        {
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                if (lines[i].Length > MaxLength)
                    offenders.Add($"{Path.GetRelativePath(root, file)}:{i + 1} ({lines[i].Length} characters)");
            }
        }
        offenders.Should().BeEmpty($"no line may be longer than {MaxLength} characters; wrap these {offenders.Count} lines");
    }

    /// <summary>The *.cs files under the root, leaving out bin/, obj/ and folders whose name starts with '.'.</summary>
    private static IEnumerable<string> CodeFiles(string dir)
    {
        foreach (string file in Directory.GetFiles(dir, "*.cs").Order(StringComparer.Ordinal))
            yield return file;
        foreach (string sub in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(sub);
            if (name is "bin" or "obj" || name.StartsWith('.'))
                continue;
            foreach (string file in CodeFiles(sub))
                yield return file;
        }
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Simulator.sln")))
                return d.FullName;
        }
        throw new InvalidOperationException("cannot find Simulator.sln above " + AppContext.BaseDirectory);
    }
}
