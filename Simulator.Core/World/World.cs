using Zombiesim.Core.Engine;
using Zombiesim.Core.Network;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;

namespace Zombiesim.Core.World;

/// <summary>
/// The simulated world of a scenario: a platform of functions and execution environments, each
/// environment a Linux host with a client library, a server host with its application, and the
/// network between them. Everything runs on one engine; every draw comes from a named stream of the
/// scenario's seed (common random numbers: a function's traffic does not change when another is added).
/// </summary>
public sealed class World : INetworkObserver
{
    internal const int RequestBytes = 30, ReplyBytes = 10, RejectBytes = 40;

    private readonly Scenario _s;
    private readonly IRunObserver _observer;
    private readonly Scheduler _engine = new(initialCapacity: 128); // grows as needed; most runs keep few events pending
    private readonly NetworkDriver _network;
    private readonly IChoices _root;
    private readonly ServerApp _server;
    private readonly Dictionary<string, FunctionRuntime> _functions = new();
    private readonly List<Middlebox> _boxes;
    private readonly Dictionary<TcpConnection, Action<TcpEvent>> _owners = new();
    private readonly Dictionary<(Endpoint Client, Endpoint Server), ConnInfo> _live = new();
    private readonly Dictionary<uint, Environment> _environmentsByAddress = new();
    private readonly List<NetworkPath> _paths = new();
    private readonly TimeSpan _sampleInterval;
    private readonly bool _wantsTransitions;
    private readonly bool _sampling;
    private readonly ActionTable _actions = new();
    private readonly Dictionary<ExpectSpec, int> _probes = new();
    private TimeSpan _lastSample = TimeSpan.MinValue;
    private CategoryCounts? _serverCounts, _clientCounts;
    private Observation? _sampler;
    private int _nextLabel = 1;
    private bool _partitioned;
    private long _throttles;

    /// <param name="scenario">What to simulate.</param>
    /// <param name="observer">Receives every record as it happens.</param>
    /// <param name="seed">Replaces the scenario's seed.</param>
    /// <param name="choices">Where every draw comes from: by default a generator seeded with the
    /// scenario's seed (or <paramref name="seed"/>); exploration passes its own, which may also
    /// order events due at the same instant.</param>
    /// <param name="sampling">Whether to take the counts over time (exploration does without).</param>
    public World(Scenario scenario, IRunObserver observer, ulong? seed = null, IChoices? choices = null, bool sampling = true)
    {
        _sampling = sampling;
        _s = scenario;
        _observer = observer;
        _wantsTransitions = observer.WantsTransitions;
        Seed = seed ?? scenario.Seed;
        _root = choices ?? new SeededChoices(Seed);
        _engine.SameInstantOrder = choices as ISameInstantOrder;
        _network = new NetworkDriver(_engine, this) { Application = OnApplicationEvent };
        _boxes = scenario.Network.Middleboxes.Select(b => new Middlebox(b.Name, b.Profile)).ToList();
        _server = new ServerApp(this, scenario.Server);
        foreach (var f in scenario.Functions)
            _functions[f.Name] = new FunctionRuntime(this, f);
        long step = Math.Max(TimeSpan.TicksPerSecond, scenario.Horizon.Ticks / 2000);
        step = (step + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond;
        _sampleInterval = TimeSpan.FromTicks(step);
    }

    public ulong Seed { get; }
    public TimeSpan Now => _engine.Now;
    public long EventsExecuted => _engine.Executed;
    internal Scheduler Engine => _engine;
    internal Scenario Scenario => _s;
    internal IRunObserver Observer => _observer;
    internal ServerApp Server => _server;
    internal IChoices Stream(string name) => _root.Stream(name);

    private void OnApplicationEvent(TcpConnection c, TcpEvent e)
    {
        if (e.Kind == TcpEventKind.Accepted)
            _server.OnAccepted(c);
        else if (_owners.TryGetValue(c, out var owner))
            owner(e);
    }

    /// <summary>Runs the scenario to its horizon.</summary>
    public void Run()
    {
        _server.Start();
        // Probes first: scheduled before anything else, they count before every event due at their instant.
        foreach (var x in _s.Expect.Where(x => x.Kind != ExpectKind.Outcome && x.At is not null))
            Observe(x.At!.Value, () => _probes[x] = Count(x));
        ScheduleTraffic();
        ScheduleEvents();
        if (_sampling)
            _engine.Schedule(TimeSpan.Zero, _sampler = new Observation(TakeSample));
        _engine.RunUntil(_s.Horizon);
        if (_sampling && _lastSample != _s.Horizon)
            TakeSample(); // the final counts, at the horizon
    }

    /// <summary>Schedules a one-off action at an absolute instant (clamped to now). The actions wait
    /// in a pooled table; the engine event carries the index, so scheduling allocates no wrapper.
    /// (Timers that get cancelled belong to their owners: environments, server connections.)</summary>
    internal void Schedule(TimeSpan at, Action action) =>
        _engine.Schedule(at < _engine.Now ? _engine.Now : at, _actions, _actions.Add(action));

    /// <summary>Schedules an action that only looks (a sample, a probe): under an order hook it runs
    /// before the other events due at the same instant.</summary>
    private void Observe(TimeSpan at, Action look) => _engine.Schedule(at, new Observation(look));

    private sealed class Observation(Action look) : IObservationEvent
    {
        public void OnEvent(long arg) => look();
    }

    private sealed class ActionTable : IEventHandler
    {
        private readonly SlotPool<Action> _pool = new();

        public long Add(Action action) => _pool.Add(action);

        public void OnEvent(long arg) => _pool.Take(arg)();
    }

    // ---------------------------------------------------------------- traffic and events

    private void ScheduleTraffic()
    {
        for (int i = 0; i < _s.Traffic.Count; i++)
        {
            var t = _s.Traffic[i];
            var fn = _functions[t.Function];
            var choices = Stream($"traffic/{i}");
            for (int j = 0; j < t.At.Count; j++)
            {
                TimeSpan at = t.At[j].SampleDuration(choices);
                if (at <= _s.Horizon)
                    Schedule(at, () => fn.Invoke(null));
            }
            for (int k = 0; k < t.BurstCount; k++)
            {
                TimeSpan at = t.BurstAt + (t.BurstCount == 1 ? TimeSpan.Zero : t.BurstOver * k / t.BurstCount);
                if (at <= _s.Horizon)
                    Schedule(at, () => fn.Invoke(null));
            }
            if (t.Every is { } every)
            {
                TimeSpan until = t.Until is { } u && u < _s.Horizon ? u : _s.Horizon;
                var gaps = Stream($"traffic/{i}/every");
                void Next(TimeSpan after)
                {
                    TimeSpan at = after + every.SampleDuration(gaps);
                    if (at > until)
                        return;
                    Schedule(at, () =>
                    {
                        Next(at);
                        fn.Invoke(null);
                    });
                }
                Next(t.From);
            }
        }
    }

    private void ScheduleEvents()
    {
        foreach (var e in _s.Events)
        {
            switch (e.Kind)
            {
                case EventKind.Partition:
                    Schedule(e.At, () =>
                    {
                        _partitioned = true;
                        foreach (var p in _paths) p.Partitioned = true;
                        Note("network", $"partition: the path drops everything until {Instant.Format(e.Until)}");
                    });
                    Schedule(e.Until, () =>
                    {
                        _partitioned = false;
                        foreach (var p in _paths) p.Partitioned = false;
                        Note("network", "partition healed");
                    });
                    break;
                case EventKind.Redeploy:
                    Schedule(e.At, () => _functions[e.Function!].Redeploy());
                    break;
                case EventKind.ServerRestart:
                    Schedule(e.At, () => _server.Restart(e.Until));
                    break;
            }
        }
    }

    // ---------------------------------------------------------------- hosts, paths and labels

    internal TcpHost AddEnvironmentHost(Environment env, Sysctls sysctls)
    {
        var host = _network.AddHost(env.Name, sysctls);
        var path = _network.Connect(host, _server.Host, _s.Network.Latency, Stream($"network/{env.Name}"), _boxes);
        path.Partitioned = _partitioned;
        _paths.Add(path);
        _environmentsByAddress[host.Address] = env;
        return host;
    }

    internal TcpHost AddServerHost() => _network.AddHost("server", _s.Server.Host, _s.Server.NoSocket);

    internal void Own(TcpConnection c, Action<TcpEvent> owner) => _owners[c] = owner;

    internal void Disown(TcpConnection c) => _owners.Remove(c);

    /// <summary>What both ends of a connection share: its name in traces (c1, c2, ...), the latest
    /// incident that may explain a later error, and whether the server refused it. Kept on the
    /// sockets; the lookup by addresses lives only while the client's socket does.</summary>
    internal sealed class ConnInfo(string label)
    {
        public string Label { get; } = label;
        public Incident? Incident;
        public bool Rejected;
    }

    internal ConnInfo Info(TcpConnection c)
    {
        if (c.Tag is ConnInfo cached)
            return cached;
        bool serverSide = c.Host == _server.Host;
        var key = serverSide ? (c.Remote, c.Local) : (c.Local, c.Remote);
        if (!_live.TryGetValue(key, out var info))
        {
            info = new ConnInfo($"c{_nextLabel++}");
            if (!serverSide)
                _live[key] = info;
        }
        c.Tag = info;
        return info;
    }

    internal string Label(TcpConnection c) => c.State == TcpState.Listen || c.Remote.Address == 0 ? "listener" : Info(c).Label;

    internal Environment? EnvironmentAt(uint address) => _environmentsByAddress.GetValueOrDefault(address);

    /// <summary>Remember the latest thing that happened to a connection, to explain a later error.</summary>
    internal void Incident(TcpConnection c, Incident incident) => Info(c).Incident = incident;

    internal Incident? IncidentOf(TcpConnection c) => Info(c).Incident;

    internal void Note(string who, string text) => _observer.OnNote(new NoteRecord(Now, who, text));

    internal void Throttled() => _throttles++;

    internal FunctionRuntime Function(string name) => _functions[name];

    internal int TotalBusy()
    {
        int busy = 0;
        foreach (var f in _functions.Values)
            busy += f.Busy;
        return busy;
    }

    // ---------------------------------------------------------------- network observer

    void INetworkObserver.OnSegment(TimeSpan at, string by, in Segment segment, SegmentFate fate)
    {
        IncidentKind? kind = fate switch
        {
            SegmentFate.DroppedMiddlebox => IncidentKind.MiddleboxDrop,
            SegmentFate.Injected when segment.Rst => IncidentKind.MiddleboxReset,
            SegmentFate.DroppedPartition => IncidentKind.PartitionDrop,
            _ => null,
        };
        if (kind is null)
            return;
        bool fromServer = segment.Source.Address == _server.Host.Address;
        var key = fromServer ? (segment.Destination, segment.Source) : (segment.Source, segment.Destination);
        if (_live.TryGetValue(key, out var info))
            info.Incident = new Incident(at, kind.Value, kind == IncidentKind.PartitionDrop ? null : by);
    }

    void INetworkObserver.OnTransition(TimeSpan at, TcpConnection c, TcpState from, TcpState to, TcpCause cause)
    {
        if (_wantsTransitions)
            _observer.OnTransition(new TransitionRecord(at, c.Host.Name, Label(c), from, to, cause));
        if (to == TcpState.Closed)
        {
            _owners.Remove(c);
            if (c.Host != _server.Host && c.Tag is ConnInfo)
                _live.Remove((c.Local, c.Remote));
        }
    }

    void INetworkObserver.OnEvent(TimeSpan at, TcpConnection connection, in TcpEvent e) { }

    // ---------------------------------------------------------------- samples and expectations

    /// <summary>Fresh counts for a sample, or the last ones cleared when no observer keeps samples.</summary>
    private CategoryCounts NextCounts(ref CategoryCounts? reused, string[] keys)
    {
        if (_observer.KeepsSamples || reused is null)
            return reused = new CategoryCounts(keys);
        reused.Clear();
        return reused;
    }

    private void TakeSample()
    {
        _lastSample = Now;
        var server = NextCounts(ref _serverCounts, Sample.ServerCategories);
        foreach (var c in _server.Host.ConnectionsUnordered)
        {
            if (c.State == TcpState.Listen)
                continue;
            server.Add(ServerCategory(c));
        }
        var client = NextCounts(ref _clientCounts, Sample.ClientCategories);
        int busy = 0, idle = 0, frozen = 0;
        foreach (var f in _functions.Values)
        {
            foreach (var env in f.Environments)
            {
                switch (env.State)
                {
                    case EnvironmentState.Busy or EnvironmentState.Initializing: busy++; break;
                    case EnvironmentState.Idle: idle++; break;
                    case EnvironmentState.Frozen: frozen++; break;
                }
                foreach (var c in env.Host.ConnectionsUnordered)
                    client.Add(ClientIndex[(int)c.State]);
            }
        }
        _observer.OnSample(new Sample(Now, server, client, busy, idle, frozen, _server.Rejections, _server.Evictions, _throttles));
        if (Now + _sampleInterval <= _s.Horizon && Now < _s.Horizon)
            _engine.Schedule(Now + _sampleInterval, _sampler!); // one handler for every sample
    }

    private static readonly int[] ServerIndex = Enum.GetValues<TcpState>().Select(st => Array.IndexOf(Sample.ServerCategories, st.Name())).ToArray();
    private static readonly int[] ClientIndex = Enum.GetValues<TcpState>().Select(st => Array.IndexOf(Sample.ClientCategories, st.Name())).ToArray();
    private const int InUse = 0, Idle = 1, Zombie = 2; // the ESTABLISHED split, first in Sample.ServerCategories

    /// <summary>The index of a server socket's category in <see cref="Sample.ServerCategories"/>.</summary>
    private int ServerCategory(TcpConnection c)
    {
        if (c.State != TcpState.Established)
            return ServerIndex[(int)c.State];
        var env = EnvironmentAt(c.Remote.Address);
        if (env is not null && env.State is EnvironmentState.Frozen or EnvironmentState.Destroyed)
            return Zombie;
        return _server.InUse(c) ? InUse : Idle;
    }

    private int Count(ExpectSpec x)
    {
        if (x.Kind == ExpectKind.Zombies)
            return Zombies();
        int n = 0;
        foreach (var c in _server.Host.ConnectionsUnordered)
        {
            if (c.State == TcpState.Listen)
                continue;
            if (x.State is null || c.State == x.State)
                n++;
        }
        return n;
    }

    internal int? ProbeResult(ExpectSpec x) => _probes.TryGetValue(x, out var n) ? n : null;

    /// <summary>Server sockets ESTABLISHED whose client environment is frozen or destroyed.</summary>
    internal int Zombies()
    {
        int n = 0;
        foreach (var c in _server.Host.ConnectionsUnordered)
            if (ServerCategory(c) == Zombie) n++; // only ESTABLISHED sockets can be zombies
        return n;
    }

    /// <summary>Server sockets that still hold a connection (not the listener, not TIME_WAIT).</summary>
    internal int ServerConnectionsOpen()
    {
        int n = 0;
        foreach (var c in _server.Host.ConnectionsUnordered)
            if (c.State is not (TcpState.Listen or TcpState.TimeWait)) n++;
        return n;
    }

    /// <summary>Server sockets whose peer is the host at <paramref name="address"/>.</summary>
    internal int ServerConnectionsOf(uint address)
    {
        int n = 0;
        foreach (var c in _server.Host.ConnectionsUnordered)
            if (c.Remote.Address == address && c.State != TcpState.Listen) n++;
        return n;
    }

    internal uint? AddressOf(string environment)
    {
        foreach (var (address, env) in _environmentsByAddress)
            if (env.Name == environment) return address;
        return null;
    }
}
