using System.Buffers.Binary;
using System.Xml.Linq;
using FluentAssertions;
using Xunit;
using Zombiesim.Cli.Charts;
using Zombiesim.Cli.Runs;
using Zombiesim.Cli.Searches;
using Zombiesim.Cli;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Cli;

public sealed class PlotTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zombiesim-plot-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static void ShouldBePng(string path, int width, int height)
    {
        var bytes = File.ReadAllBytes(path);
        bytes.Take(8).Should().Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, path);
        System.Text.Encoding.ASCII.GetString(bytes, 12, 4).Should().Be("IHDR");
        BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)).Should().Be(width);
        BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)).Should().Be(height);
    }

    internal static void ShouldBeSvg(string path, int width, int height)
    {
        var root = XDocument.Load(path).Root!;
        root.Name.LocalName.Should().Be("svg");
        ((string)root.Attribute("width")!).Should().StartWith(width.ToString());
        ((string)root.Attribute("height")!).Should().StartWith(height.ToString());
        root.Descendants().Should().Contain(e => e.Name.LocalName == "text", "the chart carries its title and labels as text");
    }

    [Theory]
    [MemberData(nameof(Scenarios.All), MemberType = typeof(Scenarios))]
    public void Run_out_draws_every_chart_as_valid_png_and_svg_of_the_requested_size(string file)
    {
        string dir = Path.Combine(_dir, Path.GetFileNameWithoutExtension(file));
        CliTests.Run("run", Scenarios.File(file), "--out", dir, "--timeline-lines", "0").Code.Should().BeOneOf(0, 1);
        foreach (var chart in new[] { "connections", "lifecycle", "latency" })
        {
            ShouldBePng(Path.Combine(dir, chart + ".png"), 1200, 700);
            ShouldBeSvg(Path.Combine(dir, chart + ".svg"), 1200, 700);
        }
        var (code, output, _) = CliTests.Run("plot", dir, "--out", Path.Combine(dir, "small"), "--format", "png", "--width", "640",
            "--height", "400");
        code.Should().Be(0);
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(3);
        ShouldBePng(Path.Combine(dir, "small", "connections.png"), 640, 400);
    }

    [Fact]
    public void The_connections_chart_is_drawn_from_exactly_the_recorded_counts()
    {
        string dir = Path.Combine(_dir, "p");
        CliTests.Run("run", Scenarios.File("upstash-2020-process.yaml"), "--out", dir).Code.Should().Be(0);
        var recorder = new RunRecorder();
        Simulation.Run(ScenarioLoader.LoadFile(Scenarios.File("upstash-2020-process.yaml")), null, recorder);
        var chart = ConnectionsChart.Draw([RunFiles.Read(dir)]);
        foreach (var c in Sample.ServerCategories)
            chart.Series[c].Should().Equal(recorder.Samples.Select(s => (double)s.Server[c]), c);
        chart.Series["environments frozen"].Should().Equal(recorder.Samples.Select(s => (double)s.EnvironmentsFrozen));
        chart.Series["environments alive"].Should()
            .Equal(recorder.Samples.Select(s => (double)(s.EnvironmentsBusy + s.EnvironmentsIdle + s.EnvironmentsFrozen)));
        chart.Series["FIN_WAIT_2"].Count(v => v == 1).Should().Be(30, "FIN_WAIT_2 from 60.24 s to 90.24 s, sampled every second");
    }

    [Fact]
    public void The_lifecycle_chart_lanes_follow_the_transitions()
    {
        string dir = Path.Combine(_dir, "l");
        CliTests.Run("run", Scenarios.File("upstash-2020-process.yaml"), "--out", dir).Code.Should().Be(0);
        var run = RunFiles.Read(dir);
        var chart = LifecycleChart.Draw(run);
        var server = run.Transitions.Where(t => t.Host == "server" && t.Connection == "c1").Select(t => (T: t.T.TotalSeconds, t.To))
            .ToList();
        // SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2: each segment from its transition to the next.
        chart.Series["c1 server"].Should().Equal(
            server[0].T, server[1].T, server[1].T, server[2].T, server[2].T, server[3].T, server[3].T, server[4].T);
        server[4].To.Should().Be(Zombiesim.Tcp.TcpState.Closed);
        chart.Series["c1 environment"].Should().HaveCount(8, "running, frozen, running (the thawed request), frozen until destroyed");
        chart.Series.Keys.Should().Contain("c2 client");
    }

    [Fact]
    public void The_latency_chart_holds_every_successful_request_per_function()
    {
        string dir = Path.Combine(_dir, "f");
        CliTests.Run("run", Scenarios.File("fleet-reuse-vs-per-invocation.yaml"), "--out", dir, "--timeline-lines", "0")
            .Code.Should().Be(0);
        var run = RunFiles.Read(dir);
        var chart = LatencyChart.Draw([run]);
        chart.Series["cached (reuse)"].Should()
            .Equal(run.Requests.Where(r => r.Function == "cached" && r.Ok).Select(r => r.LatencyMs).Order());
        chart.Series["ephemeral (per-invocation)"].Should().HaveCount(run.Requests.Count(r => r.Function == "ephemeral" && r.Ok));
    }

    [Fact]
    public void Several_runs_overlay_with_one_legend_entry_each()
    {
        string a = Path.Combine(_dir, "a"), b = Path.Combine(_dir, "b");
        CliTests.Run("run", Scenarios.File("upstash-2020-process.yaml"), "--out", a).Code.Should().Be(0);
        CliTests.Run("run", Scenarios.File("upstash-2020-310s.yaml"), "--out", b).Code.Should().Be(0);
        var chart = ConnectionsChart.Draw([RunFiles.Read(a), RunFiles.Read(b)]);
        chart.Series.Keys.Should().BeEquivalentTo(new[] { "upstash-2020-process", "upstash-2020-310s" }.SelectMany(n => new[]
        {
            $"{n}: all server sockets", $"{n}: zombies", $"{n}: environments alive", $"{n}: failed requests (per interval)",
        }));
        chart.Panels[0].Axes.Title.Label.Text.Should().Be("Overlay of 2 runs: upstash-2020-process vs upstash-2020-310s");
        chart.Series["upstash-2020-process: failed requests (per interval)"].Sum().Should().Be(1, "the one EOF on thaw");
        chart.Series["upstash-2020-310s: failed requests (per interval)"].Sum().Should().Be(0);
        var (code, output, _) = CliTests.Run("plot", a, b, "--out", Path.Combine(_dir, "both"), "--format", "svg");
        code.Should().Be(0);
        // Lifecycles are per run: one chart each, named after its run, never the first run's alone.
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Path.GetFileName).Should().Equal(
            "connections.svg", "lifecycle-upstash-2020-process.svg", "lifecycle-upstash-2020-310s.svg", "latency.svg");
        ShouldBeSvg(Path.Combine(_dir, "both", "connections.svg"), 1200, 700);
        LatencyChart.Draw([RunFiles.Read(a), RunFiles.Read(b)]).Panels[0].Axes.Title.Label.Text.Should()
            .Be("Latency of successful requests, overlaid: upstash-2020-process vs upstash-2020-310s");
    }

    [Fact]
    public void Search_charts_show_the_rate_band_and_recommendation_or_a_heatmap()
    {
        string one = Path.Combine(_dir, "s1"), two = Path.Combine(_dir, "s2");
        CliTests.Run("search", Scenarios.File("search-upstash-idle-timeout.yaml"), "--vary", "server.idleTimeout=[250s,300s,310s]",
            "--strategy", "grid", "--replications", "30", "--out", one).Code.Should().Be(0);
        ShouldBePng(Path.Combine(one, "search.png"), 1200, 700);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(one, "search.json")))!.AsObject();
        var chart = SearchChart.Draw(SearchReport.Read(Path.Combine(one, "search.json")));
        chart.Series["failure rate (%)"].Should().Equal(json["points"]!.AsArray().Select(p => 100 * p!["failureRate"]!.GetValue<double>()));
        chart.Series["recommended"].Should().Equal(310);
        CliTests.Run("search", Scenarios.File("search-client-max-idle.yaml"), "--replications", "10", "--out", two).Code.Should().Be(0);
        ShouldBeSvg(Path.Combine(two, "search.svg"), 1200, 700);
        var heatmap = SearchChart.Draw(SearchReport.Read(Path.Combine(two, "search.json")));
        heatmap.Series["failure rate (%)"].Should().HaveCount(15);
        // maxIdle = 310s (the 4th column) at reap.after = 2400s (the 3rd row) is marked, and every cell says its value.
        heatmap.Series["recommended"].Should().Equal(3, 2);
        heatmap.Panels[0].GetPlottables<ScottPlot.Plottables.Text>().Select(t => t.LabelText).Should().HaveCount(15)
            .And.Contain("20%\n2/10 runs").And.Contain("0%\n0/10 runs");
    }

    [Fact]
    public void Plotting_a_directory_without_results_is_bad_input()
    {
        var (code, _, error) = CliTests.Run("plot", _dir);
        code.Should().Be(ExitCodes.BadInput);
        error.Should().Contain("holds neither a run's results");
        CliTests.Run("plot", _dir, "--format", "gif").Code.Should().Be(ExitCodes.BadInput);
        string missing = Path.Combine(_dir, "missing");
        var absent = CliTests.Run("plot", missing);
        absent.Code.Should().Be(ExitCodes.BadInput);
        absent.Err.Should().Contain("no such directory");
        Directory.Exists(missing).Should().BeFalse("plot must not create the directory it was asked to read");
    }
}
