using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Clients;

/// <summary>How the pool ends a connection it no longer keeps: after each command when it keeps none (a connection
/// per invocation: close first, QUIT, or never), at the library's quit(), and on the events of sockets it let go.</summary>
internal sealed partial class PooledClient
{
    /// <summary>A released connection of a pool that keeps none ends as <see cref="ClientSpec.Close"/> says.</summary>
    private void End(PooledConnection c)
    {
        switch (_spec.Close)
        {
            case CloseMode.Quit:
                Forget(c);
                _quitting.Add(c.Socket);
                c.Socket.Send(_clock.Now, Wire.QuitBytes); // the server answers and closes first: its TIME_WAIT
                break;
            case CloseMode.Never:
                Forget(c); // leaked: open until the server's FIN or an error reaches it
                break;
            default:
                Close(c); // close() first: the client ends in TIME_WAIT
                break;
        }
    }

    /// <summary>The pool lets the connection go without closing it; the process still owns its socket.</summary>
    private void Forget(PooledConnection c)
    {
        _bySocket.Remove(c.Socket);
        _free.Remove(c);
        c.CancelIdle();
        c.CancelLifetime();
        c.PingTimeout?.Cancel();
        c.IdlePing = false;
    }

    /// <summary>serverless-mysql's quit(): mysql2's end() writes COM_QUIT and awaits no reply (mysql2 3.23.4
    /// lib/commands/quit.js:13-25); the library forgets its free connections, the server closes first.</summary>
    public void Quit()
    {
        foreach (var c in _free.ToArray())
        {
            if (c.Socket.State != TcpState.Established)
            {
                Close(c);
                continue;
            }
            Forget(c);
            _quitting.Add(c.Socket);
            c.Socket.Send(_clock.Now, Wire.QuitBytes);
        }
    }

    /// <summary>An event of a socket the pool let go: after QUIT, the server's answer is read and its EOF (or an
    /// error) closes the socket; a leaked socket, or one closed while its events waited for a frozen process,
    /// is closed by the peer's FIN or an error.</summary>
    private void OnEndedSocket(TcpConnection socket, TcpEvent e)
    {
        if (_quitting.Contains(socket))
            AwaitServerClose(socket);
        else if (e.Kind is TcpEventKind.PeerClosed or TcpEventKind.Error)
            Discard(socket);
    }

    private void AwaitServerClose(TcpConnection socket)
    {
        while (true)
        {
            var r = socket.Read(_clock.Now);
            if (r.Bytes > 0)
                continue;
            if (r.Eof || r.Errno != Errno.None)
            {
                _quitting.Remove(socket);
                Discard(socket);
            }
            return;
        }
    }

    private void Discard(TcpConnection socket)
    {
        _connections.Disown(socket);
        if (socket.State != TcpState.Closed && !socket.Orphaned)
            socket.Close(_clock.Now);
    }
}
