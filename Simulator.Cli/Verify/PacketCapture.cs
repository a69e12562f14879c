using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Zombiesim.Cli.Verify;

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
    private readonly CaptureParser _parser;
    private static readonly byte[] Warm =
    [
        0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x10, 0, 0, 0, 0, 0, 0,
    ];
    private readonly int _fd;
    private readonly Thread _thread;
    private readonly object _gate = new();
    private readonly List<CapturedSegment> _segments = [];
    private volatile bool _stop;

    private PacketCapture(long zero, ushort serverPort, int fd)
    {
        _zero = zero;
        _parser = new CaptureParser(serverPort);
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
        _parser.Parse(Warm, 0); // compiled now, not while the first connection's segments queue behind it
        while (!_stop)
        {
            nint n = Recv(_fd, buffer, (nuint)buffer.Length, 0);
            double t = (double)(Stopwatch.GetTimestamp() - _zero) / Stopwatch.Frequency;
            if (n > 0 && _parser.Parse(buffer.AsSpan(0, (int)n), t) is { } s)
            {
                lock (_gate) _segments.Add(s);
            }
        }
    }

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
