using System.Net;
using FluentAssertions;
using Xunit;
using Zombiesim.Cli.Verify;
using Zombiesim.Core.Observation;
using Zombiesim.Tcp;

namespace Zombiesim.Tests.Verify;

public class SegmentDiffTests
{
    // HZ 250 (2 jiffies = 8 ms), scheduling 10 ms: 18 ms for a segment's instant.
    private static readonly Tolerance Tol = new(new RealFacts(250, true, 5, 1, "Linux test", "generic", []));

    private static SegmentRecord Seg(double t, string from, string to, TcpFlags flags, int length = 0,
        SegmentOutcome fate = SegmentOutcome.Delivered, double? arrived = null) =>
        new(TimeSpan.FromSeconds(t), from, to, "c1", flags, 0, null, length, fate, arrived is { } a ? TimeSpan.FromSeconds(a) : null);

    private static VerifyDocument Doc(params SegmentRecord[] segments) => new("s", [], [], [], null, segments);

    private static readonly TcpFlags SynAck = TcpFlags.Syn | TcpFlags.Ack;

    [Fact]
    public void Model_segments_are_compared_at_the_server_when_they_leave_it_or_reach_it()
    {
        var model = Doc(
            Seg(0.2000, "hello#1", "server", TcpFlags.Syn, arrived: 0.2005),
            Seg(0.2005, "server", "hello#1", SynAck, arrived: 0.2010));
        var real = Doc(
            Seg(0.2175, "hello#1", "server", TcpFlags.Syn), // 17 ms after it reached the server: within 18 ms
            Seg(0.2190, "server", "hello#1", SynAck)); // 18.5 ms after it left: past
        var lines = RunDiff.Compare(model, real, Tol);
        lines.Select(l => (l.Kind, l.Model, l.Verdict)).Should().Equal(
            ("segment", 0.2005, Verdict.Agree), ("segment", 0.2005, Verdict.Disagree));
        lines[0].What.Should().Be("hello#1>server [SYN] 0 bytes");
        lines[0].Tolerance.Should().BeApproximately(0.018, 1e-12);
    }

    [Fact]
    public void A_segment_seen_only_in_reality_is_skipped_to_reach_the_next_that_matches_and_lengths_are_shown_not_compared()
    {
        var model = Doc(
            Seg(0.2018, "server", "hello#1", TcpFlags.Ack, 10),
            Seg(0.2428, "hello#1", "server", TcpFlags.Ack, arrived: 0.2433));
        var real = Doc(
            Seg(0.2069, "server", "hello#1", TcpFlags.Ack, 0), // the kernel's quick ACK
            Seg(0.2070, "server", "hello#1", TcpFlags.Ack, 7), // the reply
            Seg(0.2071, "hello#1", "server", TcpFlags.Ack)); // the client's quick ACK of it
        var lines = RunDiff.Compare(model, real, Tol);
        lines.Select(l => (l.What, l.Verdict, l.Note)).Should().Equal(
            ("server>hello#1 [ACK] 10 bytes (real 0 bytes)", Verdict.Agree, null),
            ("server>hello#1 [ACK] 7 bytes", Verdict.Disagree, "seen in reality, not in the model"),
            ("hello#1>server [ACK] 0 bytes", Verdict.Disagree, null));
        lines[2].Delta.Should().BeApproximately(-0.0362, 1e-9);
    }

    [Fact]
    public void Segments_the_server_never_sees_are_not_expected_and_a_missing_one_disagrees()
    {
        var model = Doc(
            Seg(400, "hello#1", "server", TcpFlags.Ack, 30, SegmentOutcome.Dropped), // a NAT gateway dropped it
            Seg(400, "server", "hello#1", TcpFlags.Rst, 0, SegmentOutcome.Injected, 400.0005), // made by the box, not the server
            Seg(401, "server", "hello#1", TcpFlags.Fin | TcpFlags.Ack, 0, SegmentOutcome.Lost, 401.0005)); // left the server
        var lines = RunDiff.Compare(model, Doc(), Tol);
        lines.Should().ContainSingle().Which.Note.Should().Be("not seen in reality");
        lines[0].What.Should().Be("server>hello#1 [FIN,ACK] 0 bytes");
    }

    [Fact]
    public void A_real_document_has_segments_only_when_they_were_captured_and_reads_them_back()
    {
        var facts = new RealFacts(250, true, 5, 10, "Linux test", "generic", []);
        var seen = new SegmentRecord(TimeSpan.FromSeconds(0.203071), "server", "hello#1", "c1", TcpFlags.Rst, 9, null, 0,
            SegmentOutcome.Delivered);
        var captured = new RealResult([], [], [], 250, "Linux test", "generic", false, [seen]);
        var json = VerifyDocument.WriteReal("s", 1, captured, facts);
        json.Select(p => p.Key).Should().Equal("scenario", "seed", "reproduce", "requests", "transitions", "lifecycle", "notes",
            "segments", "summary", "verify");
        VerifyDocument.Read(json.ToJsonString(), "real.json").Segments.Should().Equal(seen);
        var plain = VerifyDocument.WriteReal("s", 1, captured with { Segments = null }, facts);
        plain.ContainsKey("segments").Should().BeFalse();
        VerifyDocument.Read(plain.ToJsonString(), "real.json").Segments.Should().BeNull();
    }

    [Fact]
    public void Documents_without_segments_on_either_side_compare_none()
    {
        var withSegments = Doc(Seg(0.2, "hello#1", "server", TcpFlags.Syn, arrived: 0.2005));
        RunDiff.Compare(withSegments, new VerifyDocument("s", [], [], [], null), Tol).Should().BeEmpty();
        DiffReport.Summary(RunDiff.Compare(withSegments, Doc(), Tol)).Should().Be(
            "DISAGREE on 1: 0 requests, 0 transitions (0 too short to see by polling), 0 platform actions, 1 segments");
    }
}

public class CaptureParserTests
{
    /// <summary>An IPv4 TCP packet from its parts: 20-byte IP header, 20-byte TCP header, <paramref name="length"/> bytes.</summary>
    private static byte[] Packet(string src, int sport, string dst, int dport, uint seq, uint ack, byte flags, int length)
    {
        var p = new byte[40 + length];
        p[0] = 0x45;
        p[2] = (byte)((40 + length) >> 8);
        p[3] = (byte)(40 + length);
        p[9] = 6;
        IPAddress.Parse(src).GetAddressBytes().CopyTo(p, 12);
        IPAddress.Parse(dst).GetAddressBytes().CopyTo(p, 16);
        p[20] = (byte)(sport >> 8); p[21] = (byte)sport; p[22] = (byte)(dport >> 8); p[23] = (byte)dport;
        for (int i = 0; i < 4; i++)
        {
            p[24 + i] = (byte)(seq >> (24 - 8 * i));
            p[28 + i] = (byte)(ack >> (24 - 8 * i));
        }
        p[32] = 5 << 4;
        p[33] = flags;
        return p;
    }

    [Fact]
    public void Captured_segments_are_numbered_from_each_sides_syn_and_keep_only_fin_syn_rst_and_ack()
    {
        var capture = new CaptureParser(6379);
        var syn = capture.Parse(Packet("10.200.0.2", 40000, "10.200.0.1", 6379, 1000, 0, 0x02, 0), 0.2);
        var synAck = capture.Parse(Packet("10.200.0.1", 6379, "10.200.0.2", 40000, 7000, 1001, 0x12, 0), 0.201);
        var data = capture.Parse(Packet("10.200.0.2", 40000, "10.200.0.1", 6379, 1001, 7001, 0x18, 6), 0.202); // PSH,ACK
        syn.Should().Be(new CapturedSegment(0.2, false, "10.200.0.2:40000", 0x02, 0, null, 0));
        synAck.Should().Be(new CapturedSegment(0.201, true, "10.200.0.2:40000", 0x12, 0, 1, 0));
        data.Should().Be(new CapturedSegment(0.202, false, "10.200.0.2:40000", 0x10, 1, 1, 6));
        capture.Parse(Packet("127.0.0.1", 40001, "127.0.0.1", 6379, 5, 0, 0x02, 0), 0.3).Should().BeNull("loopback is the agents' warm-up");
        capture.Parse(Packet("10.200.0.2", 40000, "10.200.0.1", 22, 5, 0, 0x02, 0), 0.3).Should().BeNull("not the server's port");
        CaptureParser.Read(CaptureParser.Line(data!)).Should().Be(data);
    }
}
