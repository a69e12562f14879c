using System.Text.Json;
using FluentAssertions;
using Xunit;
using Zombiesim.Cli;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Cli;

public sealed class ExploreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zombiesim-explore-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonElement Json(string s) => JsonDocument.Parse(s).RootElement.Clone();

    private static IEnumerable<(double T, string Outcome)> Requests(string runJson) =>
        Json(runJson).GetProperty("requests").EnumerateArray()
            .Select(r => (r.GetProperty("t").GetDouble(), r.GetProperty("outcome").GetString()!));

    [Theory]
    [InlineData("random")]
    [InlineData("prioritization")]
    [InlineData("probabilistic")]
    [InlineData("portfolio")]
    public void Every_strategy_finds_the_request_between_the_servers_close_and_the_reap(string strategy)
    {
        string file = Scenarios.File("explore-upstash-2020.yaml");
        string outDir = Path.Combine(_dir, strategy);
        var (code, output, _) = CliTests.Run("explore", file, "--strategy", strategy, "--iterations", "1000", "--invariant", "no-errors",
            "--out", outDir, "--json");
        code.Should().Be(ExitCodes.Violated);
        var r = Json(output);
        r.GetProperty("iterations").GetInt32().Should().Be(1000);
        r.GetProperty("iterationsPerSecond").GetDouble().Should().BePositive();
        var violation = r.GetProperty("violations")[0];
        violation.GetProperty("iteration").GetInt32().Should().BeLessThanOrEqualTo(1000);
        string message = violation.GetProperty("message").GetString()!;
        message.Should().Contain("[no-errors]").And.Contain("the server closed it after 300s idle").And.Contain("while hello#1 was frozen");

        // The thawed request failed: after the server's close at about 300.2 s, before the reap.
        var first = CliTests.Run("replay", file, violation.GetProperty("trace").GetString()!, "--json");
        var second = CliTests.Run("replay", file, violation.GetProperty("trace").GetString()!, "--json");
        first.Code.Should().Be(ExitCodes.Violated);
        second.Out.Should().Be(first.Out, "a replay is exact, every time");
        var failed = Requests(first.Out).Single(q => q.Outcome != "ok");
        failed.T.Should().BeGreaterThan(300.2).And.BeLessThan(331);
        message.Should().Contain($"the request at {failed.T}s");
        File.ReadAllText(violation.GetProperty("timeline").GetString()!).Should().Contain("request FAILED EOF (fin)");
    }

    [Fact]
    public void With_310_s_and_reaping_by_300_s_ten_thousand_iterations_find_no_violation()
    {
        var (code, output, _) = CliTests.Run("explore", Scenarios.File("explore-upstash-2020.yaml"), "--iterations", "10000",
            "--invariant", "no-errors", "--set", "server.idleTimeout=310s", "--set", "platform.reap.after={ uniform: [250s, 300s] }",
            "--out", _dir, "--json", "--strategy", "random");
        code.Should().Be(ExitCodes.Ok);
        var r = Json(output);
        r.GetProperty("iterations").GetInt32().Should().Be(10000);
        r.GetProperty("violatingIterations").GetInt32().Should().Be(0);
        r.GetProperty("violations").GetArrayLength().Should().Be(0);
        r.GetProperty("outcomeClasses").EnumerateObject().Select(p => p.Name).Should().Equal("ok,ok");
    }

    [Fact]
    public void A_same_instant_race_is_explored_both_ways_and_each_order_replays()
    {
        string file = Scenarios.File("explore-same-instant.yaml");
        var (code, output, _) = CliTests.Run("explore", file, "--iterations", "300", "--invariant", "no-errors", "--out", _dir, "--json");
        code.Should().Be(ExitCodes.Violated);
        var r = Json(output);
        var classes = r.GetProperty("outcomeClasses").EnumerateObject().Select(p => p.Name).ToList();
        classes.Should().Contain("ok,ok", "the request ran before the idle close");
        classes.Should().Contain(c => c.StartsWith("ok,E") && c.EndsWith('!'), "the idle close ran first");
        var succeeded = r.GetProperty("examples").EnumerateArray().Single(e => e.GetProperty("outcomes").GetString() == "ok,ok");
        var failed = r.GetProperty("violations")[0];
        Requests(CliTests.Run("replay", file, succeeded.GetProperty("trace").GetString()!, "--json").Out)
            .Should().Equal((0.0, "ok"), (60.0, "ok"));
        var again = Requests(CliTests.Run("replay", file, failed.GetProperty("trace").GetString()!, "--json").Out).ToList();
        again[1].T.Should().Be(60);
        again[1].Outcome.Should().NotBe("ok");
    }

    [Fact]
    public void Reaching_the_step_bound_fails_the_exploration_instead_of_cutting_it_short_silently()
    {
        var (code, output, _) = CliTests.Run("explore", Scenarios.File("explore-same-instant.yaml"), "--iterations", "20",
            "--max-steps", "2", "--out", _dir);
        code.Should().Be(ExitCodes.Violated);
        output.Should().Contain("exploration FAILED: iteration 1 reached the step bound (2 choices) and was cut short");
        output.Should().StartWith("explore-same-instant: 20 iterations")
            .And.Contain("outcome classes (request outcomes in order; ! marks a violation): 0");
    }

    [Fact]
    public void Bad_explore_and_replay_input_is_exit_2()
    {
        string file = Scenarios.File("explore-upstash-2020.yaml");
        CliTests.Run("explore", file, "--invariant", "zombies<=x").Err.Should().Contain("is not an invariant");
        CliTests.Run("explore", file, "--strategy", "dfs").Code.Should().Be(ExitCodes.BadInput);
        string bogus = Path.Combine(_dir, "bogus.trace");
        File.WriteAllText(bogus, "{\"kind\":\"something\"}");
        var (code, _, error) = CliTests.Run("replay", file, bogus);
        code.Should().Be(ExitCodes.BadInput);
        error.Should().Contain("not a zombiesim trace");
    }

    [Fact]
    public void A_trace_from_another_scenario_is_refused()
    {
        var (_, output, _) = CliTests.Run("explore", Scenarios.File("explore-same-instant.yaml"), "--iterations", "50",
            "--invariant", "no-errors", "--out", _dir, "--json");
        string trace = Json(output).GetProperty("violations")[0].GetProperty("trace").GetString()!;
        var (code, _, error) = CliTests.Run("replay", Scenarios.File("mongodb-proxy.yaml"), trace);
        code.Should().Be(ExitCodes.BadInput);
        error.Should().StartWith($"error: {trace}: the trace was explored on scenario 'explore-same-instant'")
            .And.Contain("replays only on the scenario it was explored on");
    }

    [Fact]
    public void Bench_explore_explores_the_2020_scenario_file_and_finds_the_same_outcome_classes_as_explore()
    {
        var (code, output, _) = CliTests.Run("bench", "explore", "--iterations", "200", "--repetitions", "2", "--json");
        code.Should().Be(0);
        var r = Json(output).GetProperty("result");
        r.GetProperty("iterations").GetInt32().Should().Be(200);
        r.GetProperty("workers").GetInt32().Should().Be(System.Environment.ProcessorCount);
        string[] figures = ["cpuIterationsPerSecond", "serialWallIterationsPerSecond", "parallelWallIterationsPerSecond", "speedUp"];
        foreach (string figure in figures)
        {
            r.GetProperty(figure).GetProperty("repetitions").GetInt32().Should().Be(2);
            r.GetProperty(figure).GetProperty("min").GetDouble().Should().BePositive();
        }
        r.GetProperty("allocatedKbPerIteration").GetDouble().Should().BePositive();
        // The benchmark keeps the scenario's text: it must stay the file's, whose 200 iterations find these classes.
        var (_, explored, _) = CliTests.Run("explore", Scenarios.File("explore-upstash-2020.yaml"), "--iterations", "200",
            "--out", Path.Combine(_dir, "bench"), "--json");
        var classes = Json(explored).GetProperty("outcomeClasses").EnumerateObject().Select(c => $"{c.Name} {c.Value.GetInt32()}");
        string.Join(", ", classes).Should().Be("ok,EOF 22, ok,ok 178");
        r.GetProperty("classes").GetString().Should().Be("ok,EOF 22, ok,ok 178");
    }

    [Fact]
    public void Bench_readme_ends_with_the_explore_table_and_names_its_iterations_in_its_command()
    {
        var (code, output, _) = CliTests.Run("bench", "readme", "--events", "1000", "--hours", "0.002", "--runs", "1", "--iterations", "8",
            "--repetitions", "1");
        code.Should().Be(0);
        output.Should().Contain(
            "`zombiesim bench readme --events 1000 --hours 0.002 --runs 1 --iterations 8 --repetitions 1 > benchmarks/README.md`");
        var lines = output.TrimEnd().Split('\n');
        lines[^5].Should().StartWith("## `bench explore`");
        lines[^3].Should().StartWith("| scenario | iterations | serial iterations/CPU s | serial iterations/s | parallel iterations/s |");
        lines[^1].Should().StartWith("| explore-upstash-2020 | 8 | ");
    }
}
