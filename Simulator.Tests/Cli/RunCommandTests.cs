using System.Text.Json;
using FluentAssertions;
using Xunit;
using Zombiesim.Cli;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Cli;

public class RunCommandTests
{
    [Fact]
    public void Text_output_tells_the_story_with_causes_summary_expectations_and_the_reproduce_command()
    {
        var (code, output, _) = CliTests.Run("run", Scenarios.File("upstash-2020-process.yaml"));
        code.Should().Be(0);
        output.Should().Contain("timeline").And.Contain("summary").And.Contain("expectations");
        output.Should().Contain("request FAILED EOF (fin)").And.Contain("while hello#1 was frozen");
        output.Should().Contain("c1 FIN_WAIT_2 -> CLOSED (fin-wait-2-timeout)");
        output.Should().Contain("destroyed (reaped after 300s idle)");
        output.Should().Contain("errors       EOF (fin) 1");
        output.Should().Contain($"reproduce: zombiesim run {Scenarios.File("upstash-2020-process.yaml")} --seed 1");
    }

    [Fact]
    public void Json_output_has_requests_transitions_lifecycle_and_summary_with_the_documented_fields()
    {
        var (code, output, _) = CliTests.Run("run", Scenarios.File("upstash-2020-vm.yaml"), "--json");
        code.Should().Be(0);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        var failed = root.GetProperty("requests")[1];
        failed.GetProperty("t").GetDouble().Should().Be(95);
        failed.GetProperty("function").GetString().Should().Be("hello");
        failed.GetProperty("outcome").GetString().Should().Be("ECONNRESET");
        failed.GetProperty("errno").GetString().Should().Be("ECONNRESET");
        failed.GetProperty("origin").GetString().Should().Be("rst");
        failed.GetProperty("latencyMs").GetDouble().Should().BeApproximately(1.0, 1e-6);
        var fin = root.GetProperty("transitions").EnumerateArray().First(t => t.GetProperty("to").GetString() == "FIN_WAIT_1");
        fin.GetProperty("host").GetString().Should().Be("server");
        fin.GetProperty("connection").GetString().Should().Be("c1");
        fin.GetProperty("from").GetString().Should().Be("ESTABLISHED");
        root.GetProperty("lifecycle").EnumerateArray().Select(l => l.GetProperty("event").GetString()).Should()
            .Equal("cold-start", "frozen", "thawed", "frozen", "destroyed", "cold-start", "frozen");
        root.GetProperty("lifecycle")[0].GetProperty("environment").GetString().Should().Be("hello#1");
        var summary = root.GetProperty("summary");
        summary.GetProperty("requests").GetInt64().Should().Be(3);
        summary.GetProperty("errorsByErrnoAndOrigin").GetProperty("ECONNRESET (rst)").GetInt64().Should().Be(1);
    }

    [Fact]
    public void Out_writes_summary_requests_connections_and_trace()
    {
        string dir = Directory.CreateTempSubdirectory("zombiesim-out-").FullName;
        try
        {
            var (code, _, _) = CliTests.Run("run", Scenarios.File("upstash-2020-process.yaml"), "--out", dir);
            code.Should().Be(0);
            Directory.GetFiles(dir).Select(Path.GetFileName).Order().Should().Equal(
                "connections.csv", "connections.png", "connections.svg", "functions.csv", "latency.png", "latency.svg", "lifecycle.png",
                "lifecycle.svg",
                "requests.csv", "summary.json", "trace.jsonl");
            File.ReadAllLines(Path.Combine(dir, "requests.csv")).Should().HaveCount(4);
            File.ReadAllLines(Path.Combine(dir, "requests.csv"))[2].Should().StartWith("95.000000,hello,hello#1,c1,EOF,,fin,");
            var connections = File.ReadAllLines(Path.Combine(dir, "connections.csv"));
            connections.Should().HaveCount(1 + 421, "a sample every second from 0 to 420 s");
            var header = connections[0].Split(',');
            int finWait2 = Array.IndexOf(header, "server_FIN_WAIT_2");
            connections.Skip(1).Count(l => l.Split(',')[finWait2] == "1").Should().Be(30, "FIN_WAIT_2 from 60.24 s to 90.24 s");
            File.ReadLines(Path.Combine(dir, "trace.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("kind").GetString())
                .Distinct().Order().Should().Equal("lifecycle", "note", "request", "transition");
            JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")))
                .RootElement.GetProperty("requests").GetInt64().Should().Be(3);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Violated_expectations_exit_with_1_and_say_what_happened()
    {
        var (code, output, _) = CliTests.Run("run", Scenarios.File("upstash-2020-process.yaml"), "--set", "server.idleTimeout=310s");
        code.Should().Be(ExitCodes.Violated);
        output.Should().Contain("FAILED the request at 95s is EOF (fin): got ok");
        output.Should().Contain("--set server.idleTimeout=310s");
    }

    [Fact]
    public void A_different_seed_is_reported_and_reproducible()
    {
        var a = CliTests.Run("run", Scenarios.File("fleet-reuse-vs-per-invocation.yaml"), "--seed", "99", "--json");
        var b = CliTests.Run("run", Scenarios.File("fleet-reuse-vs-per-invocation.yaml"), "--seed", "99", "--json");
        var c = CliTests.Run("run", Scenarios.File("fleet-reuse-vs-per-invocation.yaml"), "--json");
        b.Out.Should().Be(a.Out);
        c.Out.Should().NotBe(a.Out);
        JsonDocument.Parse(a.Out).RootElement.GetProperty("seed").GetUInt64().Should().Be(99);
    }

    [Fact]
    public void Schema_is_json_schema_with_every_section_and_its_defaults()
    {
        var (code, output, _) = CliTests.Run("schema");
        code.Should().Be(0);
        using var doc = JsonDocument.Parse(output);
        var props = doc.RootElement.GetProperty("properties");
        props.EnumerateObject().Select(p => p.Name).Should().Contain(["name", "seed", "horizon", "platform", "functions", "server",
            "network", "traffic", "events", "expect"]);
        props.GetProperty("server").GetProperty("properties").GetProperty("host").GetProperty("properties")
            .GetProperty("tcp_fin_timeout").GetProperty("default").GetString().Should().Be("60s");
        props.GetProperty("platform").GetProperty("properties").GetProperty("freeze").GetProperty("properties")
            .GetProperty("mode").GetProperty("enum").EnumerateArray().Select(e => e.GetString()).Should().Equal("process", "vm");
        doc.RootElement.GetProperty("required").EnumerateArray().Select(e => e.GetString()).Should().Contain("name");
    }
}

public class ScenarioFormatDocTests
{
    [Fact]
    public void Every_key_the_reader_knows_is_documented_in_scenario_format_md()
    {
        var doc = File.ReadAllText(Path.Combine(Scenarios.Root, "docs", "scenario-format.md"));
        var (_, schema, _) = CliTests.Run("schema");
        var keys = new SortedSet<string>();
        void Walk(JsonElement e)
        {
            if (e.ValueKind != JsonValueKind.Object)
                return;
            if (e.TryGetProperty("properties", out var props))
            {
                foreach (var p in props.EnumerateObject())
                {
                    keys.Add(p.Name);
                    Walk(p.Value);
                }
            }
            if (e.TryGetProperty("items", out var items))
                Walk(items);
        }
        using var json = JsonDocument.Parse(schema);
        Walk(json.RootElement);
        keys.Should().HaveCountGreaterThan(60);
        keys.Where(k => !doc.Contains($"`{k}`") && !doc.Contains($".{k}`") && !doc.Contains($"`{k}.") && !doc.Contains($"`{k}[]")
            && !doc.Contains($"{k}:")).Should().BeEmpty();
    }

    [Theory]
    [InlineData("upstash-2020-process.yaml", "2 cold starts, 3 frozen, 1 thawed, 1 destroyed")]
    [InlineData("cloud-run-throttled-pings.yaml", "1 cold starts, 2 throttled, 1 unthrottled, 0 destroyed")]
    [InlineData("snapstart-stale-connection.yaml", "snapshotted")]
    public void The_summary_counts_each_environment_event_in_its_platforms_words(string file, string words)
    {
        var (_, output, _) = CliTests.Run("run", Scenarios.File(file));
        output.Should().Contain("  environments ").And.Contain(words)
            .And.Contain("  platform     refused 0 invocations at its limits (THROTTLED;");
    }
}
