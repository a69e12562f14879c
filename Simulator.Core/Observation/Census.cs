using Zombiesim.Core.Platforms;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Observation;

/// <summary>
/// A read-only view of the world that counts: server sockets by category (ESTABLISHED split into in
/// use, idle and zombie), client sockets by state, environments by state. Samples, probes and
/// invariants count through it and change nothing.
/// </summary>
internal sealed class Census(ServerApp server, Platform platform)
{
    private static readonly int[] ServerIndex =
        Enum.GetValues<TcpState>().Select(st => Array.IndexOf(Sample.ServerCategories, st.Name())).ToArray();
    private static readonly int[] ClientIndex =
        Enum.GetValues<TcpState>().Select(st => Array.IndexOf(Sample.ClientCategories, st.Name())).ToArray();
    private const int InUse = 0, Idle = 1, Zombie = 2; // the ESTABLISHED split, first in Sample.ServerCategories

    public Platform Platform => platform;
    public ServerApp Server => server;

    /// <summary>Counts every server socket but the listener into <paramref name="counts"/>, and by function
    /// into <paramref name="functions"/> when given.</summary>
    public void CountServer(CategoryCounts counts, FunctionCounts? functions = null)
    {
        foreach (var c in server.Host.ConnectionsUnordered)
        {
            if (c.State == TcpState.Listen)
                continue;
            int category = ServerCategory(c);
            counts.Add(category);
            if (functions is not null && c.State != TcpState.TimeWait && platform.EnvironmentAt(c.Remote.Address) is { } env)
            {
                functions.Held[env.Function.Index]++;
                if (category == Zombie)
                    functions.Zombies[env.Function.Index]++;
            }
        }
    }

    /// <summary>Counts every client socket into <paramref name="counts"/>; returns the environments by state.</summary>
    public (int Busy, int Idle, int Frozen) CountClients(CategoryCounts counts)
    {
        int busy = 0, idle = 0, frozen = 0;
        foreach (var f in platform.Functions)
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
                    counts.Add(ClientIndex[(int)c.State]);
            }
        }
        return (busy, idle, frozen);
    }

    /// <summary>The index of a server socket's category in <see cref="Sample.ServerCategories"/>.</summary>
    private int ServerCategory(TcpConnection c)
    {
        if (c.State != TcpState.Established)
            return ServerIndex[(int)c.State];
        var env = platform.EnvironmentAt(c.Remote.Address);
        if (env is not null && env.State is EnvironmentState.Frozen or EnvironmentState.Destroyed)
            return Zombie;
        return server.InUse(c) ? InUse : Idle;
    }

    /// <summary>Server sockets ESTABLISHED whose client environment is frozen or destroyed.</summary>
    public int Zombies()
    {
        int n = 0;
        foreach (var c in server.Host.ConnectionsUnordered)
            if (ServerCategory(c) == Zombie) n++; // only ESTABLISHED sockets can be zombies
        return n;
    }

    /// <summary>Server sockets but the listener, in <paramref name="state"/> when given.</summary>
    public int ServerSockets(TcpState? state)
    {
        int n = 0;
        foreach (var c in server.Host.ConnectionsUnordered)
        {
            if (c.State == TcpState.Listen)
                continue;
            if (state is null || c.State == state)
                n++;
        }
        return n;
    }

    /// <summary>Server sockets that still hold a connection (not the listener, not TIME_WAIT).</summary>
    public int ServerConnectionsOpen()
    {
        int n = 0;
        foreach (var c in server.Host.ConnectionsUnordered)
            if (c.State is not (TcpState.Listen or TcpState.TimeWait)) n++;
        return n;
    }

    /// <summary>Server sockets whose peer is the host at <paramref name="address"/>.</summary>
    public int ServerConnectionsOf(uint address)
    {
        int n = 0;
        foreach (var c in server.Host.ConnectionsUnordered)
            if (c.Remote.Address == address && c.State != TcpState.Listen) n++;
        return n;
    }
}
