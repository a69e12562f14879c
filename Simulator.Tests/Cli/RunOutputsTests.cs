using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Xunit;
using Zombiesim.Cli;
using Zombiesim.Cli.Commands;
using Zombiesim.Cli.Runs;
using Zombiesim.Cli.Runs.Reports;
using Zombiesim.Cli.Runs.Sampling;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tcp;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Cli;

/// <summary>What `run` writes for a fleet: incidents first, breakdowns that add up, files of bounded size.</summary>
public sealed class RunOutputsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zombiesim-outputs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Text_of_a_fleet_run_with_rejections_shows_the_first_rejection_its_instant_and_cause_in_its_first_30_lines()
    {
        var (code, output, _) = CliTests.Run("run", Scenarios.File("pool-fleet-connection-limit.yaml"));
        code.Should().Be(0);
        var first30 = string.Join("\n", output.Split('\n').Take(30));
        const string reserved = "replying \"FATAL 53300: remaining connection slots are reserved for roles with the SUPERUSER attribute\"";
        first30.Should().Contain("first REJECTED (server) at 3.4535s: api request on c498 (api#50) after 3,208.5 ms: at 3.453s the "
            + $"server refused the connection: max_connections less its reserved slots reached (497), {reserved}; 693 in all");
        first30.Should().Contain("limit max_connections less its reserved slots (497) of server first hit at 3.453s: c498: the server "
            + $"refused the connection: max_connections less its reserved slots reached (497), {reserved}; "
            + "6,923 connections refused in all");
        first30.Should().Contain("peaks: server connections 497 at 4s, zombies 497 at 15s (counted every 1s)");
        first30.Should().Contain($"3.453000s  server       rejects c498: max_connections less its reserved slots reached (497), {reserved}",
            "the timeline around the first rejection follows the incidents");
        output.Should().Contain("timeline around the incidents (--timeline full shows every line)");
        var full = CliTests.Run("run", Scenarios.File("pool-fleet-connection-limit.yaml"), "--timeline", "full").Out;
        full.Should().Contain("\ntimeline\n").And.Contain("0.000000s  api#1        cold-start");
        full.Split('\n').Length.Should().BeGreaterThan(10_000, "every line of the run");
    }

    [Fact]
    public void A_failover_is_listed_first_with_its_instant_and_the_nodes_in_their_own_names()
    {
        var (code, output, _) = CliTests.Run("run", Scenarios.File("aurora-failover-cached-connection.yaml"));
        code.Should().Be(0);
        output.Split('\n').Skip(2).Take(4).Should().Equal(
            "incidents",
            "  scripted at 60s: server: failover: the node is gone",
            "  scripted at 90s: server-standby: failover: server-standby is promoted and listens; the name server points to it "
                + "(answers kept 5s)",
            "  first ETIMEDOUT (platform) at 70s: api request on c1 (api#1) after 10,000 ms: the invocation ran past the function "
                + "timeout of 10s; 15 in all");
        var json = CliTests.Run("run", Scenarios.File("aurora-failover-cached-connection.yaml"), "--json").Out;
        var scripted = JsonNode.Parse(json)!["summary"]!["incidents"]!["scripted"]!.AsArray();
        scripted.Select(n => (n!["t"]!.GetValue<double>(), n["who"]!.GetValue<string>(), n["type"]!.GetValue<string>()))
            .Should().Equal((60.0, "server", "failover"), (90.0, "server-standby", "failover"));
    }

    [Fact]
    public void A_named_servers_refusals_and_closes_are_noted_in_its_name_with_the_connection()
    {
        var (_, records) = Scenarios.Run("two-servers-cache-and-db.yaml");
        records.Notes.Should().ContainSingle(n => n.Kind == NoteKind.Close).Which.Should().Be(new NoteRecord(
            TimeSpan.FromSeconds(61), "cache", "closes c1: the server closed it after 60s idle (idle timeout) while cache-reader#1 "
                + "was frozen", NoteKind.Close, "c1"));
    }

    [Fact]
    public void The_proxy_scenario_names_invocations_throttled_apart_from_requests_ending_throttled()
    {
        var (_, output, _) = CliTests.Run("run", Scenarios.File("mongodb-proxy.yaml"));
        output.Should().Contain("requests     588: THROTTLED 280, ok 308");
        output.Should().Contain("platform     refused 140 invocations at its limits (THROTTLED; a request of a caller whose call was "
            + "refused also ends THROTTLED)");
        output.Should().Contain("app (proxy): 294 requests: THROTTLED (platform) 140, ok 154;");
        output.Should().Contain("dbproxy (reuse): 294 requests: THROTTLED (platform) 140, ok 154;");
        output.Should().Contain("limit reserved concurrency 2 of dbproxy first hit at 60.24s");
        output.Should().NotContain("reserved concurrency 2 of app", "the app's requests failed with their call to the proxy");
    }

    [Theory]
    [InlineData("fleet-reuse-vs-per-invocation.yaml")]
    [InlineData("mongodb-proxy.yaml")]
    [InlineData("pool-fleet-connection-limit.yaml")]
    public void Per_function_breakdowns_equal_the_recorded_requests_and_samples(string file)
    {
        var scenario = ScenarioLoader.LoadFile(Scenarios.File(file));
        var rec = new RunRecorder();
        var report = new RunReport(scenario);
        Simulation.Run(scenario, null, [rec, .. report.Observers]);
        foreach (var row in report.Breakdown.Functions)
        {
            var mine = rec.Requests.Where(r => r.Function == row.Name).ToList();
            row.Requests.Should().Be(mine.Count, row.Name);
            row.Errors.Should().Be(mine.Count(r => !r.Ok));
            row.Outcomes.Should().BeEquivalentTo(mine.GroupBy(r => r.Ok ? "ok" : RunSummary.ErrorName(r.Outcome, r.Origin))
                .ToDictionary(g => g.Key, g => (long)g.Count()));
            var latency = new LatencyHistogram();
            foreach (var r in mine.Where(r => r.Ok))
                latency.Add(r.LatencyMs);
            row.Latency.Quantile(0.5).Should().Be(latency.Quantile(0.5));
            row.Latency.Quantile(0.99).Should().Be(latency.Quantile(0.99));
            int i = scenario.Functions.ToList().FindIndex(f => f.Name == row.Name);
            row.PeakHeld.Value.Should().Be(rec.Samples.Max(s => s.Functions!.Held[i]));
            row.PeakHeld.At.Should().Be(rec.Samples.First(s => s.Functions!.Held[i] == row.PeakHeld.Value).T);
            row.PeakZombies.Value.Should().Be(rec.Samples.Max(s => s.Functions!.Zombies[i]));
        }
        report.Breakdown.Strategies.Sum(s => s.Requests).Should().Be(rec.Requests.Count);
        foreach (var s in rec.Samples)
        {
            // every server socket belongs to the function whose environment holds its other end
            s.Functions!.Held.Sum().Should().Be(s.Server.Total - s.Server["TIME_WAIT"], $"at {s.T}");
            s.Functions.Zombies.Sum().Should().Be(s.Server["zombie"], $"at {s.T}");
        }
    }

    [Fact]
    public void Summary_json_and_functions_csv_carry_the_breakdowns_and_the_incidents()
    {
        string dir = Path.Combine(_dir, "fleet");
        CliTests.Run("run", Scenarios.File("fleet-reuse-vs-per-invocation.yaml"), "--out", dir).Code.Should().Be(0);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, RunFiles.Summary)))!.AsObject();
        var functions = summary["byFunction"]!.AsArray();
        functions.Select(f => f!["name"]!.GetValue<string>()).Should().Equal("cached", "ephemeral");
        functions.Sum(f => f!["requests"]!.GetValue<long>()).Should().Be(summary["requests"]!.GetValue<long>());
        functions[0]!["outcomes"]!["EOF (fin)"]!.GetValue<long>().Should().Be(18);
        summary["incidents"]!["firstFailures"]![0]!["kind"]!.GetValue<string>().Should().Be("EOF (fin)");
        var csv = File.ReadAllLines(Path.Combine(dir, RunFiles.Functions));
        csv[0].Should().StartWith("function,strategy,requests,ok,errors,latency_ok_p50_ms,");
        csv.Skip(1).Select(l => l.Split(',')[0] + "," + l.Split(',')[1]).Should()
            .Equal("cached,reuse", "ephemeral,per-invocation", "*,per-invocation", "*,reuse");
        csv[1].Split(',')[2].Should().Be(functions[0]!["requests"]!.ToString());
    }

    [Fact]
    public void A_fleet_runs_files_are_bounded_by_their_caps_and_say_what_they_keep()
    {
        // Half an hour of the `bench fleet` workload at 100 requests/s: about 180,000 requests.
        string file = Path.Combine(_dir, "fleet.yaml");
        File.WriteAllText(file, FleetBench.Yaml(0.5, 100));
        string dir = Path.Combine(_dir, "out");
        var (code, output, _) = CliTests.Run("run", file, "--out", dir);
        code.Should().Be(0);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, RunFiles.Summary)))!.AsObject();
        long requests = summary["requests"]!.GetValue<long>();
        requests.Should().BeGreaterThan(170_000);
        var outputs = summary["outputs"]!.AsObject();
        var rows = File.ReadAllLines(Path.Combine(dir, RunFiles.Requests)).Length - 1;
        rows.Should().Be(outputs["requestsWritten"]!.GetValue<int>());
        rows.Should().BeLessThanOrEqualTo(RequestSample.MaxFailed + 2 * RequestSample.MaxSuccesses);
        outputs["successesWrittenOneIn"]!["cached"]!.GetValue<long>().Should().Be(46, "90,000 expected successes / 2,000");
        var traced = outputs["connectionsTraced"]!.GetValue<int>();
        traced.Should().BeLessThanOrEqualTo(TraceSelection.ChartConnections + 1 + TraceSelection.MaxFailureConnections
            + TraceSelection.MaxSuccessConnections, "and the first a server closed");
        File.ReadLines(Path.Combine(dir, RunFiles.Trace)).Count().Should().BeLessThan(
            rows + 2 * traced * TraceSelection.MaxRecordsPerConnection + 100, "requests, then each traced connection and environment");
        File.ReadAllLines(Path.Combine(dir, RunFiles.Connections)).Length.Should().Be(1 + 1801, "a sample every second of 30 min");
        long bytes = Directory.GetFiles(dir).Sum(f => new FileInfo(f).Length);
        bytes.Should().BeLessThan(8 << 20, "a few megabytes whatever the run's length");
        output.Should().MatchRegex($"wrote 11 files, [0-9.]+ (KB|MB), to {System.Text.RegularExpressions.Regex.Escape(dir)}\n");
    }

    [Fact]
    public void The_sampled_trace_keeps_the_first_connection_a_server_closed_from_its_open_on()
    {
        // c1 to c3 are the chart's first three; c4 and c5 open after them, untraced, and no request fails. The server
        // closes c5 first: it is traced from its remembered open on; c4, closed after it, is not.
        var sampled = new RunRecorder();
        var trace = new TraceSelection(ScenarioLoader.LoadFile(Scenarios.File("upstash-2020-process.yaml")), TraceSpec.Sample, sampled);
        TransitionRecord T(double s, string host, string c, TcpState from, TcpState to, TcpCause cause) =>
            new(TimeSpan.FromSeconds(s), host, c, from, to, cause);
        void Open(string c, string env, double at)
        {
            trace.OnTransition(T(at, env, c, TcpState.Closed, TcpState.SynSent, TcpCause.ActiveOpen));
            trace.OnTransition(T(at + 0.001, "server", c, TcpState.Listen, TcpState.SynReceived, TcpCause.RcvSyn));
            trace.OnTransition(T(at + 0.002, env, c, TcpState.SynSent, TcpState.Established, TcpCause.RcvSynAck));
            trace.OnTransition(T(at + 0.003, "server", c, TcpState.SynReceived, TcpState.Established, TcpCause.RcvAckOfSyn));
        }
        void Close(string c, double at)
        {
            trace.OnNote(new NoteRecord(TimeSpan.FromSeconds(at), "server", $"closes {c}: idle", NoteKind.Close, c));
            trace.OnTransition(T(at, "server", c, TcpState.Established, TcpState.FinWait1, TcpCause.Close));
        }
        Open("c1", "f#1", 0);
        Open("c2", "f#2", 1);
        Open("c3", "f#3", 2);
        Open("c4", "f#4", 3);
        Open("c5", "f#5", 4);
        Close("c5", 304);
        Close("c4", 305);
        sampled.Transitions.Where(t => t.Connection == "c5").Select(t => (t.T.TotalSeconds, t.To)).Should().Equal(
            (4, TcpState.SynSent), (4.001, TcpState.SynReceived), (4.002, TcpState.Established), (4.003, TcpState.Established),
            (304, TcpState.FinWait1));
        sampled.Notes.Should().ContainSingle().Which.Connection.Should().Be("c5");
        sampled.Transitions.Should().NotContain(t => t.Connection == "c4", "only the first a server closed");
    }

    [Fact]
    public void Trace_filters_keep_one_function_one_connection_or_the_errors()
    {
        string fleet = Scenarios.File("fleet-reuse-vs-per-invocation.yaml");
        List<JsonObject> Trace(string filter)
        {
            string dir = Path.Combine(_dir, filter.Replace('=', '-'));
            CliTests.Run("run", fleet, "--out", dir, "--trace", filter).Code.Should().Be(0);
            return File.ReadLines(Path.Combine(dir, RunFiles.Trace)).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        }
        string Kind(JsonObject o) => o["kind"]!.GetValue<string>();
        var (_, rec) = Scenarios.Run("fleet-reuse-vs-per-invocation.yaml");

        var cached = Trace("function=cached");
        cached.Where(o => Kind(o) == "request").Should().HaveCount(rec.Requests.Count(r => r.Function == "cached"));
        cached.Where(o => Kind(o) == "request").Should().OnlyContain(o => o["function"]!.GetValue<string>() == "cached");
        var mine = rec.Transitions.Where(t => t.Host.StartsWith("cached#", StringComparison.Ordinal)).Select(t => t.Connection).ToHashSet();
        cached.Where(o => Kind(o) == "transition").Select(o => o["connection"]!.GetValue<string>()).Distinct()
            .Should().BeEquivalentTo(mine.Append("listener"));

        var c1 = Trace("connection=c1");
        c1.Where(o => Kind(o) == "transition" && o["connection"]!.GetValue<string>() != "listener")
            .Should().HaveCount(rec.Transitions.Count(t => t.Connection == "c1"))
            .And.OnlyContain(o => o["connection"]!.GetValue<string>() == "c1");

        var errors = Trace("errors");
        errors.Where(o => Kind(o) == "request").Should().HaveCount(18).And.OnlyContain(o => o["outcome"]!.GetValue<string>() == "EOF");

        var bad = CliTests.Run("run", fleet, "--trace", "function");
        bad.Code.Should().Be(ExitCodes.BadInput);
        bad.Err.Should().Contain("--trace: 'function' is not a trace level (sample, all, errors, function=NAME or connection=cN)");
    }

    [Fact]
    public void Json_is_bounded_unless_full_and_both_are_the_same_for_a_story()
    {
        var sampled = CliTests.Run("run", Scenarios.File("upstash-2020-process.yaml"), "--json").Out;
        var full = CliTests.Run("run", Scenarios.File("upstash-2020-process.yaml"), "--json", "--full").Out;
        using var a = JsonDocument.Parse(sampled);
        using var b = JsonDocument.Parse(full);
        a.RootElement.GetProperty("requests").GetArrayLength().Should().Be(3);
        b.RootElement.GetProperty("transitions").GetArrayLength().Should().Be(a.RootElement.GetProperty("transitions").GetArrayLength());
        var fleet = JsonDocument.Parse(CliTests.Run("run", Scenarios.File("pool-fleet-connection-limit.yaml"), "--json").Out);
        var everything = JsonDocument.Parse(
            CliTests.Run("run", Scenarios.File("pool-fleet-connection-limit.yaml"), "--json", "--full").Out);
        fleet.RootElement.GetProperty("transitions").GetArrayLength().Should()
            .BeLessThan(everything.RootElement.GetProperty("transitions").GetArrayLength() / 4);
    }
}

public class BenchmarkScenarioTests
{
    [Fact]
    public void The_fleet_day_benchmark_file_is_the_bench_fleet_workload()
    {
        string path = Path.Combine(Scenarios.Root, "benchmarks", "fleet-day.yaml");
        string body = string.Concat(File.ReadAllLines(path).SkipWhile(l => l.StartsWith('#')).Select(l => l + "\n"));
        body.TrimEnd('\n').Should().Be(FleetBench.Yaml(24, 100).ReplaceLineEndings("\n"));
    }
}
