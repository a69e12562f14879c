using FluentAssertions;
using Xunit;
using Zombiesim.Cli;

namespace Zombiesim.Tests.Cli;

/// <summary>
/// The inputs that once crashed the tool or hung it, each as a person could type it: refused with
/// exit 2, a position (or the flag), and what would be right; or, when valid, run to the end.
/// </summary>
public sealed class AbsurdInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zombiesim-absurd-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Base = """
        name: t
        horizon: 1h
        functions:
          - name: hello
        server:
          idleTimeout: 60s
        network:
          latency: 0.5ms
        traffic:
          - function: hello
            every: 1s

        """;

    private (int Code, string Out, string Err, string File) Run(string yaml, params string[] extra)
    {
        string file = Path.Combine(_dir, "s.yaml");
        File.WriteAllText(file, yaml);
        var (code, output, error) = CliTests.Run(["run", file, "--out", Path.Combine(_dir, "out"), .. extra]);
        return (code, output, error, file);
    }

    private void ShouldBeRefused((int Code, string Out, string Err, string File) r, string where, params string[] says)
    {
        r.Code.Should().Be(ExitCodes.BadInput);
        r.Out.Should().BeEmpty();
        r.Err.Should().StartWith($"error: {where}").And.NotContain("   at ").And.NotContain("Exception");
        foreach (var s in says)
            r.Err.Should().Contain(s);
        Directory.Exists(Path.Combine(_dir, "out")).Should().BeFalse("nothing is written for refused input");
    }

    [Fact]
    public void A_dash_and_a_colon_is_a_yaml_syntax_error_at_its_position()
    {
        var r = Run("- :");
        ShouldBeRefused(r, $"{r.File}:2:1:", "YAML syntax");
    }

    [Fact]
    public void A_key_with_no_name_and_an_open_brace_says_what_to_look_for()
    {
        var r = Run(": {\nl\n");
        ShouldBeRefused(r, $"{r.File}:1:3:", "YAML syntax", "a key with no name", "'{' or '[' left open");
    }

    [Fact]
    public void A_mixture_that_names_itself_is_refused_at_the_alias()
    {
        var r = Run(Base.Replace("  - name: hello", "  - name: hello\n    work: { mixture: &s [{ weight: 1, mixture: *s }] }"));
        ShouldBeRefused(r, $"{r.File}:5:48:", "the alias *s is inside the node it names");
    }

    [Fact]
    public void An_alias_bomb_of_a_few_hundred_bytes_is_refused_by_its_expanded_size()
    {
        string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + string.Concat(Enumerable.Range(1, 8).Select(i =>
            $"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n"));
        var r = Run(Base + bomb);
        ShouldBeRefused(r, $"{r.File}:", "more than 100,000 nodes with its aliases expanded");
    }

    [Fact]
    public void Nesting_deeper_than_64_levels_is_refused()
    {
        var r = Run(Base.Replace("every: 1s", "every: " + new string('[', 100) + new string(']', 100)));
        ShouldBeRefused(r, $"{r.File}:11:", "nesting deeper than 64 levels");
    }

    [Fact]
    public void A_horizon_past_100_years_is_refused_naming_the_flag_and_the_longest_duration()
    {
        var r = Run(Base, "--set", "horizon=10675199d");
        ShouldBeRefused(r, "--set horizon=10675199d: ", "longer than the longest duration the simulator takes, 100 years (36500d)");
    }

    [Fact]
    public void Gaps_that_are_almost_always_zero_are_refused_because_time_would_stand_still()
    {
        var r = Run(Base.Replace("every: 1s",
            "every: { mixture: [{ weight: 1000000000000, constant: 0s }, { weight: 1, constant: 1s }] }"));
        ShouldBeRefused(r, $"{r.File}:11:12:", "'every' asks for about 3,600,000,000,000,000 invocations in 1h", "lengthen the gaps");
    }

    [Fact]
    public void Traffic_of_more_than_a_billion_invocations_is_refused_with_the_estimate()
    {
        var r = Run(Base.Replace("every: 1s", "every: 1us").Replace("horizon: 1h", "horizon: 3000d"));
        ShouldBeRefused(r, $"{r.File}:11:12:", "about 260,000,000,000,000 invocations in 3000d", "shorten 'horizon'");
    }

    [Fact]
    public void A_burst_of_100000_over_a_year_in_a_one_hour_scenario_runs_the_part_within_the_horizon()
    {
        var r = Run(Base.Replace("every: 1s", "burst: { count: 100000, over: 365d }"), "--json");
        r.Code.Should().Be(0, r.Err);
        // 100,000 over 365 d is one every 315.36 s: instants 0, 315.36, ... 3468.96 s fall within the hour.
        System.Text.Json.JsonDocument.Parse(r.Out).RootElement.GetProperty("requests").GetArrayLength().Should().Be(12);
    }

    [Fact]
    public void A_lognormal_with_sigma_10_runs_its_long_tail_without_overflowing()
    {
        var r = Run(Base.Replace("  - name: hello", "  - name: hello\n    work: { lognormal: { median: 10ms, sigma: 10 } }"));
        r.Code.Should().Be(0, r.Err);
        r.Err.Should().BeEmpty();
    }

    private static string GoldenTrace => Path.Combine(World.Scenarios.Root, "Simulator.Tests", "Golden", "explore-upstash-2020", "explore",
        "outcome-1.trace");

    [Fact]
    public void Replay_with_an_edited_scenario_value_is_refused_but_comments_and_layout_do_not_count()
    {
        string yaml = File.ReadAllText(World.Scenarios.File("explore-upstash-2020.yaml"));
        string relaidOut = Path.Combine(_dir, "relaid.yaml"), edited = Path.Combine(_dir, "edited.yaml");
        File.WriteAllText(relaidOut, "# a comment of mine\n" + yaml.Replace("\n\n", "\n"));
        File.WriteAllText(edited, yaml.Replace("seed: ", "seed: 9"));
        CliTests.Run("replay", relaidOut, GoldenTrace).Code.Should().NotBe(ExitCodes.BadInput);
        CliTests.Run("replay", edited, GoldenTrace).Code.Should().Be(ExitCodes.BadInput);
    }

    [Theory]
    [InlineData("\"resolutionSeconds\":1", "\"resolutionSeconds\":0",
        "field 'resolutionSeconds': 'resolutionSeconds' must be a positive number of seconds")]
    [InlineData("\"choices\":[", "\"choices\":[-3,", "field 'choices': 'choices' must be a list of whole numbers, 0 or more")]
    [InlineData("\"kind\":\"zombiesim-trace\"", "\"kind\":\"trace\"", "field 'kind': not a zombiesim trace")]
    [InlineData("\"scenarioIdentity\":\"", "\"scenarioIdentity\":\"zz",
        "field 'scenarioIdentity': 'scenarioIdentity' must be 16 lowercase hex digits")]
    [InlineData("\"invariants\":[", "\"invariants\":[\"zombies<=many\"", "field 'invariants': 'zombies<=many' is not an invariant")]
    public void An_edited_trace_is_refused_naming_the_field(string from, string to, string says)
    {
        string trace = Path.Combine(_dir, "edited.trace");
        File.WriteAllText(trace, File.ReadAllText(GoldenTrace).Replace(from, to));
        var (code, _, error) = CliTests.Run("replay", World.Scenarios.File("explore-upstash-2020.yaml"), trace);
        code.Should().Be(ExitCodes.BadInput);
        error.Should().StartWith($"error: {trace}: {says}").And.NotContain("   at ");
    }
}
