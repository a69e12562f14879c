using System.Diagnostics;
using System.Text.Json;
using FluentAssertions;
using Xunit;
using Zombiesim.Cli;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Search;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Cli;

public sealed class SearchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zombiesim-search-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Out(string name) => Path.Combine(_dir, name);

    private static JsonElement Json(string output) => JsonDocument.Parse(output).RootElement.Clone();

    [Theory]
    [InlineData(0, 200, 0.0, 0.018845)]
    [InlineData(1, 200, 0.000883, 0.0277737)]
    [InlineData(50, 100, 0.403832, 0.596168)]
    public void Wilson_intervals_match_the_formula(int k, int n, double low, double high)
    {
        var (lo, hi) = Wilson.Interval(k, n, 0.95);
        lo.Should().BeApproximately(low, 1e-6);
        hi.Should().BeApproximately(high, 1e-6);
    }

    [Fact]
    public void Goals_and_ranges_parse_as_documented()
    {
        Goal.Parse("no EOF,ECONNRESET", "t").Should().Match<Goal>(g => g.MaxRate == 0
            && g.Outcomes!.SetEquals(new[] { Outcome.Eof, Outcome.ECONNRESET }) && g.Confidence == 0.95);
        Goal.Parse("errors <= 1% at 99%", "t").Should().Match<Goal>(g => g.MaxRate == 0.01 && g.Outcomes == null && g.Confidence == 0.99);
        Goal.Parse("errors <= 5%", "t").Met(0, 100).Should().BeTrue("upper bound 3.7% <= 5%");
        Goal.Parse("errors <= 5%", "t").Met(0, 50).Should().BeFalse("upper bound 7.1% > 5%: zero failures in 50 runs is not proof");
        Parameter.Parse("server.idleTimeout=280s..320s:10s", "t").Values.Should().Equal("280s", "290s", "300s", "310s", "320s");
        Parameter.Parse("server.maxClients=[10, 20]", "t").Values.Should().Equal("10", "20");
        ((Action)(() => Goal.Parse("no FOO", "--goal")))
            .Should().Throw<Zombiesim.Core.Scenarios.UsageException>().WithMessage("--goal: 'FOO' is not an error outcome*");
    }

    [Fact]
    public void The_2020_search_finds_300_s_as_the_boundary_and_recommends_310_s_with_evidence()
    {
        var (code, output, _) = CliTests.Run("search", Scenarios.File("search-upstash-idle-timeout.yaml"), "--json");
        code.Should().Be(0);
        var r = Json(output);
        var points = r.GetProperty("points").EnumerateArray().ToList();
        foreach (var p in points)
        {
            double t = double.Parse(p.GetProperty("values").GetProperty("server.idleTimeout").GetString()!.TrimEnd('s'));
            p.GetProperty("safe").GetBoolean().Should().Be(t >= 300, $"{t}s: the server must not close before the platform reaps at 300 s");
            if (t < 300)
                p.GetProperty("cause").GetString().Should().Contain("the server closed it").And.Contain("while hello#1 was frozen");
        }
        points.Select(p => p.GetProperty("values").GetProperty("server.idleTimeout").GetString())
            .Should().Contain(["290s", "300s", "310s"]);
        points.Count.Should().BeLessThan(12, "bisection needs far fewer points than the 35 of the grid");
        r.GetProperty("boundary").GetProperty("server.idleTimeout").GetString().Should().Be("300s");
        r.GetProperty("recommendation").GetProperty("values").GetProperty("server.idleTimeout").GetString().Should().Be("310s");
        r.GetProperty("recommendation").GetProperty("text").GetString().Should().Contain("300s is the boundary, with no margin")
            .And.Contain("recommended 310s, 10s above it");
        r.GetProperty("warnings").GetArrayLength().Should().Be(0);
    }

    [Fact]
    public void With_reaping_as_a_distribution_each_timeout_gets_a_failure_rate_with_an_interval()
    {
        var (code, output, _) = CliTests.Run("search", Scenarios.File("search-reap-distribution.yaml"), "--json", "--replications", "200");
        code.Should().Be(0);
        var points = Json(output).GetProperty("points").EnumerateArray().ToList();
        var rates = points.Select(p => p.GetProperty("failureRate").GetDouble()).ToList();
        rates.Should().BeInDescendingOrder("with common random numbers, a longer timeout can only fail less");
        rates[0].Should().BeGreaterThan(0.05);
        foreach (var p in points)
            p.GetProperty("low").GetDouble().Should().BeLessThanOrEqualTo(p.GetProperty("failureRate").GetDouble())
                .And.BeLessThanOrEqualTo(p.GetProperty("high").GetDouble());
        points.Last().GetProperty("failures").GetInt32().Should().Be(0, "a timeout past the longest reap cannot fail");
    }

    [Fact]
    public void Max_idle_below_the_server_timeout_is_safe_whatever_the_reap_time()
    {
        var (code, output, _) = CliTests.Run("search", Scenarios.File("search-client-max-idle.yaml"), "--json", "--replications", "100");
        code.Should().Be(0);
        var r = Json(output);
        foreach (var p in r.GetProperty("points").EnumerateArray())
        {
            double maxIdle = double.Parse(p.GetProperty("values").GetProperty("functions.0.client.maxIdle").GetString()!.TrimEnd('s'));
            double reap = double.Parse(p.GetProperty("values").GetProperty("platform.reap.after").GetString()!.TrimEnd('s'));
            if (maxIdle < 300)
                p.GetProperty("failures").GetInt32().Should().Be(0);
            if (maxIdle > 300 && reap > 350)
                p.GetProperty("safe").GetBoolean().Should().BeFalse($"maxIdle {maxIdle}s lets the library write "
                    + "on a connection the server closed at 300 s");
        }
        r.GetProperty("recommendation").GetProperty("values").GetProperty("functions.0.client.maxIdle").GetString().Should().Be("290s");
    }

    private (string Json, string Csv, string Jsonl) SearchFiles(string dir, params string[] extra)
    {
        var (code, _, error) = CliTests.Run(["search", Scenarios.File("search-upstash-idle-timeout.yaml"),
            "--vary", "server.idleTimeout=[250s,290s,300s,310s]",
            "--strategy", "grid", "--replications", "40", "--out", dir, .. extra]);
        code.Should().Be(0, error);
        return (File.ReadAllText(Path.Combine(dir, "search.json")), File.ReadAllText(Path.Combine(dir, "search.csv")),
            File.ReadAllText(Path.Combine(dir, "points.jsonl")));
    }

    [Fact]
    public void One_and_two_workers_give_byte_identical_result_files()
    {
        var one = SearchFiles(Out("w1"), "--workers", "1");
        var two = SearchFiles(Out("w2"), "--workers", "2");
        two.Should().Be(one);
        one.Csv.Split('\n')[0].Should().StartWith("server.idleTimeout,runs,failures,failure_rate,low,high,safe");
    }

    [Fact]
    public void A_bisection_on_one_and_on_four_workers_writes_byte_identical_files()
    {
        // Four workers guess the bisection's next points while a point's last runs finish; one guesses nothing.
        (string Json, string Csv, string Jsonl) Bisect(string dir, string workers)
        {
            var (code, _, error) = CliTests.Run(["search", Scenarios.File("search-client-max-idle.yaml"),
                "--vary", "functions.0.client.maxIdle=[30s,60s,120s,180s,240s,270s,290s,310s,330s,360s,450s,600s]",
                "--set", "platform.reap.after=600s", "--strategy", "bisect", "--replications", "10", "--margin-steps", "2",
                "--workers", workers, "--out", dir]);
            code.Should().Be(0, error);
            return (File.ReadAllText(Path.Combine(dir, "search.json")), File.ReadAllText(Path.Combine(dir, "search.csv")),
                File.ReadAllText(Path.Combine(dir, "points.jsonl")));
        }
        var one = Bisect(Out("b1"), "1");
        var four = Bisect(Out("b4"), "4");
        four.Should().Be(one);
        one.Jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should()
            .HaveCountGreaterThan(5, "a header, both ends and the bisected points");
    }

    [Fact]
    public void An_interrupted_search_resumed_gives_the_same_final_files()
    {
        var full = SearchFiles(Out("full"));
        string dir = Out("cut");
        Directory.CreateDirectory(dir);
        var lines = full.Jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Interrupted after two points, the third half-written.
        File.WriteAllText(Path.Combine(dir, "points.jsonl"), string.Join('\n', lines.Take(3)) + "\n" + lines[3][..20]);
        var resumed = SearchFiles(dir, "--resume");
        resumed.Should().Be(full);
    }

    [Fact]
    public void Resuming_a_different_search_is_refused()
    {
        SearchFiles(Out("a"));
        var (code, _, error) = CliTests.Run("search", Scenarios.File("search-upstash-idle-timeout.yaml"),
            "--vary", "server.idleTimeout=[250s,300s]",
            "--strategy", "grid", "--replications", "40", "--out", Out("a"), "--resume");
        code.Should().Be(ExitCodes.BadInput);
        error.Should().Contain("different search");
    }

    [Fact]
    public void Two_shards_merged_equal_the_unsharded_search()
    {
        var whole = SearchFiles(Out("whole"));
        SearchFiles(Out("s1"), "--shard", "0/2");
        SearchFiles(Out("s2"), "--shard", "1/2");
        var (code, _, error) = CliTests.Run("merge", Out("s1"), Out("s2"), "--out", Out("merged"));
        code.Should().Be(0, error);
        File.ReadAllText(Path.Combine(Out("merged"), "search.json")).Should().Be(whole.Json);
        File.ReadAllText(Path.Combine(Out("merged"), "search.csv")).Should().Be(whole.Csv);
        File.ReadAllText(Path.Combine(Out("merged"), "points.jsonl")).Should().Be(whole.Jsonl);
    }

    /// <summary>Starts the CLI as its own operating-system process.</summary>
    private static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(ZombiesimCli).Assembly.Location);
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        return Process.Start(start)!;
    }

    private static void Finish(Process p)
    {
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        stdout.Wait();
        p.WaitForExit(300_000).Should().BeTrue();
        p.ExitCode.Should().Be(0, stderr);
        p.Dispose();
    }

    [Fact]
    public void Four_shards_in_four_processes_merged_equal_the_unsharded_search_file_for_file()
    {
        // Every step its own process, as on a cluster (the charts' SVG ids count per process, so in-process runs would differ there).
        string[] grid = ["search", Scenarios.File("search-client-max-idle.yaml"), "--replications", "20", "--workers", "1"];
        Finish(Start([.. grid, "--out", Out("whole")]));
        // Four shards at once, as four pods of an Indexed Job or four tasks of a Slurm array would run them.
        var shards = Enumerable.Range(0, 4).Select(i => Start([.. grid, "--shard", $"{i}/4", "--out", Out($"shard-{i}")])).ToList();
        shards.ForEach(Finish);
        Finish(Start(["merge", .. Enumerable.Range(0, 4).Select(i => Out($"shard-{i}")), "--out", Out("merged")]));
        var names = Directory.GetFiles(Out("whole")).Select(Path.GetFileName).Order().ToList();
        names.Should().Equal("points.jsonl", "search.csv", "search.json", "search.png", "search.svg");
        Directory.GetFiles(Out("merged")).Select(Path.GetFileName).Order().Should().Equal(names);
        foreach (string? name in names)
        {
            File.ReadAllBytes(Path.Combine(Out("merged"), name!))
                .Should().Equal(File.ReadAllBytes(Path.Combine(Out("whole"), name!)), name);
        }
        // Each shard held every 4th of the 15 points from its own index.
        File.ReadAllLines(Path.Combine(Out("shard-1"), "points.jsonl")).Length.Should().Be(1 + 4);
        File.ReadAllLines(Path.Combine(Out("shard-3"), "points.jsonl")).Length.Should().Be(1 + 3);
    }

    [Fact]
    public void Merging_without_every_shard_is_refused_naming_a_missing_point()
    {
        SearchFiles(Out("s0"), "--shard", "0/2");
        var (code, _, error) = CliTests.Run("merge", Out("s0"), "--out", Out("merged"));
        code.Should().Be(ExitCodes.BadInput);
        error.Should().Contain("merge: 2 of the grid's points are in none of the directories, like server.idleTimeout=290s")
            .And.Contain("--resume");
        Directory.Exists(Out("merged")).Should().BeFalse();
    }

    [Fact]
    public void Bad_search_input_is_exit_2_with_a_clear_message()
    {
        var cases = new (string[] Args, string Says)[]
        {
            (["--vary", "server.idelTimeout=60s..70s:10s"], "did you mean 'idleTimeout'?"),
            (["--vary", "server.idleTimeout=70s..60s"], "FROM <= TO"),
            (["--goal", "no FOO"], "'FOO' is not an error outcome"),
            (["--objective", "min nonsense"], "neither a varied path"),
            (["--shard", "2/2"], "I/N with 0 <= I < N"),
            (["--shard", "1/2", "--strategy", "grid"], "a shard needs --out DIR"),
            (["--shard", "1/2", "--out", Out("bisect")], "cannot be split into shards"),
            (["--resume"], "--resume needs --out"),
        };
        foreach (var (args, says) in cases)
        {
            var (code, output, error) =
                CliTests.Run(["search", Scenarios.File("search-upstash-idle-timeout.yaml"), "--replications", "2", .. args]);
            code.Should().Be(ExitCodes.BadInput, string.Join(' ', args));
            error.Should().Contain(says).And.NotContain("   at ");
            output.Should().BeEmpty();
        }
    }
}
