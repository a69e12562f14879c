using Zombiesim.Core.Observation;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Platforms;

/// <summary>What a function's code (its handler and client library) sees of the execution
/// environment it runs in.</summary>
internal interface IProcess
{
    /// <summary>The environment's name, as records name it.</summary>
    string Name { get; }

    TcpHost Host { get; }
    EnvironmentState State { get; }

    /// <summary>connect() to a server by its name: the environment's resolver picks the node the name points to
    /// (it only differs from <paramref name="server"/> once a failover moved the name); where the platform limits an
    /// instance's outbound connections and the limit is reached, a socket that fails at once with EACCES.</summary>
    TcpConnection Connect(Endpoint server, SocketOptions options);

    /// <summary>Routes a socket's events to the client library through the process, which holds
    /// them while it is frozen.</summary>
    void Own(TcpConnection socket);

    /// <summary>The invocation ends with <paramref name="result"/>.</summary>
    void Finish(Invocation inv, Result result);
}
