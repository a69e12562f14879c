using Zombiesim.Core.Connections;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Network;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Platforms;

/// <summary>
/// The serverless platform: its functions and their execution environments, the account's
/// concurrency, and which environment lives at which address (the server's peers).
/// </summary>
internal sealed class Platform : IPeers
{
    private readonly Dictionary<string, FunctionRuntime> _functions = new();
    private readonly List<Peer?> _byAddress = new(); // by host address, from NetworkDriver.FirstAddress on (servers' are null)
    private readonly Topology _topology;
    private readonly IChoices _streams;
    private readonly IReadOnlyDictionary<string, Endpoint> _servers;

    public Platform(PlatformSpec spec, IReadOnlyList<FunctionSpec> functions, Clock clock, IRunObserver observer,
        ConnectionRegistry connections, Topology topology, IReadOnlyDictionary<string, Endpoint> servers, IChoices streams)
    {
        Spec = spec;
        Clock = clock;
        Observer = observer;
        Connections = connections;
        _servers = servers;
        Server = servers.Values.First();
        _topology = topology;
        _streams = streams;
        foreach (var f in functions)
            _functions[f.Name] = new FunctionRuntime(this, f) { Index = _functions.Count };
    }

    public PlatformSpec Spec { get; }
    public Clock Clock { get; }
    public IRunObserver Observer { get; }
    public ConnectionRegistry Connections { get; }
    /// <summary>The TLS of the servers that run it, by the endpoint their name first points to.</summary>
    public IReadOnlyDictionary<Endpoint, Tls.TlsSpec> Tls { get; init; } = new Dictionary<Endpoint, Tls.TlsSpec>();

    /// <summary>What the servers' names point to (a failover moves one).</summary>
    public Names Names { get; } = new();
    /// <summary>Where the functions' client libraries connect.</summary>
    public Endpoint Server { get; }

    /// <summary>Where a client library that names <paramref name="name"/> connects (null: the first server).</summary>
    public Endpoint ServerFor(string? name) => name is null ? Server : _servers[name];

    /// <summary>The name of the server a client library that names <paramref name="name"/> talks to.</summary>
    public string ServerName(string? name) => name ?? _servers.Keys.First();
    public Dictionary<string, FunctionRuntime>.ValueCollection Functions => _functions.Values; // enumerated without allocating
    public int FunctionCount => _functions.Count;
    /// <summary>Invocations refused because no environment was free at the concurrency limit.</summary>
    public long Throttles { get; private set; }

    public IChoices Stream(string name) => _streams.Stream(name);

    public FunctionRuntime Function(string name) => _functions[name];

    /// <summary>A new environment's host joins the network with its own path to the server.</summary>
    public TcpHost AddHost(Environment env, Sysctls sysctls)
    {
        var host = _topology.AddClient(env.Name, sysctls);
        int i = (int)(host.Address - NetworkDriver.FirstAddress);
        while (_byAddress.Count <= i)
            _byAddress.Add(null);
        _byAddress[i] = new Peer(env);
        return host;
    }

    /// <summary>Who is at <paramref name="address"/> (an index, not a hash: a sample asks it of every server socket).</summary>
    public Peer? PeerAt(uint address)
    {
        uint i = address - NetworkDriver.FirstAddress;
        return i < (uint)_byAddress.Count ? _byAddress[(int)i] : null;
    }

    /// <summary>The environment was destroyed: its address keeps only its name and function.</summary>
    internal void Departed(Environment env) => PeerAt(env.Host.Address)!.Departed();

    public uint? AddressOf(string environment)
    {
        for (int i = 0; i < _byAddress.Count; i++)
            if (_byAddress[i]?.Name == environment) return NetworkDriver.FirstAddress + (uint)i;
        return null;
    }

    internal void Throttled() => Throttles++;

    internal int TotalBusy()
    {
        int busy = 0;
        foreach (var f in _functions.Values)
            busy += f.Busy;
        return busy;
    }
}
