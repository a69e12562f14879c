using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Network;

/// <summary>
/// The path of a scenario: each client host joins the network with its own path to each server,
/// with the scenario's latency (drawn from the host's own stream) and the same middleboxes; a
/// partition cuts every path, including those of hosts that join during it.
/// </summary>
internal sealed class Topology(NetworkDriver network, IReadOnlyList<TcpHost> servers, NetworkSpec spec, IChoices streams)
{
    private readonly List<Middlebox> _boxes = spec.Middleboxes.Select(b => new Middlebox(b.Name, b.Profile)).ToList();
    private readonly List<NetworkPath> _paths = new();
    private bool _partitioned;

    public TcpHost AddClient(string name, Sysctls sysctls)
    {
        var host = network.AddHost(name, sysctls);
        for (int i = 0; i < servers.Count; i++)
        {
            // The first server's path keeps the stream it always had: adding a server changes no draw of the first.
            var stream = streams.Stream(i == 0 ? $"network/{name}" : $"network/{name}/{servers[i].Name}");
            var path = network.Connect(host, servers[i], spec.Latency, stream, _boxes);
            path.Partitioned = _partitioned;
            _paths.Add(path);
        }
        return host;
    }

    /// <summary>A pooler's path to the server behind it: the scenario's latency, drawn from its own stream,
    /// and no middleboxes (they sit between the functions and what they connect to); a partition cuts it too.</summary>
    public void AddUpstream(TcpHost pooler, TcpHost upstream)
    {
        var path = network.Connect(pooler, upstream, spec.Latency, streams.Stream($"network/{pooler.Name}/{upstream.Name}"), []);
        path.Partitioned = _partitioned;
        _paths.Add(path);
    }

    public bool Partitioned
    {
        get => _partitioned;
        set
        {
            _partitioned = value;
            foreach (var p in _paths) p.Partitioned = value;
        }
    }
}
