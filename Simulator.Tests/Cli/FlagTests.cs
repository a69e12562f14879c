using FluentAssertions;
using Xunit;
using Zombiesim.Cli;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Cli;

/// <summary>A bad flag value is named by the flag alone, says what would be right, exits 2 and writes nothing.</summary>
public sealed class FlagTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zombiesim-flags-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string Search = Scenarios.File("search-upstash-idle-timeout.yaml");
    private static readonly string Explore = Scenarios.File("explore-upstash-2020.yaml");
    private static readonly string Run = Scenarios.File("upstash-2020-process.yaml");

    public static IEnumerable<object[]> Cases() =>
    [
        ["plot", "--format", "gif", "--format: 'gif' is not a format (png, svg or both)"],
        ["plot", "--width", "50", "--width: '50' is not a width in pixels (a whole number from 100 to 10000)"],
        ["plot", "--height", "x", "--height: 'x' is not a height in pixels (a whole number from 100 to 10000)"],
        ["search", "--replications", "0", "--replications: '0' is not a number of runs per point (a whole number from 1 to 1000000)"],
        ["search", "--replications", "-1", "--replications: '-1' is not a number of runs per point (a whole number from 1 to 1000000)"],
        ["search", "--replications", "2147483647",
            "--replications: '2147483647' is not a number of runs per point (a whole number from 1 to 1000000)"],
        ["search", "--replications", "99999999999999999999",
            "--replications: '99999999999999999999' is not a number of runs per point (a whole number from 1 to 1000000)"],
        ["search", "--workers", "0", "--workers: '0' is not a number of workers (a whole number from 1 to 4096)"],
        ["search", "--margin-steps", "-1", "--margin-steps: '-1' is not a number of steps (a whole number from 0 to 1000)"],
        ["run", "--timeline-lines", "-1", "--timeline-lines: '-1' is not a number of lines (a whole number from 0 to 10000000)"],
        ["run", "--timeline-lines", "2147483647",
            "--timeline-lines: '2147483647' is not a number of lines (a whole number from 0 to 10000000)"],
        ["run", "--seed", "abc", "--seed: 'abc' is not a seed (a whole number from 0 to 18446744073709551615)"],
        ["run", "--seed", "-1", "--seed: '-1' is not a seed (a whole number from 0 to 18446744073709551615)"],
        ["explore", "--iterations", "0", "--iterations: '0' is not a number of iterations (a whole number from 1 to 100000000)"],
        ["explore", "--max-steps", "0", "--max-steps: '0' is not a number of choices (a whole number from 1 to 100000000)"],
        ["explore", "--seed", "4294967296", "--seed: '4294967296' is not a seed (a whole number from 0 to 4294967295)"],
        ["explore", "--strategy", "greedy", "--strategy: 'greedy' is not a strategy (random, prioritization, probabilistic or portfolio)"],
        ["search", "--strategy", "annealing", "--strategy: 'annealing' is not a strategy (bisect or grid)"],
        ["explore", "--resolution", "0s", "--resolution: '0s' is not a resolution (a positive duration, like 1s or 100ms)"],
        ["bench", "--runs", "0", "--runs: '0' is not a number of runs (a whole number from 1 to 1000000)"],
        ["bench", "--pending", "x", "--pending: 'x' is not a number of pending events (a whole number from 1 to 100000000)"],
        ["bench", "--hours", "-1", "--hours: '-1' is not a number of hours (a number above 0 and at most 876000)"],
        ["bench", "--events", "0", "--events: '0' is not a number of events (a whole number from 1 to 1000000000000)"],
        ["replay", "--timeline-lines", "-5", "--timeline-lines: '-5' is not a number of lines (a whole number from 0 to 10000000)"],
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_bad_value_is_refused_by_flag_with_the_allowed_values_and_exit_2(string command, string flag, string value,
        string expected)
    {
        string outDir = Path.Combine(_dir, "out");
        string[] target = command switch
        {
            "plot" => [_dir],
            "search" => [Search],
            "explore" => [Explore],
            "replay" => [Explore, Path.Combine(_dir, "none.trace")],
            _ => [Run],
        };
        string[] args = command switch
        {
            "replay" => [command, .. target, flag, value],
            "bench" => [command, flag switch { "--runs" => "search", "--hours" => "fleet", _ => "hold" }, flag, value],
            _ => [command, .. target, flag, value, "--out", outDir],
        };
        var (code, output, error) = CliTests.Run(args);
        code.Should().Be(ExitCodes.BadInput);
        output.Should().BeEmpty();
        error.Split('\n')[0].Should().Be("error: " + expected);
        error.Should().NotContain("   at ").And.NotContain("Exception").And.NotContain("System.");
        Directory.Exists(outDir).Should().BeFalse("nothing is written when a flag is refused");
    }

    [Theory]
    [InlineData("run")]
    [InlineData("search")]
    [InlineData("explore")]
    [InlineData("plot")]
    public void A_file_given_as_the_output_directory_is_refused_by_flag_before_any_work(string command)
    {
        string file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "mine");
        string[] target = command switch { "search" => [Search], "explore" => [Explore], "plot" => [_dir], _ => [Run] };
        if (command == "plot")
            CliTests.Run("run", Run, "--out", _dir).Code.Should().Be(0);
        var (code, output, error) = CliTests.Run([command, .. target, "--out", file]);
        code.Should().Be(ExitCodes.BadInput);
        output.Should().BeEmpty();
        error.Split('\n').Last(l => l.Length > 0).Should()
            .Be($"error: --out: '{file}' is a file: give a directory (it is created when missing)");
        File.ReadAllText(file).Should().Be("mine");
    }

    [Fact]
    public void Values_at_the_ends_of_the_ranges_are_accepted()
    {
        string outDir = Path.Combine(_dir, "s");
        var (code, _, error) = CliTests.Run("search", Search, "--vary", "server.idleTimeout=[300s,310s]", "--replications", "1",
            "--margin-steps", "0", "--workers", "1", "--out", outDir);
        error.Should().NotContain("error");
        code.Should().Be(ExitCodes.Ok);
        CliTests.Run("run", Run, "--timeline-lines", "0", "--seed", "18446744073709551615").Code.Should().BeOneOf(0, 1);
    }
}
