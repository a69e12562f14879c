namespace Zombiesim.Tcp;

/// <summary>What the world supplies to a host: a wire, and ears for what happens. The host calls
/// these once it has processed an input, in the order things happened (segments, events and
/// transitions, then the deadlines that moved); it never schedules anything itself.</summary>
public interface ITcpDriver
{
    /// <summary>A segment leaves <paramref name="from"/>.</summary>
    void Transmit(TcpHost from, in Segment segment);

    /// <summary>Something for the application holding <paramref name="connection"/>.</summary>
    void OnEvent(TcpConnection connection, in TcpEvent e);

    /// <summary>Every state change, with its cause: the trace's raw material.</summary>
    void OnTransition(TcpConnection connection, TcpState from, TcpState to, TcpCause cause);

    /// <summary>The connection now wants <see cref="TcpHost.OnTimer"/> at <paramref name="deadline"/> (null: never).</summary>
    void OnDeadlineChanged(TcpConnection connection, TimeSpan? deadline);
}

/// <summary>What a host does with a segment that meets no socket.</summary>
public enum NoSocketPolicy
{
    /// <summary>Answer with RST, as RFC 9293 §3.5.2 requires and Linux does.</summary>
    Reset,
    /// <summary>Drop silently (a DROP firewall policy on the host).</summary>
    Drop,
}

/// <summary>
/// A kernel: its sysctls, its sockets, demultiplexing, listeners, orphans, the answer to segments
/// that meet no socket, and what runs: its application can be stopped (SIGSTOP, a cgroup freezer)
/// or the whole machine paused (a paused VM). Sans-I/O like its connections: the driver passes time in.
/// </summary>
public sealed class TcpHost
{
    private const ushort FirstEphemeralPort = 32768; // net.ipv4.ip_local_port_range default 32768-60999
    private const ushort LastEphemeralPort = 60999;

    private readonly Dictionary<ulong, TcpConnection> _connections = new(); // by FourTuple(local, remote)
    private readonly Dictionary<ushort, TcpConnection> _listeners = new();
    private readonly Dictionary<ushort, (int Queued, int Max)> _acceptQueues = new(); // by listening port
    private readonly SortedSet<long> _deferredTimers = new();
    private readonly Dictionary<long, TcpConnection> _byId = new();
    private readonly int[] _inState = new int[(int)TcpState.TimeWait + 1];
    private long _nextId;
    private uint _nextIss;
    private ushort _nextPort = FirstEphemeralPort;

    public TcpHost(string name, uint address, ITcpDriver driver, Sysctls? sysctls = null, NoSocketPolicy noSocket = NoSocketPolicy.Reset,
        TcpOutputStorage? outputs = null)
    {
        Outputs = new TcpOutputs(outputs);
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Address = address;
        Driver = driver ?? throw new ArgumentNullException(nameof(driver));
        Sysctls = sysctls ?? new Sysctls();
        Jiffies = Sysctls.Jiffies;
        AckLimits = new DelayedAckLimits(Sysctls, Jiffies);
        NoSocket = noSocket;
        _nextIss = unchecked(address * 2654435761u + 1); // deterministic and distinct per host
    }

    public string Name { get; }
    public uint Address { get; }
    public ITcpDriver Driver { get; }
    public Sysctls Sysctls { get; }

    /// <summary>The kernel's time base (HZ, timer slack): every timer of its sockets is whole jiffies.</summary>
    public Jiffies Jiffies { get; }

    /// <summary>The delayed-ACK engine's constants for this host's sockets.</summary>
    internal DelayedAckLimits AckLimits { get; }
    public NoSocketPolicy NoSocket { get; set; }

    /// <summary>The application is stopped: it cannot call into its sockets; the kernel still ACKs,
    /// resets and runs timers unless <see cref="Paused"/>.</summary>
    public bool ApplicationStopped { get; private set; }

    /// <summary>The whole machine is paused: arriving segments are lost and timers wait until <see cref="Resume"/>.</summary>
    public bool Paused { get; private set; }

    /// <summary>The host was destroyed: it processes nothing and sends nothing, ever again.</summary>
    public bool Destroyed { get; private set; }

    /// <summary>Live sockets (listeners included), in creation order.</summary>
    public IEnumerable<TcpConnection> Connections => _byId.Values.OrderBy(c => c.Id);

    public int ConnectionCount => _byId.Count;

    /// <summary>Live sockets in no particular order (cheap: for counting; enumerated without allocating).</summary>
    public Dictionary<long, TcpConnection>.ValueCollection ConnectionsUnordered => _byId.Values;

    /// <summary>How many of <see cref="Connections"/> are in <paramref name="state"/>: kept as they change, so counting a
    /// host's sockets (thousands in TIME_WAIT on a busy client) does not visit each one.</summary>
    public int CountIn(TcpState state) => _inState[(int)state];

    // ---------------------------------------------------------------- application side

    /// <summary>listen(): a socket in LISTEN on <paramref name="port"/>, whose accept queue holds
    /// min(<paramref name="backlog"/>, somaxconn) established connections, plus one (Linux's
    /// sk_acceptq_is_full is "more than the backlog", include/net/sock.h).</summary>
    public TcpConnection Listen(ushort port, SocketOptions? options = null, int backlog = int.MaxValue)
    {
        EnsureAlive();
        ArgumentOutOfRangeException.ThrowIfNegative(backlog);
        if (_listeners.ContainsKey(port))
            throw new InvalidOperationException($"{Name}: port {port} already has a listener (EADDRINUSE)");
        var l = NewConnection(new Endpoint(Address, port), default, options ?? SocketOptions.Default, passive: false);
        _listeners[port] = l;
        _acceptQueues[port] = (0, Math.Min(backlog, Sysctls.SoMaxConn));
        l.OpenPassive();
        Dispatch();
        return l;
    }

    /// <summary>connect(): a new socket in SYN_SENT towards <paramref name="remote"/>, from an ephemeral
    /// port or from <paramref name="localPort"/> when given (bind() first).</summary>
    public TcpConnection Connect(TimeSpan now, Endpoint remote, SocketOptions? options = null, ushort localPort = 0)
    {
        EnsureAlive();
        var local = new Endpoint(Address, localPort != 0 ? localPort : AllocatePort(remote));
        if (_connections.ContainsKey(FourTuple(local, remote)))
            throw new InvalidOperationException($"{Name}: {local} is already connected to {remote} (EADDRINUSE)");
        var c = NewConnection(local, remote, options ?? SocketOptions.Default, passive: false);
        _connections[FourTuple(local, remote)] = c;
        c.OpenActive(now, NextIss());
        Dispatch();
        return c;
    }

    /// <summary>connect() refused by a policy of the host before any segment leaves (a sandbox's outbound
    /// connection limit): a socket that never leaves CLOSED, bound to no port and held by no table, whose
    /// first read returns <paramref name="errno"/>. The caller tells the application (no event is raised).</summary>
    public TcpConnection Refused(Endpoint remote, Errno errno, SocketOptions? options = null)
    {
        EnsureAlive();
        var c = new TcpConnection(this, _nextId++, new Endpoint(Address, 0), remote, options ?? SocketOptions.Default, passive: false);
        c.Refuse(errno);
        return c;
    }

    /// <summary>accept(): the application takes <paramref name="child"/> (an Accepted event's socket) out of
    /// its listener's accept queue.</summary>
    public void Accept(TcpConnection child)
    {
        if (!child.InAcceptQueue)
            return;
        child.InAcceptQueue = false;
        if (_acceptQueues.TryGetValue(child.Local.Port, out var q))
            _acceptQueues[child.Local.Port] = q with { Queued = q.Queued - 1 };
    }

    /// <summary>Established connections on <paramref name="port"/> the application has not accepted yet.</summary>
    public int AcceptQueueLength(ushort port) => _acceptQueues.TryGetValue(port, out var q) ? q.Queued : 0;

    internal bool AcceptQueueFull(ushort port) => _acceptQueues.TryGetValue(port, out var q) && q.Queued > q.Max;

    internal void EnqueueAccepted(TcpConnection child)
    {
        if (_acceptQueues.TryGetValue(child.Local.Port, out var q))
        {
            child.InAcceptQueue = true;
            _acceptQueues[child.Local.Port] = q with { Queued = q.Queued + 1 };
        }
    }

    internal void EnsureApplicationRuns(TcpConnection c)
    {
        if (ApplicationStopped)
            throw new InvalidOperationException($"{Name} is frozen: its application cannot call into {c}");
        if (Destroyed)
            throw new InvalidOperationException($"{Name} was destroyed");
    }

    // ---------------------------------------------------------------- world side

    /// <summary>A segment arrives from the wire.</summary>
    public void Deliver(TimeSpan now, in Segment s)
    {
        if (Destroyed || Paused)
            return; // nothing runs to receive it: lost
        if (s.Destination.Address != Address)
            throw new ArgumentException($"{Name} ({new Endpoint(Address, 0)}) received a segment for {s.Destination}");
        if (_connections.TryGetValue(FourTuple(s.Destination, s.Source), out var c))
            c.OnSegment(now, s);
        else if (_listeners.TryGetValue(s.Destination.Port, out var listener))
            listener.OnSegment(now, s);
        else
            NoSocketFor(s);
        Dispatch();
    }

    /// <summary>The deadline <paramref name="c"/> asked for has come.</summary>
    public void OnTimer(TimeSpan now, TcpConnection c)
    {
        if (Destroyed || !c.InTable || c.Host != this)
            return;
        if (Paused)
        {
            _deferredTimers.Add(c.Id); // a paused VM runs no timers; they fire late, at the thaw
            return;
        }
        if (c.NextDeadline is { } d && d <= now)
            c.OnTimer(now);
        Dispatch();
    }

    /// <summary>Stop the application (SIGSTOP, a cgroup freezer); the kernel keeps working.</summary>
    public void StopApplication()
    {
        EnsureAlive();
        ApplicationStopped = true;
    }

    /// <summary>Pause the whole machine (a paused VM): application and kernel.</summary>
    public void Pause()
    {
        EnsureAlive();
        ApplicationStopped = true;
        Paused = true;
    }

    /// <summary>Run again. After a pause, every timer that came due meanwhile fires now.</summary>
    public void Resume(TimeSpan now)
    {
        EnsureAlive();
        ApplicationStopped = false;
        Paused = false;
        foreach (long id in _deferredTimers.ToArray())
        {
            if (_byId.TryGetValue(id, out var c) && c.NextDeadline is { } d && d <= now)
                c.OnTimer(now);
        }
        _deferredTimers.Clear();
        Dispatch();
    }

    /// <summary>The machine is gone (a destroyed execution environment): every socket vanishes and nothing is sent.</summary>
    public void Destroy()
    {
        if (Destroyed)
            return;
        foreach (var c in _byId.Values.OrderBy(c => c.Id).ToArray())
            c.Vanish();
        Dispatch();
        Destroyed = true;
        // Its tables are empty now; their storage goes too, and what its outputs still name (a run keeps its destroyed
        // hosts, thousands in a fleet's day).
        Outputs.Reset();
        _byId.TrimExcess();
        _connections.TrimExcess();
        _listeners.TrimExcess();
        _acceptQueues.TrimExcess();
        ApplicationStopped = false;
        Paused = false;
    }

    /// <summary>The machine restarts (a crash and a reboot, a failed-over node that comes back without
    /// its state): every socket vanishes without a segment, and what arrives for them afterwards meets no
    /// socket (RST, RFC 9293 §3.5.2). Nothing listens until the application calls listen() again.</summary>
    public void Reboot()
    {
        EnsureAlive();
        foreach (var c in _byId.Values.OrderBy(c => c.Id).ToArray())
            c.Vanish(TcpCause.HostRebooted);
        Dispatch();
        _deferredTimers.Clear();
        ApplicationStopped = false;
        Paused = false;
    }

    // ---------------------------------------------------------------- for connections

    internal void OnListenerSegment(TimeSpan now, TcpConnection listener, in Segment s)
    {
        // RFC 9293 §3.10.7.2, LISTEN.
        if (s.Rst)
            return;
        if (s.HasAck)
        {
            Transmit(ResetFor(s));
            return;
        }
        if (!s.Syn)
            return;
        // Linux tcp_conn_request (net/ipv4/tcp_input.c): a SYN for a listener whose accept queue is full is
        // dropped (LINUX_MIB_LISTENOVERFLOWS); the client sends it again after its SYN timeout. The SYN queue
        // itself does not overflow: with tcp_syncookies 1 (the default) a full one answers with a cookie.
        if (AcceptQueueFull(s.Destination.Port))
            return;
        var child = NewConnection(s.Destination, s.Source, listener.Options, passive: true);
        _connections[FourTuple(s.Destination, s.Source)] = child;
        child.AcceptSyn(now, s, NextIss());
    }

    /// <summary>What the sockets produced, waiting for <see cref="Dispatch"/>.</summary>
    internal TcpOutputs Outputs { get; }

    // A segment or a transition with nothing queued before it goes out at once: the driver only carries it or observes
    // it (no application code runs), so the order is the same and the queue is left for what must wait.
    internal void Transmit(in Segment s)
    {
        if (Outputs.Empty)
            Driver.Transmit(this, s);
        else
            Outputs.Segment(s);
    }

    internal void RaiseEvent(TcpConnection c, in TcpEvent e) => Outputs.Event(c, e);

    internal void ReportTransition(TcpConnection c, TcpState from, TcpState to, TcpCause cause)
    {
        if (Outputs.Empty)
            Driver.OnTransition(c, from, to, cause);
        else
            Outputs.Transition(c, from, to, cause);
    }

    /// <summary>An input is processed: hand its outputs to the driver.</summary>
    internal void Dispatch() => Outputs.Dispatch(this, Driver);

    /// <summary>A socket of the table changed state.</summary>
    internal void Moved(TcpConnection c, TcpState from, TcpState to)
    {
        if (!c.InTable)
            return;
        _inState[(int)from]--;
        _inState[(int)to]++;
    }

    internal void Forget(TcpConnection c)
    {
        if (c.InTable)
        {
            c.InTable = false;
            _inState[(int)c.State]--;
        }
        _byId.Remove(c.Id);
        Accept(c); // a connection that closes before accept() leaves the queue
        if (c.State == TcpState.Closed && _listeners.TryGetValue(c.Local.Port, out var l) && l == c)
        {
            _listeners.Remove(c.Local.Port);
            _acceptQueues.Remove(c.Local.Port);
        }
        else
            _connections.Remove(FourTuple(c.Local, c.Remote));
    }

    /// <summary>RFC 9293 §3.10.7.1: the reset for a segment that meets no connection. If it carried an
    /// ACK, &lt;SEQ=SEG.ACK&gt;&lt;CTL=RST&gt;; else &lt;SEQ=0&gt;&lt;ACK=SEG.SEQ+SEG.LEN&gt;&lt;CTL=RST,ACK&gt;.</summary>
    public static Segment ResetFor(in Segment s) => s.HasAck
        ? new Segment(s.Destination, s.Source, s.Ack, 0, TcpFlags.Rst, 0)
        : new Segment(s.Destination, s.Source, 0, s.Seq + s.SeqLength, TcpFlags.Rst | TcpFlags.Ack, 0);

    private void NoSocketFor(in Segment s)
    {
        if (s.Rst || NoSocket == NoSocketPolicy.Drop)
            return; // never answer a RST (RFC 9293 §3.10.7.1)
        Transmit(ResetFor(s));
    }

    private TcpConnection NewConnection(Endpoint local, Endpoint remote, SocketOptions options, bool passive)
    {
        var c = new TcpConnection(this, _nextId++, local, remote, options, passive) { InTable = true };
        _byId[c.Id] = c;
        _inState[(int)c.State]++;
        return c;
    }

    /// <summary>The socket from <paramref name="local"/> (one of this host's ends) to <paramref name="remote"/>, from its
    /// creation until it is closed and forgotten; null when there is none.</summary>
    public TcpConnection? Find(Endpoint local, Endpoint remote) =>
        local.Address == Address && _connections.TryGetValue(FourTuple(local, remote), out var c) ? c : null;

    /// <summary>A connection's key in this host's table: every local end has the host's address, so its port,
    /// the remote address and the remote port (16 + 32 + 16 bits) tell connections apart.</summary>
    private static ulong FourTuple(Endpoint local, Endpoint remote) =>
        ((ulong)local.Port << 48) | ((ulong)remote.Address << 16) | remote.Port;

    private uint NextIss()
    {
        uint iss = _nextIss;
        _nextIss += 64_000; // deterministic ISS, well apart (no clock-driven ISN: the model has no clock)
        return iss;
    }

    private ushort AllocatePort(Endpoint remote)
    {
        for (int tries = 0; tries <= LastEphemeralPort - FirstEphemeralPort; tries++)
        {
            ushort p = _nextPort;
            _nextPort = p == LastEphemeralPort ? FirstEphemeralPort : (ushort)(p + 1);
            if (!_connections.ContainsKey(FourTuple(new Endpoint(Address, p), remote)))
                return p;
        }
        throw new InvalidOperationException($"{Name}: no ephemeral port left towards {remote} (EADDRNOTAVAIL)");
    }

    private void EnsureAlive()
    {
        if (Destroyed)
            throw new InvalidOperationException($"{Name} was destroyed");
    }
}
