using Zombiesim.Core.Connections;
using Zombiesim.Core.Engine;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Servers;

/// <summary>A connection the server holds: its socket, when it last did something, the commands it
/// has yet to answer, the requests it has served and whether the client said goodbye. Also the
/// handler of its own reply and idle events and the owner of its socket's events, so that neither a command nor
/// a connection allocates a handler.</summary>
internal sealed class ServerConnection(ServerApp server) : EventReceiver, ISocketOwner
{
    public const long ReplyEvent = 0, IdleEvent = 1;
    public required TcpConnection Socket;
    public required string Label;
    /// <summary>The server's id for it (MySQL's connection id, what KILL takes).</summary>
    public long Id;
    public TimeSpan LastActivity;
    /// <summary>Commands read and not answered yet.</summary>
    public int Busy;
    /// <summary>Replies written on this connection.</summary>
    public int Served;
    /// <summary>When the reply being prepared will be ready, for servers that answer one request at a time.</summary>
    public TimeSpan FreeAt;
    /// <summary>The client's goodbye (QUIT) arrived: close once every command before it is answered.</summary>
    public bool Quitting;
    /// <summary>The client's FIN arrived behind commands not answered yet: close once they are.</summary>
    public bool PeerClosed;
    public TimerHandle IdleTimer;
    /// <summary>The TLS handshake still under way on this connection; null: none (done, or plain TCP).</summary>
    public Tls.ServerHandshake? Handshake;

    public void OnSocketEvent(TcpConnection socket, TcpEvent e) => server.OnEvent(this, e);

    public override void OnEvent(long arg)
    {
        if (arg == ReplyEvent)
            server.Reply(this);
        else
            server.IdleExpired(this);
    }
}
