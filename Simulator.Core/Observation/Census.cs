using Zombiesim.Core.Platforms;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Observation;

/// <summary>
/// A read-only view of the world that counts: server sockets by category (ESTABLISHED split into in
/// use, idle and zombie), client sockets by state, environments by state. Samples, probes and
/// invariants count through it and change nothing. What a sample counts is counted without allocating
/// (a search's small runs take a sample every simulated second).
/// </summary>
internal sealed class Census(IReadOnlyList<IServerSide> servers, Platform platform)
{
    private readonly IServerSide[] _servers = servers.ToArray();
    private static readonly int[] ServerIndex =
        Enum.GetValues<TcpState>().Select(st => Array.IndexOf(Sample.ServerCategories, st.Name())).ToArray();
    private static readonly int[] ClientIndex =
        Enum.GetValues<TcpState>().Select(st => Array.IndexOf(Sample.ClientCategories, st.Name())).ToArray();
    private const int InUse = 0, Idle = 1, Zombie = 2; // the ESTABLISHED split, first in Sample.ServerCategories

    public Platform Platform => platform;
    /// <summary>The first server (the only one unless `servers:` names several).</summary>
    public IServerSide Server => _servers[0];

    public IReadOnlyList<IServerSide> Servers => _servers;

    /// <summary>Connections refused and evicted, over every server.</summary>
    public long Rejections
    {
        get
        {
            long n = 0;
            foreach (var s in _servers) n += s.Rejections;
            return n;
        }
    }

    public long Evictions
    {
        get
        {
            long n = 0;
            foreach (var s in _servers) n += s.Evictions;
            return n;
        }
    }

    /// <summary>Every server socket, the listeners included, over every server: the sockets on its port
    /// (a pooler's host also holds its own connections to the server behind it, counted there).</summary>
    private IEnumerable<TcpConnection> ServerSocketsUnordered()
    {
        foreach (var s in _servers)
            foreach (var c in s.Host.ConnectionsUnordered)
                if (OnItsPort(s, c))
                    yield return c;
    }

    /// <summary>A socket of the server's own: on its port (a pooler's host also holds its connections to the server behind it).</summary>
    private static bool OnItsPort(IServerSide s, TcpConnection c) => c.Local.Port == s.Endpoint.Port;

    /// <summary>Counts every server socket but the listener into <paramref name="counts"/>, and by function
    /// into <paramref name="functions"/> when given.</summary>
    public void CountServer(CategoryCounts counts, FunctionCounts? functions = null)
    {
        foreach (var s in _servers)
        {
            foreach (var c in s.Host.ConnectionsUnordered)
            {
                if (!OnItsPort(s, c) || c.State == TcpState.Listen)
                    continue;
                int category = ServerCategory(s, c);
                counts.Add(category);
                if (functions is not null && c.State != TcpState.TimeWait && platform.PeerAt(c.Remote.Address) is { } peer)
                {
                    functions.Held[peer.Function.Index]++;
                    if (category == Zombie)
                        functions.Zombies[peer.Function.Index]++;
                }
            }
        }
    }

    /// <summary>Counts every client socket into <paramref name="counts"/>; returns the environments by state.</summary>
    public (int Busy, int Idle, int Frozen) CountClients(CategoryCounts counts)
    {
        int busy = 0, idle = 0, frozen = 0;
        foreach (var f in platform.Functions)
        {
            var live = f.Environments;
            for (int i = 0; i < live.Count; i++)
            {
                var env = live[i];
                switch (env.State)
                {
                    case EnvironmentState.Busy or EnvironmentState.Initializing: busy++; break;
                    case EnvironmentState.Idle or EnvironmentState.ShuttingDown: idle++; break;
                    case var stopped when stopped.Unanswering(): frozen++; break; // frozen, throttled, suspended, snapshotted
                }
                for (int st = 0; st < ClientIndex.Length; st++)
                    counts.Add(ClientIndex[st], env.Host.CountIn((TcpState)st));
            }
        }
        return (busy, idle, frozen);
    }

    /// <summary>The index of a server socket's category in <see cref="Sample.ServerCategories"/>.</summary>
    private int ServerCategory(IServerSide s, TcpConnection c)
    {
        if (c.State != TcpState.Established)
            return ServerIndex[(int)c.State];
        var peer = platform.PeerAt(c.Remote.Address);
        if (peer is not null && peer.State.Unanswering())
            return Zombie;
        return s.InUse(c) ? InUse : Idle;
    }

    private IServerSide ServerOf(TcpConnection c)
    {
        foreach (var s in _servers)
            if (s.Host == c.Host) return s;
        throw new InvalidOperationException($"no server runs on {c.Host.Name}");
    }

    /// <summary>Server sockets ESTABLISHED whose client cannot answer from user space (frozen, throttled,
    /// suspended, snapshotted or destroyed), on the server named <paramref name="server"/> or on every server.</summary>
    public int Zombies(string? server = null)
    {
        int n = 0;
        foreach (var c in ServerSocketsUnordered())
            if ((server is null || c.Host.Name == server) && ServerCategory(ServerOf(c), c) == Zombie)
                n++; // only ESTABLISHED sockets can be zombies
        return n;
    }

    /// <summary>Server sockets but the listener, in <paramref name="state"/> when given.</summary>
    public int ServerSockets(TcpState? state, string? server = null)
    {
        int n = 0;
        foreach (var c in ServerSocketsUnordered())
        {
            if (c.State == TcpState.Listen || (server is not null && c.Host.Name != server))
                continue;
            if (state is null || c.State == state)
                n++;
        }
        return n;
    }

    /// <summary>Server sockets that still hold a connection (not the listener, not TIME_WAIT), on the server
    /// named <paramref name="server"/> or on every server.</summary>
    public int ServerConnectionsOpen(string? server = null)
    {
        int n = 0;
        foreach (var c in ServerSocketsUnordered())
            if (c.State is not (TcpState.Listen or TcpState.TimeWait) && (server is null || c.Host.Name == server)) n++;
        return n;
    }

    /// <summary>With several servers, each one's open connections (every socket on its port but the listener
    /// and TIME_WAIT), in the scenario's order; null with one.</summary>
    public ServerCounts? PerServer()
    {
        if (_servers.Length < 2)
            return null;
        var open = new int[_servers.Length];
        for (int i = 0; i < _servers.Length; i++)
            foreach (var c in _servers[i].Host.ConnectionsUnordered)
                if (OnItsPort(_servers[i], c) && c.State is not (TcpState.Listen or TcpState.TimeWait))
                    open[i]++;
        return new ServerCounts(_names ??= _servers.Select(s => s.Name).ToArray(), open);
    }

    private string[]? _names;

    /// <summary>Server sockets whose peer is the host at <paramref name="address"/>.</summary>
    public int ServerConnectionsOf(uint address)
    {
        int n = 0;
        foreach (var c in ServerSocketsUnordered())
            if (c.Remote.Address == address && c.State != TcpState.Listen) n++;
        return n;
    }
}
