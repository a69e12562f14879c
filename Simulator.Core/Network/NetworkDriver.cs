using Zombiesim.Core.Engine;
using Zombiesim.Core.Random;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Network;

/// <summary>What became of a segment.</summary>
public enum SegmentFate
{
    Sent,
    Delivered,
    /// <summary>The path was partitioned when it left.</summary>
    DroppedPartition,
    /// <summary>A middlebox dropped it.</summary>
    DroppedMiddlebox,
    /// <summary>It arrived at a host that processed nothing (a paused VM or a destroyed machine).</summary>
    LostAtHost,
    /// <summary>A middlebox made it (a RST).</summary>
    Injected,
}

/// <summary>Everything the network saw, for traces and tests.</summary>
public interface INetworkObserver
{
    void OnSegment(TimeSpan at, string by, in Segment segment, SegmentFate fate);
    void OnTransition(TimeSpan at, TcpConnection connection, TcpState from, TcpState to, TcpCause cause);
    void OnEvent(TimeSpan at, TcpConnection connection, in TcpEvent e);
}

/// <summary>
/// The driver of Simulator.Tcp: it owns the hosts, carries segments over paths with a latency and
/// middleboxes, and turns each connection's deadline into an engine timer. Boxes see a segment at
/// the instant it leaves; what they inject (RSTs) travels the same latency to its receiver. The
/// application events a host's kernel raises on an arrival wait until the segments sent with it that
/// arrive in the same instant have been processed too (<see cref="Softirq"/>).
/// </summary>
public sealed class NetworkDriver : ITcpDriver
{
    private readonly Engine.Scheduler _engine;
    /// <summary>The first host's address (10.0.0.1); the others follow in the order they join.</summary>
    internal const uint FirstAddress = 0x0A00_0001;
    private readonly List<TcpHost> _hosts = new(); // by address, from FirstAddress on
    private readonly List<List<NetworkPath>> _pathsOf = new(); // each host's paths, indexed as _hosts
    private readonly Delivery _delivery;
    private readonly List<Segment> _injected = new();
    private readonly Softirq _softirq = new(); // the hosts' kernels against their applications
    private long _burst; // the step segments leave in: each engine event, each kernel input and each wake-up begins one
    private long _burstEvent = -1; // the engine event the burst belongs to
    private readonly Action<TcpConnection> _arm;

    public NetworkDriver(Engine.Scheduler engine, INetworkObserver? observer = null)
        : this(engine, null, null, observer)
    {
    }

    /// <param name="engine">The engine.</param>
    /// <param name="inFlight">Where segments in flight wait, reused from an earlier world (null: a pool of its own).</param>
    /// <param name="outputs">The hosts' output batches, reused from an earlier world (null: their own).</param>
    /// <param name="observer">Sees every segment, transition and event.</param>
    internal NetworkDriver(Engine.Scheduler engine, SlotPool<InFlight>? inFlight, TcpOutputStorage? outputs,
        INetworkObserver? observer = null)
    {
        _engine = engine;
        Observer = observer;
        _outputs = outputs;
        _delivery = new Delivery(this, inFlight ?? new SlotPool<InFlight>());
        _arm = c => Arm(c, c.NextDeadline);
    }

    private readonly TcpOutputStorage? _outputs;

    public INetworkObserver? Observer { get; set; }

    /// <summary>Called for every application event (connected, readable, peer closed, error).</summary>
    public Action<TcpConnection, TcpEvent>? Application { get; set; }

    public TimeSpan Now => _engine.Now;

    public TcpHost AddHost(string name, Sysctls? sysctls = null, NoSocketPolicy noSocket = NoSocketPolicy.Reset)
    {
        var host = new TcpHost(name, FirstAddress + (uint)_hosts.Count, this, sysctls, noSocket, _outputs);
        _hosts.Add(host);
        _pathsOf.Add(new List<NetworkPath>());
        return host;
    }

    /// <summary>Connects two hosts. <paramref name="inside"/> is the side that opens connections
    /// (the function), for middleboxes that care. Latency is one way, in seconds.</summary>
    public NetworkPath Connect(TcpHost inside, TcpHost outside, Distribution latency, IChoices choices,
        IReadOnlyList<Middlebox>? boxes = null)
    {
        var path = new NetworkPath(inside, outside, latency, choices, boxes ?? []);
        var atInside = _pathsOf[Index(inside.Address)];
        var atOutside = _pathsOf[Index(outside.Address)];
        if (PathBetween(inside.Address, outside.Address) is { } old)
        {
            atInside.Remove(old); // a path given anew replaces the old one
            atOutside.Remove(old);
        }
        atInside.Add(path);
        atOutside.Add(path);
        return path;
    }

    private static int Index(uint address) => (int)(address - FirstAddress);

    /// <summary>The host at <paramref name="address"/>, if there is one.</summary>
    public TcpHost? HostAt(uint address) => address - FirstAddress < (uint)_hosts.Count ? _hosts[Index(address)] : null;

    /// <summary>The path between two hosts, found among the paths of the one with fewer (a function's host has one a
    /// server, where a server's has one a function's host: no hashing per segment).</summary>
    private NetworkPath? PathBetween(uint a, uint b)
    {
        if (HostAt(a) is null || HostAt(b) is null)
            return null;
        var pa = _pathsOf[Index(a)];
        var pb = _pathsOf[Index(b)];
        var paths = pa.Count <= pb.Count ? pa : pb;
        for (int i = 0; i < paths.Count; i++)
            if (paths[i].Joins(a, b))
                return paths[i];
        return null;
    }

    /// <summary>The socket from <paramref name="local"/> to <paramref name="remote"/> on the host at the local end, from its
    /// creation until it is closed; null when there is none.</summary>
    public TcpConnection? SocketAt(Endpoint local, Endpoint remote) => HostAt(local.Address)?.Find(local, remote);

    // ---------------------------------------------------------------- ITcpDriver

    void ITcpDriver.Transmit(TcpHost from, in Segment segment)
    {
        TimeSpan now = _engine.Now;
        Observer?.OnSegment(now, from.Name, segment, SegmentFate.Sent);
        if (PathBetween(segment.Source.Address, segment.Destination.Address) is not { } path)
            throw new InvalidOperationException($"{from.Name} sent {segment} but no path leads to {segment.Destination}");
        if (path.Partitioned)
        {
            Observer?.OnSegment(now, from.Name, segment, SegmentFate.DroppedPartition);
            return;
        }
        bool fromInside = segment.Source.Address == path.Inside.Address;
        var boxes = path.Boxes;
        for (int i = 0; i < boxes.Count; i++)
        {
            var box = boxes[i];
            _injected.Clear();
            bool pass = box.Process(now, segment, fromInside, _injected);
            foreach (var rst in _injected)
            {
                Observer?.OnSegment(now, box.Name, rst, SegmentFate.Injected);
                Send(path, rst);
            }
            if (!pass)
            {
                Observer?.OnSegment(now, box.Name, segment, SegmentFate.DroppedMiddlebox);
                return;
            }
        }
        Send(path, segment);
    }

    void ITcpDriver.OnEvent(TcpConnection connection, in TcpEvent e)
    {
        Observer?.OnEvent(_engine.Now, connection, e);
        if (_softirq.Running == connection.Host)
            _softirq.Hold(connection, e); // the woken application runs when the kernel is done
        else
            Application?.Invoke(connection, e); // raised by the application's own call: it hears at once
    }

    void ITcpDriver.OnTransition(TcpConnection connection, TcpState from, TcpState to, TcpCause cause)
    {
        Observer?.OnTransition(_engine.Now, connection, from, to, cause);
        if (to == TcpState.Closed && connection.DriverState is ConnectionTimer t)
        {
            connection.DriverState = null;
            _engine.Cancel(t.Handle);
        }
    }

    /// <summary>
    /// A connection's deadline moves on almost every segment. Rather than cancel and reschedule each
    /// time, the engine event stays where it is when the new deadline is later (or gone): when it
    /// fires early it does nothing and re-arms for the current deadline. Only an earlier deadline
    /// moves the event, except once the connection has nothing left to send (<see cref="Winding"/>).
    /// </summary>
    void ITcpDriver.OnDeadlineChanged(TcpConnection connection, TimeSpan? deadline)
    {
        if (_softirq.Running == connection.Host)
            _softirq.Moved(connection); // armed once the woken application has answered
        else
            Arm(connection, deadline);
    }

    private void Arm(TcpConnection connection, TimeSpan? deadline)
    {
        if (connection.State == TcpState.Closed)
            return;
        var timer = connection.DriverState as ConnectionTimer;
        if (deadline is not { } d)
        {
            if (timer is not null && Winding(connection))
                _engine.Cancel(timer.Handle);
            return;
        }
        if (timer is null)
            connection.DriverState = timer = new ConnectionTimer(this, connection);
        if (Winding(connection))
            timer.ArmAt(d);
        else
            timer.ArmNoLaterThan(d);
    }

    /// <summary>
    /// FIN_WAIT_2 and TIME_WAIT: the connection's own FIN is acknowledged, so it has nothing left to send and the deadline
    /// it reports is its state timer (tcp_fin_timeout, 2MSL), which only the peer (or a late close()) moves again. The pending
    /// event was armed for the retransmission of that FIN, which the ACK cleared: left in place it would fire for nothing.
    /// The event moves to the deadline instead: a cancel in place of an event that finds nothing due (in <c>bench fleet</c>,
    /// whose per-invocation function closes a connection per request, about half of those that did).
    /// </summary>
    private static bool Winding(TcpConnection c) => c.State is TcpState.FinWait2 or TcpState.TimeWait;

    // ---------------------------------------------------------------- delivery

    private void Send(NetworkPath path, in Segment segment)
    {
        TimeSpan at = _engine.Now + path.Latency.SampleDuration(path.Choices); // a path joins two hosts: the destination is one
        if (_burstEvent != _engine.Executed)
            NextBurst();
        long slot = _delivery.Schedule(_engine, at, new InFlight { Segment = segment });
        long before = _softirq.Sent(segment.Destination.Address, at, _burst, slot);
        if (before >= 0)
            _delivery.Followed(before);
    }

    private void NextBurst()
    {
        _burst++;
        _burstEvent = _engine.Executed;
    }

    private void Arrive(in Segment segment, bool followed)
    {
        TimeSpan now = _engine.Now;
        var host = _hosts[Index(segment.Destination.Address)];
        _softirq.Arrived(host.Address, followed);
        NextBurst();
        if (host.Destroyed || host.Paused)
            Observer?.OnSegment(now, host.Name, segment, SegmentFate.LostAtHost);
        else
        {
            Observer?.OnSegment(now, host.Name, segment, SegmentFate.Delivered);
            _softirq.Running = host;
            host.Deliver(now, segment);
            _softirq.Running = null;
        }
        if (_softirq.Done(host.Address))
            WakeUp(host);
    }

    private void WakeUp(TcpHost host)
    {
        NextBurst();
        _softirq.Wake(host, Application, _arm);
    }

    /// <summary>A connection's timer fires, in its kernel: what it raises for the application waits like an arrival's.</summary>
    private void Fire(TcpConnection connection)
    {
        TimeSpan now = _engine.Now;
        var host = connection.Host;
        NextBurst();
        _softirq.Running = host;
        host.OnTimer(now, connection);
        _softirq.Running = null;
        if (_softirq.Done(host.Address))
            WakeUp(host);
    }

    /// <summary>A segment on its way; <see cref="Followed"/> when its burst sent another to the same host for the same
    /// instant after it.</summary>
    internal struct InFlight
    {
        public Segment Segment;
        public bool Followed;
    }

    /// <summary>Segments in flight live in a pooled array; the engine event carries the index.</summary>
    private sealed class Delivery(NetworkDriver network, SlotPool<InFlight> inFlight) : EventReceiver
    {
        /// <summary>Schedules the arrival; the slot the segment waits in.</summary>
        public long Schedule(Engine.Scheduler engine, TimeSpan at, in InFlight s)
        {
            long slot = inFlight.Add(s);
            engine.Schedule(at, this, slot);
            return slot;
        }

        public void Followed(long slot) => inFlight[slot].Followed = true;

        public override void OnEvent(long arg)
        {
            var s = inFlight.Take(arg);
            network.Arrive(s.Segment, s.Followed);
        }
    }

    private sealed class ConnectionTimer(NetworkDriver network, TcpConnection connection) : EventReceiver
    {
        public TimerHandle Handle;
        private TimeSpan _at;

        /// <summary>The event fires at <paramref name="deadline"/> (or now, if that has passed), earlier or later than
        /// it was to.</summary>
        public void ArmAt(TimeSpan deadline)
        {
            var engine = network._engine;
            if (deadline < engine.Now)
                deadline = engine.Now;
            if (engine.IsPending(Handle))
            {
                if (_at == deadline)
                    return;
                engine.Cancel(Handle);
            }
            _at = deadline;
            Handle = engine.Schedule(deadline, this);
        }

        /// <summary>The event fires at <paramref name="deadline"/> (or now) unless it is to fire earlier.</summary>
        public void ArmNoLaterThan(TimeSpan deadline)
        {
            if (deadline < network._engine.Now)
                deadline = network._engine.Now;
            if (network._engine.IsPending(Handle))
            {
                if (_at <= deadline)
                    return;
                network._engine.Cancel(Handle);
            }
            _at = deadline;
            Handle = network._engine.Schedule(deadline, this);
        }

        public override void OnEvent(long arg)
        {
            Handle = default;
            var engine = network._engine;
            if (!(connection.NextDeadline <= engine.Now) && !connection.Host.Paused)
            {
                // Early: the deadline moved later, or went, after the event was armed. The kernel would find nothing due
                // (a paused VM's would note the socket for its thaw): no kernel work, wait for the real deadline.
                if (connection.NextDeadline is { } later && connection.State != TcpState.Closed)
                    ArmNoLaterThan(later);
                return;
            }
            network.Fire(connection);
            // Fired early for a deadline that moved later: wait for the real one. (A deadline still
            // due means a paused VM deferred it; its thaw fires it and reports the next one.)
            if (connection.State != TcpState.Closed && connection.NextDeadline is { } d && d > engine.Now && !engine.IsPending(Handle))
                ArmNoLaterThan(d);
        }
    }
}

/// <summary>The path between two hosts: latency, middleboxes, and whether it is cut.</summary>
public sealed class NetworkPath(TcpHost inside, TcpHost outside, Distribution latency, IChoices choices, IReadOnlyList<Middlebox> boxes)
{
    public TcpHost Inside { get; } = inside;
    public TcpHost Outside { get; } = outside;
    public Distribution Latency { get; } = latency;
    internal IChoices Choices { get; } = choices;
    public IReadOnlyList<Middlebox> Boxes { get; } = boxes;

    /// <summary>Whether the path joins the hosts at <paramref name="a"/> and <paramref name="b"/>, either way round.</summary>
    internal bool Joins(uint a, uint b) =>
        (Inside.Address == a && Outside.Address == b) || (Inside.Address == b && Outside.Address == a);

    /// <summary>While true the path drops everything, in both directions.</summary>
    public bool Partitioned { get; set; }
}
