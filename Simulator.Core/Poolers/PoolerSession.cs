using Zombiesim.Core.Connections;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Platforms;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Poolers;

/// <summary>One client connection a pooler holds: its socket, the queries it has sent and not yet had
/// run (one runs at a time, as a PostgreSQL connection runs them), whether it is pinned, and its idle
/// timer. Its <see cref="Session"/> is what the pooler's pool knows it by: a session that keeps its
/// server connection (session pooling, or pinned) keeps it until the session finishes.</summary>
internal sealed class PoolerSession(Pooler pooler) : EventReceiver, ISocketOwner
{
    public required TcpConnection Socket;
    public required string Label;
    public required Invocation Session;
    /// <summary>Queries read and not yet handed to the pool.</summary>
    public int Queued;
    /// <summary>A query of this client is waiting for or running on a server connection.</summary>
    public bool Busy;
    /// <summary>Whether the session state question was settled (at its first query).</summary>
    public bool Decided;
    /// <summary>The client said goodbye (Terminate): close once its queries are done.</summary>
    public bool Quitting;
    public TimerHandle IdleTimer;

    public override void OnEvent(long arg) => pooler.ClientIdleExpired(this);

    public void OnSocketEvent(TcpConnection socket, TcpEvent e) => pooler.OnEvent(this, e);
}
