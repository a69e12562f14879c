using Zombiesim.Core.Checks;
using Zombiesim.Core.Connections;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Network;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Poolers;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Scripted;
using Zombiesim.Core.Servers;
using Zombiesim.Core.Traffic;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Worlds;

/// <summary>
/// The simulated world of a scenario, wired from its parts: the path (network and middleboxes), the
/// platform (functions, execution environments and their client libraries), the servers, traffic,
/// scripted events, observation and checks. It wires them and runs the engine; it does nothing else.
/// Every draw comes from a named stream of the scenario's seed (common random numbers: a function's
/// traffic does not change when another is added).
/// </summary>
internal sealed class World
{
    private readonly Scenario _s;
    private readonly Scheduler _engine;
    private readonly IRunObserver _observer;
    private readonly Expectations _expectations;
    private readonly IChoices _streams;
    private readonly Topology _topology;
    private readonly Platform _platform;
    private readonly IServerSide[] _servers;
    private readonly Sampler? _sampler;

    /// <param name="scenario">What to simulate.</param>
    /// <param name="observer">Receives every record as it happens.</param>
    /// <param name="expectations">The scenario's expectations, whose probes the world schedules first.</param>
    /// <param name="seed">Replaces the scenario's seed.</param>
    /// <param name="choices">Where every draw comes from: by default a generator seeded with the
    /// scenario's seed (or <paramref name="seed"/>); exploration passes its own, which may also
    /// order events due at the same instant.</param>
    /// <param name="sampling">Whether to take the counts over time (exploration does without).</param>
    /// <param name="storage">The engine and pools to use, emptied (<see cref="RunStorage.Begin"/>) for this world alone;
    /// null: its own.</param>
    public World(Scenario scenario, IRunObserver observer, Expectations expectations, ulong? seed = null, IChoices? choices = null,
        bool sampling = true, RunStorage? storage = null)
    {
        _engine = storage?.Engine ?? new Scheduler(initialCapacity: 128); // grows as needed; most runs keep few events pending
        _s = scenario;
        _observer = observer;
        _expectations = expectations;
        Seed = seed ?? scenario.Seed;
        _streams = choices ?? new SeededChoices(Seed);
        _engine.SameInstantOrder = choices as ISameInstantOrder;
        Clock = new Clock(_engine, storage?.Actions);

        var network = new NetworkDriver(_engine, storage?.Segments, storage?.Outputs);
        // A server a failover names has a standby node, a server of its own after the scenario's.
        var named = scenario.Servers;
        var specs = scenario.ServerNodes.ToArray();
        var hosts = specs.Select(spec => network.AddHost(spec.Name, spec.Host, spec.NoSocket)).ToArray();
        var connections = new ConnectionRegistry(observer, specs.Select((spec, i) => new Endpoint(hosts[i].Address, spec.Port)), network);
        network.Observer = connections;
        // A box the platform itself puts on the path (Azure's load balancer) comes before the scenario's own.
        var path = scenario.Platform.PathMiddlebox is { } box
            ? scenario.Network with { Middleboxes = [box, .. scenario.Network.Middleboxes] }
            : scenario.Network;
        _topology = new Topology(network, hosts, path, _streams);
        _platform = new Platform(scenario.Platform, scenario.Functions, Clock, observer, connections, _topology,
            named.Select((spec, i) => (spec.Name, At: new Endpoint(hosts[i].Address, spec.Port))).ToDictionary(x => x.Name, x => x.At),
            _streams)
        {
            Tls = named.Select((spec, i) => (spec.Tls, At: new Endpoint(hosts[i].Address, spec.Port)))
                .Where(x => x.Tls is not null).ToDictionary(x => x.At, x => x.Tls!),
        };
        // The first server keeps the stream it always had: a second server changes none of its draws.
        _servers = specs.Select((spec, i) => spec.Pooler is { } pooler
            ? Pooler(spec, hosts[i], specs.First(s => s.Name == pooler.Upstream), hosts, connections)
            : (IServerSide)new ServerApp(spec, hosts[i], Clock, connections, observer, _platform,
                _streams.Stream(i == 0 ? "server/response" : $"server/{spec.Name}/response"))).ToArray();
        var byHost = _servers.ToDictionary(x => x.Host);
        network.Application = (socket, e) =>
        {
            if (e.Kind == TcpEventKind.Accepted)
                byHost[socket.Host].OnAccepted(socket);
            else
                connections.Dispatch(socket, e);
        };
        Census = new Census(_servers, _platform);
        _sampler = sampling ? new Sampler(Clock, Census, observer, scenario.Horizon) : null;
    }

    /// <summary>A pooler in front of <paramref name="upstream"/>, with its own path to it.</summary>
    private Pooler Pooler(ServerSpec spec, TcpHost host, ServerSpec upstream, TcpHost[] hosts, ConnectionRegistry connections)
    {
        var upstreamHost = hosts.First(h => h.Name == upstream.Name);
        _topology.AddUpstream(host, upstreamHost);
        return new Pooler(spec, host, new Endpoint(upstreamHost.Address, upstream.Port), upstream.MaxClients, Clock, connections,
            _observer, _platform, address => _platform.PeerAt(address)?.Function.Spec.SessionState ?? 0,
            _streams.Stream($"pooler/{spec.Name}/session-state"));
    }

    /// <summary>The server named <paramref name="name"/>, or the first that is not a pooler.</summary>
    private ServerApp ServerNamed(string? name) =>
        _servers.OfType<ServerApp>().First(x => name is null || x.Host.Name == name);

    public ulong Seed { get; }
    public long EventsExecuted => _engine.Executed;
    /// <summary>What checks count through.</summary>
    public Census Census { get; }
    public Clock Clock { get; }

    /// <summary>How many steps a run reported on is cut into.</summary>
    public const int ProgressSteps = 1000;

    /// <summary>Runs the scenario to its horizon; <paramref name="progress"/>, if given, hears after each
    /// thousandth of the simulated time the instant reached and the events run so far (the run itself
    /// does not change: running to each step in turn fires the same events in the same order).</summary>
    public void Run(Action<TimeSpan, long>? progress = null)
    {
        // A standby listens once a failover promotes it.
        foreach (var server in _servers.Take(_s.Servers.Count))
            server.Start();
        // Probes first: scheduled before anything else, they count before every event due at their instant.
        _expectations.ScheduleProbes(Clock, Census);
        TrafficGenerator.Schedule(_s.Traffic, _s.Horizon, Clock, _streams, name =>
        {
            var fn = _platform.Function(name);
            return () => fn.Invoke(null);
        });
        ScriptedEvents.Schedule(_s.Events, Clock, _topology, _platform, ServerNamed, name => ServerNamed(Failover.StandbyName(
            name ?? _s.Servers[0].Name)), _observer);
        _sampler?.Start();
        if (progress is null)
            _engine.RunUntil(_s.Horizon);
        else
        {
            for (int step = 1; step <= ProgressSteps; step++)
            {
                var until = step == ProgressSteps ? _s.Horizon
                    : TimeSpan.FromTicks((long)((double)_s.Horizon.Ticks * step / ProgressSteps));
                _engine.RunUntil(until);
                progress(until, _engine.Executed);
            }
        }
        _sampler?.Finish();
    }
}
