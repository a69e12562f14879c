using FluentAssertions;
using Xunit;
using Zombiesim.Cli;
using Zombiesim.Cli.Charts;
using Zombiesim.Cli.Runs;
using Zombiesim.Cli.Runs.Sampling;
using Zombiesim.Cli.Searches;
using Zombiesim.Core.Explore;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Search;
using Zombiesim.Core.Worlds;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Cli;

/// <summary>Every output format is read back by the type that writes it, and charts drawn from the
/// records in memory equal those `plot` draws from the files.</summary>
public sealed class OutputRoundTripTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zombiesim-roundtrip-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (RunOutcome Outcome, RunRecorder Records) RunInMemory(string file)
    {
        var rec = new RunRecorder();
        return (Simulation.Run(ScenarioLoader.LoadFile(Scenarios.File(file)), null, rec), rec);
    }

    private static (RunOutcome Outcome, ChartRecorder Records) ChartInMemory(string file)
    {
        var scenario = ScenarioLoader.LoadFile(Scenarios.File(file));
        var rec = new ChartRecorder(scenario);
        return (Simulation.Run(scenario, null, rec), rec);
    }

    public static IEnumerable<object[]> Runs() =>
        [["upstash-2020-process.yaml"], ["fleet-reuse-vs-per-invocation.yaml"], ["mongodb-proxy.yaml"], ["nat-gateway.yaml"]];

    [Theory]
    [MemberData(nameof(Runs))]
    public void Run_out_files_read_back_as_the_records_they_were_written_from(string file)
    {
        string dir = Path.Combine(_dir, "run");
        var (outcome, rec) = RunInMemory(file);
        var scenario = ScenarioLoader.LoadFile(Scenarios.File(file));
        using (var files = RunFiles.Create(dir, scenario))
        {
            Simulation.Run(scenario, null, files);
            files.Complete(outcome);
        }
        var back = RunFiles.Read(dir);
        var memory = RunData.From(outcome, ChartInMemory(file).Records);
        back.Header.Should().BeEquivalentTo(memory.Header);
        back.Requests.Should().Equal(memory.Requests);
        back.Requests.Should().Equal(rec.Requests.Select(ChartRecorder.AsWritten),
            "these runs are short: every request is kept, its instant to the microsecond, its latency to the nanosecond");
        back.Transitions.Should().Equal(memory.Transitions);
        back.Lifecycle.Should().Equal(memory.Lifecycle);
        back.Notes.Should().Equal(memory.Notes);
        back.Samples.Should().BeEquivalentTo(memory.Samples);
        var csv = RunFiles.ReadRequests(Path.Combine(dir, RunFiles.Requests));
        csv.Select(r => r.Cause).Should().Equal(rec.Requests.Select(r => r.Cause?.Text()));
        Directory.GetFiles(dir).Select(Path.GetFileName).Order().Should()
            .Equal("connections.csv", "requests.csv", "summary.json", "trace.jsonl");
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void Trace_all_holds_every_record_of_the_run(string file)
    {
        string dir = Path.Combine(_dir, "all");
        var (_, rec) = RunInMemory(file);
        CliTests.Run("run", Scenarios.File(file), "--out", dir, "--trace", "all").Code.Should().BeOneOf(0, 1);
        var lines = File.ReadLines(Path.Combine(dir, RunFiles.Trace)).Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!.AsObject())
            .ToList();
        lines.Where(o => o["kind"]!.GetValue<string>() == "request").Select(o => RecordJson.ReadRequest(o).Record).Should()
            .Equal(rec.Requests.Select(r => r with { Cause = null, LatencyMs = Math.Round(r.LatencyMs, 6) }));
        var back = RunFiles.Read(dir);
        back.Transitions.Should().Equal(rec.Transitions);
        back.Lifecycle.Should().Equal(rec.Lifecycle);
        back.Notes.Should().Equal(rec.Notes);
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void Run_json_reads_back_and_writes_the_same_document(string file)
    {
        var (code, json, _) = CliTests.Run("run", Scenarios.File(file), "--json");
        code.Should().BeOneOf(0, 1);
        var doc = RunJson.Read(json);
        var indented = new System.Text.Json.JsonSerializerOptions { WriteIndented = true };
        RunJson.Write(doc).ToJsonString(indented).Should().Be(json.TrimEnd('\n'));
        var scenario = ScenarioLoader.LoadFile(Scenarios.File(file));
        var sampled = new RunRecorder();
        Simulation.Run(scenario, null, new TraceSelection(scenario, TraceSpec.Sample, sampled));
        doc.Transitions.Should().Equal(sampled.Transitions, "--json holds the default trace's records");
        doc.Lifecycle.Should().Equal(sampled.Lifecycle);
        doc.Requests.Select(r => r.Cause).Should().Equal(sampled.Requests.Select(r => r.Cause?.Text()));
        var (_, rec) = RunInMemory(file);
        var all = RunJson.Read(CliTests.Run("run", Scenarios.File(file), "--json", "--full").Out);
        all.Transitions.Should().Equal(rec.Transitions, "--full holds every record");
        all.Lifecycle.Should().Equal(rec.Lifecycle);
        all.Requests.Select(r => r.Cause).Should().Equal(rec.Requests.Select(r => r.Cause?.Text()));
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void Charts_drawn_from_memory_equal_the_charts_plot_draws_from_disk(string file)
    {
        string dir = Path.Combine(_dir, "charts");
        CliTests.Run("run", Scenarios.File(file), "--out", dir, "--timeline-lines", "0").Code.Should().BeOneOf(0, 1);
        var (outcome, rec) = ChartInMemory(file);
        rec.Transitions.Select(t => t.Connection).Distinct().Should().HaveCountLessThanOrEqualTo(
            ChartRecorder.Connections + TraceSelection.MaxFailureConnections + TraceSelection.MaxSuccessConnections);
        var memory = RunCharts.Draw([RunData.From(outcome, rec)]);
        var disk = RunCharts.Draw([RunFiles.Read(dir)]);
        memory.Select(c => c.Name).Should().Equal("connections", "lifecycle", "latency");
        for (int i = 0; i < memory.Count; i++)
        {
            memory[i].Series.Should().BeEquivalentTo(disk[i].Series, o => o.WithStrictOrdering(), memory[i].Name);
            memory[i].Png(600, 400).Should().Equal(disk[i].Png(600, 400), $"the {memory[i].Name} chart's pixels");
        }
        // and `plot` writes the same PNG as `run --out` drew from memory
        CliTests.Run("plot", dir, "--out", Path.Combine(dir, "again"), "--format", "png").Code.Should().Be(0);
        foreach (var chart in new[] { "connections", "lifecycle", "latency" })
            File.ReadAllBytes(Path.Combine(dir, "again", chart + ".png")).Should()
                .Equal(File.ReadAllBytes(Path.Combine(dir, chart + ".png")), chart);
    }

    [Theory]
    [InlineData("search-upstash-idle-timeout.yaml", "server.idleTimeout=[250s,300s,310s,320s]")]
    [InlineData("search-client-max-idle.yaml", null)]
    public void Search_files_read_back_and_the_chart_from_memory_equals_the_one_from_disk(string file, string? vary)
    {
        string dir = Path.Combine(_dir, "search");
        string[] args = ["search", Scenarios.File(file), "--replications", "10", "--workers", "2", "--out", dir];
        if (vary is not null)
            args = [.. args, "--vary", vary];
        CliTests.Run(args).Code.Should().Be(0);
        var back = SearchReport.Read(Path.Combine(dir, SearchReport.JsonFile));
        (back.JsonText() + "\n").Should().Be(File.ReadAllText(Path.Combine(dir, SearchReport.JsonFile)));
        back.Csv().Should().Be(File.ReadAllText(Path.Combine(dir, SearchReport.CsvFile)));
        var (paths, csvPoints) = SearchReport.ReadCsv(Path.Combine(dir, SearchReport.CsvFile));
        paths.Should().Equal(back.Vary.Select(v => v.Path));
        csvPoints.Select(p => (p.Failures, p.High, p.Safe, p.Cause)).Should()
            .Equal(back.Points.Select(p => (p.Failures, p.High, p.Safe, p.Cause)));
        (back with { Points = csvPoints }).Csv().Should().Be(File.ReadAllText(Path.Combine(dir, SearchReport.CsvFile)));

        var store = PointStore.Read(Path.Combine(dir, PointStore.FileName));
        back.Objective.Should().Be(store.Header.Spec.Objective);
        string again = Path.Combine(_dir, "points-again.jsonl");
        PointStore.Write(again, store.Header, SearchConclusion.Conclude(store.Header.Spec, store.Points.ToList()).Points);
        File.ReadAllText(again).Should().Be(File.ReadAllText(Path.Combine(dir, PointStore.FileName)));
        var result = SearchConclusion.Conclude(store.Header.Spec, store.Points.ToList());
        var memory = SearchReport.From(result, store.Header.Name);
        memory.JsonText().Should().Be(back.JsonText());
        SearchChart.Draw(memory).Png(600, 400).Should().Equal(SearchChart.Draw(back).Png(600, 400));
    }

    [Fact]
    public void Point_store_header_and_points_read_back_typed()
    {
        var spec = new SearchSpec([new Parameter("server.idleTimeout", ["60s", "120s"])], 7, Goal.Parse("errors <= 1% at 90%", "t"),
            Objective.Parse("min zombieSeconds", [new Parameter("server.idleTimeout", [])], "t"), SearchStrategy.Grid, 2);
        var header = SearchHeader.For("name: x\n", ["seed=3"], spec, "x");
        var point = new PointResult(["60s"], 7, 2,
            new SortedDictionary<Outcome, long>(PointResult.OutcomeOrder) { [Outcome.Ok] = 5, [Outcome.Eof] = 2 },
            MetricNames.All.ToDictionary(m => m, m => (double)m + 0.5), "EOF (fin): the server closed it");
        string path = Path.Combine(_dir, PointStore.FileName);
        PointStore.Write(path, header, [point]);
        var back = PointStore.Read(path);
        back.Header.ToJson().Should().Be(header.ToJson());
        back.Header.Spec.Objective.Metric.Should().Be(Metric.ZombieSeconds);
        back.Header.Spec.Goal.MaxRate.Should().Be(0.01);
        var p = back.Points.Single();
        p.Values.Should().Equal("60s");
        p.Outcomes.Should().Equal(point.Outcomes);
        p.Metrics.Should().BeEquivalentTo(point.Metrics);
        p.Cause.Should().Be(point.Cause);
    }

    [Fact]
    public void An_explore_trace_reads_back_as_written()
    {
        var trace = new ExploreTrace("s", "0123456789abcdef", ["a=1"], 0.5, ["no-errors"], [0, 3, 1], "a violation", "coyote");
        string path = Path.Combine(_dir, "t.trace");
        Zombiesim.Core.Files.AtomicFile.WriteAllText(path, trace.ToJson() + "\n");
        var back = ExploreTrace.Read(path);
        back.ToJson().Should().Be(trace.ToJson());
        back.Choices.Should().Equal(0, 3, 1);
    }
}
