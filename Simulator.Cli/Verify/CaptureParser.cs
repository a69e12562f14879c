using System.Globalization;
using System.Net;

namespace Zombiesim.Cli.Verify;

/// <summary>A TCP segment seen at the server's interfaces: when (seconds from the run's start), whether the server sent it,
/// the client's address and port, its flags (FIN, SYN, RST, ACK bits as TCP numbers them; PSH, URG, ECE and CWR left out:
/// the model has none), its sequence and acknowledgment numbers relative to the connection's SYNs (the acknowledgment
/// null without ACK) and its data length.</summary>
public sealed record CapturedSegment(double T, bool FromServer, string Client, byte Flags, uint Seq, uint? Ack, int Length);

/// <summary>Reads the TCP segments of the server's connections out of captured IPv4 packets, numbering each
/// connection's sequence and acknowledgment numbers from its SYNs; and writes and reads them as lines.</summary>
public sealed class CaptureParser(ushort serverPort)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly ushort _serverPort = serverPort;
    private readonly Dictionary<string, (uint? Client, uint? Server)> _isn = new();

    /// <summary>An IPv4 packet carrying TCP to or from the server's port, its numbers made relative; null otherwise.</summary>
    public CapturedSegment? Parse(ReadOnlySpan<byte> p, double t)
    {
        if (p.Length < 20 || p[0] >> 4 != 4 || p[9] != 6 || p[12] == 127)
            return null;
        int ihl = (p[0] & 0xf) * 4, total = p[2] << 8 | p[3];
        if (p.Length < ihl + 20)
            return null;
        var tcp = p[ihl..];
        int sport = tcp[0] << 8 | tcp[1], dport = tcp[2] << 8 | tcp[3];
        bool fromServer = sport == _serverPort;
        if (!fromServer && dport != _serverPort)
            return null;
        uint seq = (uint)(tcp[4] << 24 | tcp[5] << 16 | tcp[6] << 8 | tcp[7]);
        uint ack = (uint)(tcp[8] << 24 | tcp[9] << 16 | tcp[10] << 8 | tcp[11]);
        int length = Math.Max(0, total - ihl - (tcp[12] >> 4) * 4);
        byte flags = (byte)(tcp[13] & 0x17);
        var client = new IPEndPoint(new IPAddress(fromServer ? p.Slice(16, 4) : p.Slice(12, 4)), fromServer ? dport : sport).ToString();
        var (c, s) = _isn.GetValueOrDefault(client);
        if ((flags & 0x02) != 0)
        {
            if (fromServer)
                s ??= seq;
            else if ((flags & 0x10) == 0 && c != seq)
                (c, s) = (seq, null); // a new connection from this address and port starts again from its SYN
            _isn[client] = (c, s);
        }
        uint fromBase = (fromServer ? s : c) ?? 0, toBase = (fromServer ? c : s) ?? 0;
        return new CapturedSegment(t, fromServer, client, flags, seq - fromBase, (flags & 0x10) != 0 ? ack - toBase : null, length);
    }

    /// <summary>A segment as `zombiesim agent poll` prints it.</summary>
    public static string Line(CapturedSegment s) => FormattableString.Invariant(
        $"segment {s.T:R} {(s.FromServer ? 1 : 0)} {s.Client} {s.Flags} {s.Seq} {(s.Ack is { } a ? a.ToString() : "-")} {s.Length}");

    /// <summary>A line of <see cref="Line"/> read back; null for another line.</summary>
    public static CapturedSegment? Read(string line) => line.Split(' ') is ["segment", var t, var from, var client, var flags, var seq,
        var ack, var length]
        ? new CapturedSegment(double.Parse(t, Inv), from == "1", client, byte.Parse(flags, Inv), uint.Parse(seq, Inv),
            ack == "-" ? null : uint.Parse(ack, Inv), int.Parse(length, Inv))
        : null;
}
