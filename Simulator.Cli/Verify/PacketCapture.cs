using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// Sees every IPv4 TCP segment that leaves or reaches the namespace it was made in (the server's), through a packet
/// socket (AF_PACKET, SOCK_DGRAM: from the network header on; ETH_P_ALL, as only those get outgoing packets, with IPv4
/// told by its version), on its own thread under SCHED_FIFO. A segment is stamped when
/// the kernel received or sent it (SIOCGSTAMPNS: CLOCK_REALTIME, put on the run's monotonic clock by readings of both at
/// the start), or when the read returned where the kernel gives no stamp. The kernel hands an outgoing segment to packet sockets
/// as the interface transmits it, after the netdev egress hook (a partition's drop is not seen), and an incoming one
/// before the netdev ingress hook (a partition's or a paused VM's drop is seen). Loopback (the agents' warm-up) is left
/// out. Needs CAP_NET_RAW. Thread-safe.
/// </summary>
public sealed class PacketCapture : IDisposable
{
    private const int AfPacket = 17, SockDgram = 2, SolSocket = 1, SoRcvTimeo = 20;
    private const nuint SiocGStampNs = 0x8907; // the last packet's receive time, as a timespec
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
        Ioctl(fd, SiocGStampNs, new long[2]); // the first asks the kernel to stamp (SO_TIMESTAMPNS would hide the stamps from it)
        why = null;
        var capture = new PacketCapture(zero, serverPort, fd);
        capture._thread.Start();
        return capture;
    }

    /// <summary>How many of the segments have the kernel's stamp (the others: when the read returned).</summary>
    public int KernelStamped { get; private set; }

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
        var stamp = new long[2];
        double realMinusZero = RealTimeOfZero();
        while (!_stop)
        {
            nint n = Recv(_fd, buffer, (nuint)buffer.Length, 0);
            double t = (double)(Stopwatch.GetTimestamp() - _zero) / Stopwatch.Frequency;
            bool kernel = n > 0 && Ioctl(_fd, SiocGStampNs, stamp) == 0;
            if (kernel)
                t = stamp[0] + stamp[1] / 1e9 - realMinusZero; // the kernel's stamp (CLOCK_REALTIME) on the run's clock
            if (n > 0 && _parser.Parse(buffer.AsSpan(0, (int)n), t) is { } s)
            {
                lock (_gate)
                {
                    _segments.Add(s);
                    KernelStamped += kernel ? 1 : 0;
                }
            }
        }
    }

    /// <summary>The run's zero on CLOCK_REALTIME, in seconds: the closest of a few readings of both clocks.</summary>
    private double RealTimeOfZero()
    {
        double best = double.MaxValue, offset = 0;
        for (int i = 0; i < 5; i++)
        {
            long before = Stopwatch.GetTimestamp();
            double real = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 1e7;
            long after = Stopwatch.GetTimestamp();
            if (after - before < best)
            {
                best = after - before;
                offset = real - (double)((before + after) / 2 - _zero) / Stopwatch.Frequency;
            }
        }
        return offset;
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

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static extern int Ioctl(int fd, nuint request, [Out] long[] timespec);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
