using FluentAssertions;
using Xunit;
using Zombiesim.Core.Search;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Core;

public sealed class SearcherTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zombiesim-searcher-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Points_evaluated_in_small_batches_equal_those_evaluated_at_once_and_are_stored_in_the_same_order()
    {
        string file = Scenarios.File("search-upstash-idle-timeout.yaml");
        string yaml = File.ReadAllText(file);
        var vary = new Parameter("server.idleTimeout", ["250s", "290s", "300s", "310s", "320s"]);
        var spec = new SearchSpec([vary], 6, Goal.Parse("no errors", "t"), Objective.Parse("min server.idleTimeout", [vary], "t"),
            SearchStrategy.Grid, 1);
        SearchResult Search(int perBatch, string store)
        {
            var header = SearchHeader.For(yaml, [], spec, "t");
            var points = PointStore.Open(Path.Combine(_dir, store), header, resume: false);
            return new Searcher(yaml, file, [], spec, 2, null, points, perBatch).Run();
        }
        var once = Search(Searcher.MaxRunsPerBatch, "once.jsonl");
        var batched = Search(7, "batched.jsonl"); // one point (6 runs) per batch
        batched.Points.Select(PointStore.Line).Should().Equal(once.Points.Select(PointStore.Line));
        batched.Recommendation.Should().Be(once.Recommendation);
        File.ReadAllText(Path.Combine(_dir, "batched.jsonl")).Should().Be(File.ReadAllText(Path.Combine(_dir, "once.jsonl")));
    }

    [Fact]
    public void Bisection_finds_that_smaller_is_safer_and_recommends_the_margin_below_the_boundary()
    {
        // A cached connection idle longer than the server's 300 s is dead; a max idle below it makes
        // the library reconnect first. The second request comes 250 to 350 s after the first, so
        // every max idle up to 290 s is safe and every one from 310 s fails sometimes.
        string file = Scenarios.File("search-client-max-idle.yaml");
        string yaml = File.ReadAllText(file);
        var vary = new Parameter("functions.0.client.maxIdle", ["60s", "120s", "180s", "240s", "290s", "310s", "360s", "600s"]);
        var spec = new SearchSpec([vary], 40, Goal.Parse("no errors", "t"), Objective.Parse("max functions.0.client.maxIdle", [vary], "t"),
            SearchStrategy.Bisect, 1);
        var result = new Searcher(yaml, file, ["platform.reap.after=600s"], spec, 2, null, null).Run();
        result.Boundary!.Values.Should().Equal("290s");
        result.Recommended!.Values.Should().Equal("240s");
        result.Recommendation.Should().StartWith("functions.0.client.maxIdle: safe up to 290s (")
            .And.Contain("unsafe at 310s and above (")
            .And.Contain("290s is the boundary, with no margin; recommended 240s, 50s below it (0/40 runs failed");
    }

    [Fact]
    public void Speculative_bisection_on_four_workers_runs_guesses_and_stores_the_same_points_in_the_same_order_as_one_worker()
    {
        // Twelve values: both ends, four bisection steps and two margin steps, 20 runs each.
        string file = Scenarios.File("search-client-max-idle.yaml");
        string yaml = File.ReadAllText(file);
        var vary = new Parameter("functions.0.client.maxIdle",
            ["30s", "60s", "120s", "180s", "240s", "270s", "290s", "310s", "330s", "360s", "450s", "600s"]);
        var spec = new SearchSpec([vary], 20, Goal.Parse("no errors", "t"), Objective.Parse("max functions.0.client.maxIdle", [vary], "t"),
            SearchStrategy.Bisect, 2);
        (SearchResult Result, long Guessed) Search(int workers, string store)
        {
            var header = SearchHeader.For(yaml, ["platform.reap.after=600s"], spec, "t");
            var points = PointStore.Open(Path.Combine(_dir, store), header, resume: false);
            var searcher = new Searcher(yaml, file, ["platform.reap.after=600s"], spec, workers, null, points);
            return (searcher.Run(), searcher.SpeculativeRuns);
        }
        var (one, guessedByOne) = Search(1, "one.jsonl");
        var (four, guessedByFour) = Search(4, "four.jsonl");
        guessedByOne.Should().Be(0);
        guessedByFour.Should().BePositive("idle workers run the points the bisection may need next");
        four.Points.Select(PointStore.Line).Should().Equal(one.Points.Select(PointStore.Line));
        File.ReadAllText(Path.Combine(_dir, "four.jsonl")).Should().Be(File.ReadAllText(Path.Combine(_dir, "one.jsonl")));
        four.Recommendation.Should().Be(one.Recommendation);
        // 270s, 330s, 290s, 310s bisected (20 runs find no failure at 310s); the margin, 290s and 270s, was run already.
        one.Points.Select(p => p.Values[0]).Should().Equal("30s", "270s", "290s", "310s", "330s", "600s");
        one.Boundary!.Values.Should().Equal("310s");
        one.Recommended!.Values.Should().Equal("270s");
    }

    [Fact]
    public void A_shard_of_a_grid_search_says_it_holds_part_of_the_points_and_recommends_nothing()
    {
        string file = Scenarios.File("search-upstash-idle-timeout.yaml");
        var vary = new Parameter("server.idleTimeout", ["250s", "290s", "300s", "310s", "320s"]);
        var spec = new SearchSpec([vary], 4, Goal.Parse("no errors", "t"), Objective.Parse("min server.idleTimeout", [vary], "t"),
            SearchStrategy.Grid, 1);
        var shard = new Searcher(File.ReadAllText(file), file, [], spec, 2, null, null).Run(shard: 1, shards: 2);
        shard.Points.Select(p => p.Values[0]).Should().Equal("290s", "310s");
        shard.Recommended.Should().BeNull();
        shard.Boundary.Should().BeNull();
        shard.Recommendation.Should().Be("shard 1/2 holds 2 of the search's 5 points and recommends nothing: "
            + "merge the shards' directories with `zombiesim merge` for the conclusion");
    }
}
