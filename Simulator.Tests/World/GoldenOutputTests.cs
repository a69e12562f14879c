using System.Text.Json;
using FluentAssertions;
using Xunit;
using Zombiesim.Tests.Cli;

namespace Zombiesim.Tests.World;

/// <summary>
/// Every bundled scenario's outputs, byte for byte, against files kept in Simulator.Tests/Golden:
/// `run --json`, the data files of `run --out` (not its charts: Skia numbers SVG clip paths with a
/// process-wide counter, and the chart series have their own tests), `search --out` for scenarios
/// with a search section, and `explore`'s outcome classes with each class's trace and timeline.
/// A change that moves code keeps them; a change that means to alter behaviour regenerates them with
/// ZOMBIESIM_UPDATE_GOLDEN=1 and the diff is reviewed like code.
/// </summary>
public class GoldenOutputTests
{
    private static readonly string GoldenDir = Path.Combine(Scenarios.Root, "Simulator.Tests", "Golden");
    private static bool Updating => System.Environment.GetEnvironmentVariable("ZOMBIESIM_UPDATE_GOLDEN") == "1";

    public static IEnumerable<object[]> Searches() =>
        Scenarios.All().Where(x => File.ReadAllText(Scenarios.File((string)x[0])).Contains("\nsearch:"));

    public static IEnumerable<object[]> Explorations() =>
        Scenarios.All().Where(x => ((string)x[0]).StartsWith("explore-", StringComparison.Ordinal));

    [Theory]
    [MemberData(nameof(Scenarios.All), MemberType = typeof(Scenarios))]
    public void Run_json_and_run_out_files_equal_the_golden_files(string file)
    {
        string name = Path.GetFileNameWithoutExtension(file);
        var (code, json, _) = CliTests.Run("run", Scenarios.File(file), "--json");
        code.Should().BeOneOf(0, 1);
        Check($"{name}/run.json", json);
        InTempDir(dir =>
        {
            CliTests.Run("run", Scenarios.File(file), "--out", dir).Code.Should().BeOneOf(0, 1);
            foreach (string f in Directory.GetFiles(dir).Where(f => Path.GetExtension(f) is not (".png" or ".svg")).Order())
                Check($"{name}/out/{Path.GetFileName(f)}", File.ReadAllText(f), dir);
        });
    }

    [Theory]
    [MemberData(nameof(Searches))]
    public void Search_out_files_equal_the_golden_files(string file)
    {
        string name = Path.GetFileNameWithoutExtension(file);
        InTempDir(dir =>
        {
            CliTests.Run("search", Scenarios.File(file), "--out", dir).Code.Should().BeOneOf(0, 1);
            foreach (string f in new[] { "search.json", "search.csv", "points.jsonl" })
                Check($"{name}/search/{f}", File.ReadAllText(Path.Combine(dir, f)), dir);
        });
    }

    [Theory]
    [MemberData(nameof(Explorations))]
    public void Explore_outcome_classes_traces_and_timelines_equal_the_golden_files(string file)
    {
        string name = Path.GetFileNameWithoutExtension(file);
        InTempDir(dir =>
        {
            var (code, json, _) = CliTests.Run("explore", Scenarios.File(file), "--out", dir, "--json");
            code.Should().BeOneOf(0, 1);
            using var doc = JsonDocument.Parse(json);
            Check($"{name}/explore/outcome-classes.json", doc.RootElement.GetProperty("outcomeClasses").ToString());
            foreach (string f in Directory.GetFiles(dir).Order())
                Check($"{name}/explore/{Path.GetFileName(f)}", File.ReadAllText(f), dir);
        });
    }

    /// <summary>Runs <paramref name="use"/> with a fresh directory, removed afterwards whatever happens.</summary>
    private static void InTempDir(Action<string> use)
    {
        string dir = Directory.CreateTempSubdirectory("zombiesim-golden-").FullName;
        try { use(dir); }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>Outputs larger than this are kept as their SHA-256 (FILE.sha256): still byte for byte, without
    /// megabytes in the repository; a difference then shows only as a different hash.</summary>
    private const int LargestKeptWhole = 1 << 20;

    /// <summary>Compares with the golden file, paths that differ between machines replaced by placeholders.</summary>
    private static void Check(string relative, string actual, string? outDir = null)
    {
        if (outDir is not null)
            actual = actual.Replace(outDir, "<out>");
        actual = actual.Replace(Scenarios.Root, "<root>");
        if (actual.Length > LargestKeptWhole)
        {
            relative += ".sha256";
            byte[] hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(actual));
            actual = Convert.ToHexStringLower(hash) + "\n";
        }
        string path = Path.Combine(GoldenDir, relative);
        if (Updating)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }
        File.Exists(path).Should().BeTrue($"{relative} is a golden file (regenerate with ZOMBIESIM_UPDATE_GOLDEN=1)");
        string expected = File.ReadAllText(path);
        if (actual != expected)
        {
            int at = 0;
            while (at < Math.Min(actual.Length, expected.Length) && actual[at] == expected[at]) at++;
            string Around(string s) => s.Substring(Math.Max(0, at - 80), Math.Min(s.Length - Math.Max(0, at - 80), 200));
            actual.Should().Be(expected,
                $"{relative} differs at character {at}:\nexpected ...{Around(expected)}...\nactual   ...{Around(actual)}...");
        }
    }
}
