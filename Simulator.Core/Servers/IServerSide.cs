using Zombiesim.Tcp;

namespace Zombiesim.Core.Servers;

/// <summary>A process that accepts the functions' connections on its host's port: a server, or a pooler
/// in front of one (Poolers/). What the world starts and hands accepted sockets to, and what the census
/// counts the server side of connections through.</summary>
internal interface IServerSide
{
    /// <summary>Its name in the scenario, and its host's.</summary>
    string Name { get; }
    TcpHost Host { get; }
    Endpoint Endpoint { get; }

    /// <summary>Connections refused and evicted so far.</summary>
    long Rejections { get; }
    long Evictions { get; }

    /// <summary>Whether the accepted connection has a command in progress.</summary>
    bool InUse(TcpConnection c);

    void Start();

    /// <summary>A new established connection from the kernel's accept queue.</summary>
    void OnAccepted(TcpConnection socket);
}
