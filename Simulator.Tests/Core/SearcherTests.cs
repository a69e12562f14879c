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
}
