using System.Text.Json;
using FluentAssertions;
using Xunit;
using Zombiesim.Cli;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Cli;

/// <summary>Each kind of user mistake: file, line and column, what was wrong, what would be right, exit 2, no stack trace.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zombiesim-bad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Valid = """
        name: t
        horizon: 60s
        functions:
          - name: hello
        server:
          preset: redis
          limits: { soft: 10, hard: 20 }
        traffic:
          - function: hello
            at: [0s]
        """;

    private (int Code, string Out, string Err, string File) RunWith(string yaml, params string[] extra)
    {
        string file = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(file, yaml);
        var (code, output, error) = CliTests.Run(["run", file, .. extra]);
        return (code, output, error, file);
    }

    private static void ShouldBeBadInput((int Code, string Out, string Err, string File) r, string location, params string[] says)
    {
        r.Code.Should().Be(ExitCodes.BadInput);
        r.Out.Should().BeEmpty();
        r.Err.Should().Contain($"{r.File}:{location}:").And.NotContain("   at ").And.NotContain("Exception");
        foreach (var s in says)
            r.Err.Should().Contain(s);
    }

    [Fact]
    public void The_valid_base_runs() => RunWith(Valid).Code.Should().Be(0);

    [Fact]
    public void Yaml_syntax_error_names_line_and_column()
    {
        ShouldBeBadInput(RunWith(Valid.Replace("at: [0s]", "at: [0s")), "11:1", "YAML syntax");
    }

    [Fact]
    public void Unknown_key_is_named_with_a_suggestion_and_the_known_keys()
    {
        ShouldBeBadInput(RunWith(Valid.Replace("  preset: redis", "  preset: redis\n  idelTimeout: 60s")), "7:3",
            "unknown key 'idelTimeout' in 'server'", "did you mean 'idleTimeout'?", "known keys:");
    }

    [Fact]
    public void Wrong_type_says_what_was_expected()
    {
        ShouldBeBadInput(RunWith(Valid.Replace("horizon: 60s", "horizon: [60s]")), "2:10", "'horizon'", "must be a duration", "got a list");
        ShouldBeBadInput(RunWith(Valid.Replace("  - name: hello", "  - name: hello\n    memory: lots")), "5:13",
            "'functions[0].memory' must be an integer", "got 'lots'");
    }

    [Fact]
    public void Negative_duration_is_refused()
    {
        ShouldBeBadInput(RunWith(Valid.Replace("at: [0s]", "at: [-5s]")), "10:10", "negative", "zero or more");
    }

    [Fact]
    public void A_duration_without_unit_suggests_one()
    {
        ShouldBeBadInput(RunWith(Valid.Replace("horizon: 60s", "horizon: 60")), "2:10", "has no unit", "did you mean 60s?");
    }

    [Fact]
    public void Soft_limit_above_hard_limit_is_refused()
    {
        ShouldBeBadInput(RunWith(Valid.Replace("soft: 10, hard: 20", "soft: 30, hard: 20")), "7:11",
            "soft limit (30) must not exceed the hard limit (20)");
    }

    [Fact]
    public void Unknown_preset_lists_the_presets_and_suggests_one()
    {
        ShouldBeBadInput(RunWith(Valid.Replace("preset: redis", "preset: reddis")), "6:11",
            "must be one of redis, mongodb, mysql, mysql-5.7, mariadb, postgres, nginx, node-http, generic", "did you mean 'redis'?");
    }

    [Fact]
    public void Set_on_a_path_that_does_not_exist_is_refused()
    {
        var r = RunWith(Valid, "--set", "traffic.3.at=[0s]");
        r.Code.Should().Be(ExitCodes.BadInput);
        r.Err.Should().Contain("error: --set traffic.3.at=[0s]: ").And.Contain("'traffic.3' does not exist")
            .And.Contain("index must be 0 to 0").And.NotContain("   at ");
        var unknown = RunWith(Valid, "--set", "server.idelTimeout=310s");
        unknown.Code.Should().Be(ExitCodes.BadInput);
        unknown.Err.Should().Contain("error: --set server.idelTimeout=310s: ").And.Contain("did you mean 'idleTimeout'?");
    }

    [Fact]
    public void Set_values_are_validated_like_the_file()
    {
        var r = RunWith(Valid, "--set", "server.idleTimeout=soon");
        r.Code.Should().Be(ExitCodes.BadInput);
        r.Err.Should().Contain("error: --set server.idleTimeout=soon: ").And.Contain("not a duration");
    }

    [Fact]
    public void Set_changes_a_list_item_and_a_nested_value()
    {
        var r = RunWith(Valid, "--set", "traffic.0.at=[0s,45s]", "--set", "server.idleTimeout=60s", "--json");
        r.Code.Should().Be(0, r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        doc.RootElement.GetProperty("requests").EnumerateArray().Select(q => q.GetProperty("t").GetDouble()).Should().Equal(0, 45);
    }

    [Fact]
    public void A_missing_file_is_bad_input()
    {
        var (code, _, error) = CliTests.Run("run", Path.Combine(_dir, "nope.yaml"));
        code.Should().Be(ExitCodes.BadInput);
        error.Should().Contain("nope.yaml").And.Contain("cannot read the file").And.NotContain("   at ");
    }

    [Fact]
    public void Bad_input_leaves_no_output_directory_behind()
    {
        string outDir = Path.Combine(_dir, "out");
        ShouldBeBadInput(RunWith(Valid.Replace("horizon: 60s", "horizon: 60"), "--out", outDir), "2:10", "has no unit");
        Directory.Exists(outDir).Should().BeFalse();
    }

    [Fact]
    public void Unknown_function_in_traffic_suggests_the_defined_one()
    {
        ShouldBeBadInput(RunWith(Valid.Replace("  - function: hello", "  - function: helo")), "9:15",
            "'traffic[0].function' names 'helo', which is not defined", "did you mean 'hello'?");
    }

    [Fact]
    public void Validate_reports_each_bad_file_and_exits_2()
    {
        string good = Path.Combine(_dir, "good.yaml"), bad = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(good, Valid);
        File.WriteAllText(bad, Valid.Replace("horizon: 60s", "horizon: 60"));
        var (code, output, error) = CliTests.Run("validate", good, bad);
        code.Should().Be(ExitCodes.BadInput);
        output.Should().Contain($"{good}: ok");
        error.Should().Contain($"{bad}:2:10:");
        CliTests.Run("validate", good).Code.Should().Be(0);
    }

    [Fact]
    public void Every_bundled_scenario_validates()
    {
        var files = Directory.GetFiles(Scenarios.Dir, "*.yaml");
        CliTests.Run(["validate", .. files]).Code.Should().Be(0);
    }

    [Theory]
    [InlineData("plot", "--format", "gif", "error: --format: 'gif' is not a format (png, svg or both)")]
    [InlineData("explore", "--strategy", "greedy",
        "error: --strategy: 'greedy' is not a strategy (random, prioritization, probabilistic or portfolio)")]
    [InlineData("search", "--shard", "3/2", "error: --shard: '3/2' is not")]
    public void A_bad_flag_is_named_by_the_flag_without_a_line_or_column(string command, string flag, string value, string expected)
    {
        string target = command == "plot" ? _dir
            : Scenarios.File(command == "search" ? "search-upstash-idle-timeout.yaml" : "explore-upstash-2020.yaml");
        var (code, output, error) = CliTests.Run(command, target, flag, value, "--out", Path.Combine(_dir, "out"));
        code.Should().Be(ExitCodes.BadInput);
        output.Should().BeEmpty();
        error.Should().StartWith(expected).And.NotContain(":1:1").And.NotContain("   at ");
    }
}
