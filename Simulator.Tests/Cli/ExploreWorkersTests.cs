using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Xunit;
using Zombiesim.Cli;
using Zombiesim.Core.Explore;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Cli;

/// <summary>An exploration's iterations split in fixed shards, run on any number of threads, merged in shard order.</summary>
public sealed class ExploreWorkersTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zombiesim-explore-workers-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(1, new[] { 1 })]
    [InlineData(20, new[] { 20 })]
    [InlineData(200, new[] { 64, 64, 64, 8 })]
    [InlineData(1000, new[] { 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 64, 40 })]
    [InlineData(3000, new[] { 192, 192, 192, 192, 192, 192, 192, 192, 192, 192, 192, 192, 192, 192, 192, 120 })]
    public void Iterations_split_in_at_most_sixteen_shards_of_whole_portfolio_rounds_of_batches_whatever_the_machine(int iterations,
        int[] sizes)
    {
        var shards = ExploreShards.Of(iterations);
        shards.Select(s => s.Count).Should().Equal(sizes);
        shards.Select(s => s.Index).Should().Equal(Enumerable.Range(0, sizes.Length));
        shards.Select(s => s.First).Should().Equal(sizes.Select((_, k) => sizes.Take(k).Sum()));
        shards.Select(s => s.CoyoteIterations).Should().Equal(sizes.Select(n => (n + 15) / 16), "16 runs per Coyote iteration");
        // Coyote seeds iteration k of an engine with its seed + k: shard by shard, Coyote iteration g runs with seed + g.
        shards.Select(s => s.Seed(7)).Should().Equal(shards.Select(s => 7u + (uint)s.First / 16));
        shards.Last().Seed(uint.MaxValue).Should().Be(unchecked(uint.MaxValue + (uint)shards.Last().First / 16), "the seed wraps");
    }

    /// <summary>The JSON `explore` prints, without its speed, and every file it wrote.</summary>
    private (string Json, IReadOnlyList<(string Name, string Text)> Files) Explore(string scenario, string workers, params string[] more)
    {
        string dir = Path.Combine(_dir, $"{scenario}-{workers}");
        var (code, output, error) = CliTests.Run(["explore", Scenarios.File(scenario), "--workers", workers, "--out", dir, "--json",
            .. more]);
        code.Should().Be(ExitCodes.Violated, error);
        var json = JsonNode.Parse(output)!.AsObject();
        json["iterationsPerSecond"]!.GetValue<double>().Should().BePositive();
        json.Remove("iterationsPerSecond");
        // Paths name the directory, which differs by run: the files' names are compared, the directory left out.
        string text = json.ToJsonString().Replace(dir, "DIR");
        var files = Directory.GetFiles(dir).Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileName(f), File.ReadAllText(f).Replace(dir, "DIR"))).ToList();
        return (text, files);
    }

    [Theory]
    [InlineData("explore-upstash-2020.yaml", "portfolio", "300")]
    [InlineData("explore-same-instant.yaml", "random", "100")]
    public void One_two_and_four_workers_print_and_write_byte_identical_explorations(string scenario, string strategy, string iterations)
    {
        var one = Explore(scenario, "1", "--strategy", strategy, "--iterations", iterations, "--invariant", "no-errors");
        var two = Explore(scenario, "2", "--strategy", strategy, "--iterations", iterations, "--invariant", "no-errors");
        var four = Explore(scenario, "4", "--strategy", strategy, "--iterations", iterations, "--invariant", "no-errors");
        two.Json.Should().Be(one.Json);
        four.Json.Should().Be(one.Json);
        two.Files.Should().Equal(one.Files);
        four.Files.Should().Equal(one.Files);
        one.Files.Select(f => f.Name).Should().Contain("violation-1.trace").And.Contain("violation-1.timeline.txt");
    }

    [Fact]
    public void The_first_violations_trace_carries_coyotes_trace_of_the_coyote_iteration_that_ran_it()
    {
        // Coyote keeps the trace of its latest iteration once it has found a bug; the file must hold the first violation's.
        var (json, files) = Explore("explore-upstash-2020.yaml", "2", "--iterations", "200", "--invariant", "no-errors");
        var r = JsonDocument.Parse(json).RootElement;
        r.GetProperty("violatingIterations").GetInt32().Should().Be(22);
        r.GetProperty("violations")[0].GetProperty("iteration").GetInt32().Should().Be(14);
        var trace = JsonDocument.Parse(files.Single(f => f.Name == "violation-1.trace").Text).RootElement;
        var choices = trace.GetProperty("choices").EnumerateArray().Select(c => c.GetInt32()).ToList();
        choices.Should().Equal(55, 0, 40, 35, 1);
        var coyote = JsonDocument.Parse(trace.GetProperty("coyoteTrace").GetString()!).RootElement;
        var steps = coyote.GetProperty("Steps").EnumerateArray().Select(s => int.Parse(s.GetString()!.Split("int(")[1].TrimEnd(')')))
            .ToList();
        // Iteration 14 is the fourteenth run of the first Coyote iteration (runs 1-16), of the first shard's engine, seeded 1:
        // its choices follow those of runs 1 to 13, the first of which are iteration 1's.
        var first = JsonDocument.Parse(files.Single(f => f.Name == "outcome-1.trace").Text).RootElement;
        first.GetProperty("choices").EnumerateArray().Select(c => c.GetInt32()).Should().Equal(steps.Take(4));
        Enumerable.Range(0, steps.Count - choices.Count + 1).Where(k => steps.Skip(k).Take(choices.Count).SequenceEqual(choices))
            .Should().ContainSingle();
        coyote.GetProperty("Settings").GetProperty("Seed").GetUInt32().Should().Be(1);
    }
}
