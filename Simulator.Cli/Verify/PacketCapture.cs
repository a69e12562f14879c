using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;

namespace Zombiesim.Cli.Verify;

/// <summary>A TCP segment seen at the server's interfaces: when (seconds from the run's start), whether the server sent it,
/// the client's address and port, its flags (FIN, SYN, RST, ACK bits as TCP numbers them; PSH, URG, ECE and CWR left out:
/// the model has none), its sequence and acknowledgment numbers relative to the connection's SYNs (the acknowledgment
/// null without ACK) and its data length.</summary>
public sealed record CapturedSegment(double T, bool FromServer, string Client, byte Flags, uint Seq, uint? Ack, int Length);

/// <summary>
/// Sees every IPv4 TCP segment that leaves or reaches the namespace it was made in (the server's), through a packet
/// socket (AF_PACKET, SOCK_DGRAM: from the network header on; ETH_P_ALL, as only those get outgoing packets, with IPv4
/// told by its version), on its own thread under SCHED_FIFO. A segment is stamped when
/// the read returns (CLOCK_MONOTONIC, as the poller's instants). The kernel hands an outgoing segment to packet sockets
/// as the interface transmits it, after the netdev egress hook (a partition's drop is not seen), and an incoming one
/// before the netdev ingress hook (a partition's or a paused VM's drop is seen). Loopback (the agents' warm-up) is left
/// out. Needs CAP_NET_RAW. Thread-safe.
/// </summary>
public sealed class PacketCapture : IDisposable
{
    private const int AfPacket = 17, SockDgram = 2, SolSocket = 1, SoRcvTimeo = 20;
    private const int EthPAllNetworkOrder = 0x0300; // htons(ETH_P_ALL): a socket for one protocol is not given what is sent

    private readonly long _zero;
    private readonly ushort _serverPort;
    private readonly int _fd;
    private readonly Thread _thread;
    private readonly object _gate = new();
    private readonly List<CapturedSegment> _segments = [];
    private readonly Dictionary<string, (uint? Client, uint? Server)> _isn = new();
    private volatile bool _stop;

    private PacketCapture(long zero, ushort serverPort, int fd)
    {
        _zero = zero;
        _serverPort = serverPort;
        _fd = fd;
        _thread = new Thread(Loop) { IsBackground = true, Name = "verify packet capture" };
    }

    /// <summary>A capture started in this process's namespace, or null (and why) when the kernel refuses a packet socket.</summary>
    public static PacketCapture? Start(long zero, ushort serverPort, out string? why)
    {
        int fd = Socket(AfPacket, SockDgram, EthPAllNetworkOrder);
        if (fd < 0)
        {
            why = $"socket(AF_PACKET) failed: errno {Marshal.GetLastPInvokeError()}";
            return null;
        }
        long[] timeout = [0, 50_000]; // 50 ms: the loop sees a stop that soon
        SetSockOpt(fd, SolSocket, SoRcvTimeo, timeout, 16);
        why = null;
        var capture = new PacketCapture(zero, serverPort, fd);
        capture._thread.Start();
        return capture;
    }

    public IReadOnlyList<CapturedSegment> Segments
    {
        get
        {
            lock (_gate) return _segments.ToList();
        }
    }

    private void Loop()
    {
        Libc.RealTimeThread();
        var buffer = new byte[65536];
        while (!_stop)
        {
            nint n = Recv(_fd, buffer, (nuint)buffer.Length, 0);
            double t = (double)(Stopwatch.GetTimestamp() - _zero) / Stopwatch.Frequency;
            if (n > 0 && Parse(buffer.AsSpan(0, (int)n), t) is { } s)
            {
                lock (_gate) _segments.Add(s);
            }
        }
    }

    /// <summary>An IPv4 packet carrying TCP to or from the server's port, its numbers made relative; null otherwise.</summary>
    internal CapturedSegment? Parse(ReadOnlySpan<byte> p, double t)
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
        $"segment {s.T:R} {(s.FromServer ? 1 : 0)} {s.Client} {s.Flags} {s.Seq} {(s.Ack is { } a ? a.ToString(CultureInfo.InvariantCulture) : "-")} {s.Length}");

    /// <summary>A line of <see cref="Line"/> read back; null for another line.</summary>
    public static CapturedSegment? Read(string line) => line.Split(' ') is ["segment", var t, var from, var client, var flags, var seq,
        var ack, var length]
        ? new CapturedSegment(double.Parse(t, CultureInfo.InvariantCulture), from == "1", client, byte.Parse(flags, CultureInfo.InvariantCulture),
            uint.Parse(seq, CultureInfo.InvariantCulture), ack == "-" ? null : uint.Parse(ack, CultureInfo.InvariantCulture),
            int.Parse(length, CultureInfo.InvariantCulture))
        : null;

    public void Dispose()
    {
        _stop = true;
        if (_thread.IsAlive)
            _thread.Join();
        Close(_fd);
    }

    [DllImport("libc", EntryPoint = "socket", SetLastError = true)]
    private static extern int Socket(int domain, int type, int protocol);

    [DllImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static extern int SetSockOpt(int fd, int level, int name, long[] value, uint length);

    [DllImport("libc", EntryPoint = "recv", SetLastError = true)]
    private static extern nint Recv(int fd, [Out] byte[] buffer, nuint length, int flags);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
