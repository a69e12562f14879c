using System.Text.Json.Nodes;
using FluentAssertions;
using Xunit;
using Zombiesim.Cli.Runs;
using Zombiesim.Cli.Runs.Sampling;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tcp;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Cli;

public class SegmentRecordTests
{
    private static List<SegmentRecord> Segments(string file, params string[] more)
    {
        var (code, json, _) = CliTests.Run(["run", Scenarios.File(file), "--json", "--segments", .. more]);
        code.Should().Be(0);
        return RunJson.Read(json).Segments!.ToList();
    }

    private static string Line(SegmentRecord s) =>
        $"{s.T.TotalSeconds:0.0000000} {s.From}>{s.To} {s.Connection} [{s.FlagText}] {s.Seq} {s.Ack?.ToString() ?? "-"} {s.Length} "
        + $"{s.Fate.Name()} {s.Arrived?.TotalSeconds.ToString("0.0000000") ?? "-"}";

    [Fact]
    public void Upstash_2020_process_segments_are_the_handshake_command_quick_acks_reply_idle_fin_delayed_ack_and_the_reset_after_the_thaw()
    {
        var c1 = Segments("upstash-2020-process.yaml").Where(s => s.Connection == "c1").Select(Line).ToList();
        c1.Should().Equal(
            "0.2001899 hello#1>server c1 [SYN] 0 - 0 delivered 0.2006899",
            "0.2006899 server>hello#1 c1 [SYN,ACK] 0 1 0 delivered 0.2011899",
            "0.2011899 hello#1>server c1 [ACK] 1 1 0 delivered 0.2016899",
            "0.2011899 hello#1>server c1 [ACK] 1 1 30 delivered 0.2016899",
            "0.2016899 server>hello#1 c1 [ACK] 1 31 0 delivered 0.2021899", // the first data: a quick ACK, on its own
            "0.2017899 server>hello#1 c1 [ACK] 1 31 10 delivered 0.2022899", // the reply, 0.1 ms later
            "0.2022899 hello#1>server c1 [ACK] 31 11 0 delivered 0.2027899", // the client's first data: a quick ACK too
            "60.2017899 server>hello#1 c1 [FIN,ACK] 11 31 0 delivered 60.2022899", // the server's 60 s idle close
            "60.2422899 hello#1>server c1 [ACK] 31 12 0 delivered 60.2427899", // the frozen client's kernel: ping-pong, ato 40 ms
            "95.0000000 hello#1>server c1 [ACK] 31 12 30 delivered 95.0005000", // the thawed invocation's command
            "95.0000000 hello#1>server c1 [FIN,ACK] 61 12 0 delivered 95.0005000", // the client, having read EOF, closes
            "95.0005000 server>hello#1 c1 [RST] 12 - 0 delivered 95.0010000", // the server's socket is gone: a RST each
            "95.0005000 server>hello#1 c1 [RST] 12 - 0 delivered 95.0010000");
    }

    [Fact]
    public void A_nat_gateway_drops_the_command_of_a_flow_it_forgot_and_injects_a_reset_in_the_servers_name()
    {
        var late = Segments("nat-gateway.yaml").Where(s => s.T == TimeSpan.FromSeconds(400)).Select(Line).ToList();
        late.Should().Equal(
            "400.0000000 hello#1>server c1 [ACK] 31 11 30 dropped -",
            "400.0000000 server>hello#1 c1 [RST] 11 - 0 injected 400.0005000");
    }

    [Fact]
    public void Run_json_without_segments_has_no_segments_key_and_the_same_records_as_with_them()
    {
        var (_, plain, _) = CliTests.Run("run", Scenarios.File("upstash-2020-process.yaml"), "--json");
        var (_, with, _) = CliTests.Run("run", Scenarios.File("upstash-2020-process.yaml"), "--json", "--segments");
        var a = JsonNode.Parse(plain)!.AsObject();
        var b = JsonNode.Parse(with)!.AsObject();
        a.ContainsKey("segments").Should().BeFalse();
        b.Remove("segments").Should().BeTrue();
        b.ToJsonString().Should().Be(a.ToJsonString(), "asking for segments changes no other record");
    }

    [Fact]
    public void A_document_with_segments_reads_back_and_writes_the_same_document()
    {
        var (_, json, _) = CliTests.Run("run", Scenarios.File("nat-gateway.yaml"), "--json", "--segments");
        var doc = RunJson.Read(json);
        doc.Segments.Should().HaveCount(9);
        var indented = new System.Text.Json.JsonSerializerOptions { WriteIndented = true };
        RunJson.Write(doc).ToJsonString(indented).Should().Be(json.TrimEnd('\n'));
    }

    [Fact]
    public void A_fleets_segments_are_those_of_the_connections_the_trace_keeps_and_no_others()
    {
        var scenario = ScenarioLoader.LoadFile(Scenarios.File("fleet-reuse-vs-per-invocation.yaml"));
        var all = new RunRecorder(segments: true);
        Simulation.Run(scenario, null, all);
        var sampled = new RunRecorder(segments: true);
        Simulation.Run(scenario, null, new TraceSelection(scenario, TraceSpec.Sample, sampled));
        var traced = sampled.Transitions.Select(t => t.Connection).ToHashSet();
        sampled.Segments.Select(s => s.Connection).Distinct().Should().OnlyContain(c => traced.Contains(c));
        all.Segments.Should().HaveCount(1179);
        sampled.Segments.Should().HaveCount(124, "22 of its connections are traced");
        sampled.Segments.GroupBy(s => s.Connection).Should().OnlyContain(g => g.Count() <= TraceSelection.MaxRecordsPerConnection);
        sampled.Segments.Should().OnlyContain(s => all.Segments.Contains(s), "a traced connection's segments are the run's");
    }

    [Fact]
    public void A_recorder_that_does_not_ask_for_segments_gets_none()
    {
        var scenario = ScenarioLoader.LoadFile(Scenarios.File("upstash-2020-process.yaml"));
        var plain = new RunRecorder();
        var with = new RunRecorder(segments: true);
        Simulation.Run(scenario, null, plain);
        plain.Segments.Should().BeEmpty();
        Simulation.Run(scenario, null, with);
        with.Segments.Should().HaveCount(20);
        with.Transitions.Should().Equal(plain.Transitions);
        with.Segments.Where(s => s.Flags.HasFlag(TcpFlags.Syn)).Select(s => s.Seq).Should().OnlyContain(seq => seq == 0);
    }
}
