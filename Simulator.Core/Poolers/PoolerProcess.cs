using Zombiesim.Core.Engine;
using Zombiesim.Core.Clients;
using Zombiesim.Core.Connections;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Poolers;

/// <summary>What the pooler's pool of server connections (a <see cref="PooledClient"/>) sees of the
/// process it runs in: a host that is always running, whose sockets' events reach the pool at once.</summary>
internal sealed class PoolerProcess(string name, TcpHost host, ConnectionRegistry connections, Clock clock) : IProcess, ISocketOwner
{
    public PooledClient? Pool { get; set; }
    public string Name => name;
    public TcpHost Host => host;
    public EnvironmentState State => EnvironmentState.Busy;

    /// <summary>A pooler's connect has no platform limit in its way.</summary>
    public TcpConnection Connect(Endpoint server, SocketOptions options) => host.Connect(clock.Now, server, options);

    public void Own(TcpConnection socket) => connections.Own(socket, this);

    public void OnSocketEvent(TcpConnection socket, TcpEvent e) => Pool!.OnSocketEvent(socket, e);

    /// <summary>The pool ends its commands through their callbacks; it never finishes an invocation itself.</summary>
    public void Finish(Invocation inv, Result result) => inv.Done?.Invoke(result);
}
