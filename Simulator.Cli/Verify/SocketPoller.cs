using System.Diagnostics;
using System.Globalization;
using System.Net;
using Zombiesim.Tcp;

namespace Zombiesim.Cli.Verify;

/// <summary>A socket state change seen by polling: when it was first seen (seconds from the run's start), on which host,
/// which connection, from and to which state, and <see cref="Since"/>, the previous poll of that host, which had not seen
/// it yet (the change happened between the two). <see cref="Cause"/> is "observed", or "host-destroyed" when verify
/// destroyed the environment.</summary>
public sealed record ObservedTransition(double T, string Host, string Connection, TcpState From, TcpState To, string Cause,
    double Since);

/// <summary>
/// Watches each host's TCP sockets by reading /proc/PID/net/tcp of a process inside the host's namespace (the file
/// shows that process's namespace; PID 0: this process's own, the server's namespace, whose server may restart)
/// every <see cref="Interval"/>, and records each change as a transition, named as the
/// model names connections: c1, c2, ... by the client's address and port in the order they first appear, and
/// `listener`. A change shorter than the interval can be missed; the diff knows it. Thread-safe.
/// </summary>
public sealed class SocketPoller : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(5);

    private readonly long _zero;
    private readonly IReadOnlySet<ushort> _serverPorts;
    private readonly object _gate = new();
    private readonly Dictionary<string, int> _pids = new();
    private readonly Dictionary<string, Dictionary<string, TcpState>> _seen = new();
    private readonly Dictionary<string, string> _names = new();
    private readonly Dictionary<string, double> _lastPoll = new();
    private readonly List<ObservedTransition> _transitions = [];
    private readonly Thread _thread;
    private volatile bool _stop;

    /// <param name="zero">The run's start, a <see cref="Stopwatch.GetTimestamp"/> value (CLOCK_MONOTONIC, the same in every
    /// process of the machine).</param>
    /// <param name="serverPorts">The servers' ports (a pooler's and its database's), which tell a server's side of a
    /// connection from the client's.</param>
    public SocketPoller(long zero, IReadOnlySet<ushort> serverPorts)
    {
        _zero = zero;
        _serverPorts = serverPorts;
        _thread = new Thread(Loop) { IsBackground = true, Name = "verify socket poller" };
    }

    /// <summary>Seconds since the run's start.</summary>
    public double Now => (double)(Stopwatch.GetTimestamp() - _zero) / Stopwatch.Frequency;

    /// <summary>The names given so far: client address and port, connection name.</summary>
    public IReadOnlyList<(string Client, string Name)> Names
    {
        get
        {
            lock (_gate) return _names.Select(n => (n.Key, n.Value)).ToList();
        }
    }

    public IReadOnlyList<ObservedTransition> Transitions
    {
        get
        {
            lock (_gate) return _transitions.ToList();
        }
    }

    public void Watch(string host, int pid)
    {
        lock (_gate)
        {
            _pids[host] = pid;
            _seen.TryAdd(host, new Dictionary<string, TcpState>());
        }
    }

    public void Start()
    {
        PollOnce();
        _thread.Start();
    }

    /// <summary>The connection's name for a client address and port, given one if new.</summary>
    public string Name(IPEndPoint client)
    {
        lock (_gate) return NameLocked(client.ToString());
    }

    /// <summary>The host is gone (an environment destroyed at <paramref name="t"/>, seconds): its sockets end then, and it
    /// is no longer read. A socket a poll saw change after <paramref name="t"/> (the FIN of a shutdown hook that closed
    /// just before, seen by a poll that came before this message) ends when it was seen.</summary>
    public void Destroyed(string host, double t)
    {
        lock (_gate)
        {
            _pids.Remove(host);
            if (_seen.Remove(host, out var sockets))
            {
                foreach (var (conn, state) in sockets.Where(s => s.Value != TcpState.Listen))
                {
                    double end = _transitions.Where(x => x.Host == host && x.Connection == conn).Select(x => x.T).Append(t).Max();
                    _transitions.Add(new ObservedTransition(end, host, conn, state, TcpState.Closed, "host-destroyed", end));
                }
            }
        }
    }

    /// <summary>The longest time between two polls, and when it ended (seconds): the report states it.</summary>
    public (double Gap, double At) LongestGap { get; private set; }

    private void Loop()
    {
        Libc.RealTimeThread();
        double last = Now;
        while (!_stop)
        {
            Thread.Sleep(Interval);
            PollOnce();
            double now = Now;
            if (now - last > LongestGap.Gap)
                LongestGap = (now - last, now);
            last = now;
        }
    }

    private void PollOnce()
    {
        lock (_gate)
        {
            foreach (var (host, pid) in _pids.ToList())
            {
                string[] lines;
                double readStart = Now;
                try
                {
                    lines = File.ReadAllLines(pid == 0 ? "/proc/self/net/tcp" : $"/proc/{pid}/net/tcp");
                }
                catch (IOException)
                {
                    continue; // the process is gone; the host is reported destroyed or ends with the run
                }
                double t = Math.Max(0, (readStart + Now) / 2); // as of the reading; what existed before the start, at 0
                var now = new Dictionary<string, TcpState>();
                // Named in the order they began: a server's accepted sockets before the connections a pooler opened, which
                // a client's query or login caused, when one poll sees both first.
                foreach (var s in lines.Skip(1).Select(Parse).OfType<(string Client, bool Accepted, TcpState State)>()
                             .OrderBy(s => s.Accepted ? 0 : 1))
                    now[s.Client == "listener" ? s.Client : NameLocked(s.Client)] = s.State;
                var before = _seen[host];
                double since = _lastPoll.GetValueOrDefault(host, 0);
                _lastPoll[host] = t;
                foreach (var (conn, state) in now)
                {
                    var from = before.GetValueOrDefault(conn, TcpState.Closed);
                    if (from != state)
                        _transitions.Add(new ObservedTransition(t, host, conn, from, state, "observed", since));
                }
                foreach (var (conn, state) in before.Where(b => !now.ContainsKey(b.Key)))
                    _transitions.Add(new ObservedTransition(t, host, conn, state, TcpState.Closed, "observed", since));
                _seen[host] = now;
            }
        }
    }

    /// <summary>One line of /proc/net/tcp: "sl local rem st ...", addresses as little-endian hex IPv4 and hex port; the
    /// client's end (or `listener`), and whether the socket is a server's (accepted).</summary>
    private (string Client, bool Accepted, TcpState State)? Parse(string line)
    {
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length < 4)
            return null;
        var local = Endpoint(f[1]);
        var remote = Endpoint(f[2]);
        var state = int.Parse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture) switch
        {
            1 => TcpState.Established,
            2 => TcpState.SynSent,
            3 => TcpState.SynReceived,
            4 => TcpState.FinWait1,
            5 => TcpState.FinWait2,
            6 => TcpState.TimeWait,
            8 => TcpState.CloseWait,
            9 => TcpState.LastAck,
            10 => TcpState.Listen,
            11 => TcpState.Closing,
            12 => TcpState.SynReceived,
            _ => TcpState.Closed,
        };
        if (state == TcpState.Listen)
            return _serverPorts.Contains((ushort)local.Port) ? ("listener", true, state) : null; // a restart's server warming up
        if (IPAddress.IsLoopback(local.Address))
            return null; // the agents' warm-up, before the run
        bool accepted = _serverPorts.Contains((ushort)local.Port);
        return ((accepted ? remote : local).ToString(), accepted, state);
    }

    private static IPEndPoint Endpoint(string hex)
    {
        int colon = hex.IndexOf(':', StringComparison.Ordinal);
        uint address = uint.Parse(hex[..colon], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        int port = int.Parse(hex[(colon + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return new IPEndPoint(new IPAddress(address), port); // /proc prints the address in host (little-endian) order
    }

    private string NameLocked(string client)
    {
        if (!_names.TryGetValue(client, out var name))
        {
            name = $"c{_names.Count + 1}";
            _names[client] = name;
        }
        return name;
    }

    public void Dispose()
    {
        _stop = true;
        if (_thread.IsAlive)
            _thread.Join();
    }
}

/// <summary>
/// `zombiesim agent poll port=P[,P2] hosts=NAME:PID,... capture=0|1`: a <see cref="SocketPoller"/> in a process of its own, started
/// under SCHED_FIFO with every thread (the garbage collector's too), so that neither a loaded machine nor the
/// orchestrator's pauses delay its polls. Stdin: `start ZERO` (the run's start as a CLOCK_MONOTONIC timestamp), then
/// `forget NAME T` (an environment destroyed at T), then `stop`; it then prints `name CLIENT CONNECTION`,
/// `transition T HOST CONNECTION FROM TO CAUSE` and `segment ...` lines (<see cref="PacketCapture.Line"/>: what a packet
/// capture in the same namespace saw; `capture-failed WHY` when it could not be made) and exits.
/// </summary>
internal static class PollAgent
{
    public static int Run(IEnumerable<string> args, TextWriter output)
    {
        var ports = new List<ushort>();
        bool capturing = false;
        var hosts = new List<(string, int)>();
        foreach (var a in args)
        {
            var (key, value) = (a[..a.IndexOf('=', StringComparison.Ordinal)], a[(a.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            switch (key)
            {
                case "port": ports.AddRange(value.Split(',').Select(p => ushort.Parse(p, CultureInfo.InvariantCulture))); break;
                case "capture": capturing = value == "1"; break;
                case "hosts":
                    hosts.AddRange(value.Split(',').Select(h => (h[..h.LastIndexOf(':')], int.Parse(h[(h.LastIndexOf(':') + 1)..],
                        CultureInfo.InvariantCulture))));
                    break;
            }
        }
        output.WriteLine("ready");
        output.Flush();
        string? line = Console.In.ReadLine();
        if (line?.Split(' ') is not ["start", var zero])
            return 2;
        using var poller = new SocketPoller(long.Parse(zero, CultureInfo.InvariantCulture), ports.ToHashSet());
        foreach (var (name, pid) in hosts)
            poller.Watch(name, pid);
        poller.Start();
        string? why = null;
        using var capture = capturing ? PacketCapture.Start(long.Parse(zero, CultureInfo.InvariantCulture), ports[0], out why) : null;
        while ((line = Console.In.ReadLine()) is not null && line != "stop")
        {
            var f = line.Split(' ');
            if (f is ["forget", var host, var t])
                poller.Destroyed(host, double.Parse(t, CultureInfo.InvariantCulture));
        }
        poller.Dispose();
        capture?.Dispose();
        if (why is not null)
            output.WriteLine($"capture-failed {why}");
        if (capture is not null)
            output.WriteLine($"capture-stamps {capture.KernelStamped} {capture.Segments.Count}");
        foreach (var s in capture?.Segments ?? [])
            output.WriteLine(CaptureParser.Line(s));
        output.WriteLine(FormattableString.Invariant($"gap {poller.LongestGap.Gap:R} {poller.LongestGap.At:R}"));
        foreach (var (client, name) in poller.Names)
            output.WriteLine($"name {client} {name}");
        foreach (var t in poller.Transitions)
            output.WriteLine(FormattableString.Invariant(
                $"transition {t.T:R} {t.Host} {t.Connection} {t.From} {t.To} {t.Cause} {t.Since:R}"));
        output.Flush();
        return 0;
    }
}
