using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Clients;

/// <summary>The pool's side of its sockets: events, replies, pre-pings, the command's timers and failures.</summary>
internal sealed partial class PooledClient
{
    public void OnSocketEvent(TcpConnection socket, TcpEvent e)
    {
        if (!_bySocket.TryGetValue(socket, out var c))
        {
            OnEndedSocket(socket, e);
            return;
        }
        if (e.Kind is TcpEventKind.PeerClosed)
            c.PeerClosed = true;
        if (c.IdlePing && c.Command is null && e.Kind is TcpEventKind.Readable or TcpEventKind.PeerClosed or TcpEventKind.Error)
        {
            ReadPing(c);
            return;
        }
        if (c.Command is not { } cmd)
        {
            // An idle connection: the library learns that it closed and drops it (pg-pool removes a
            // client on its 'error' and 'end' events; mysql2 on the connection's 'end').
            if (e.Kind is TcpEventKind.PeerClosed or TcpEventKind.Error)
                Close(c);
            return;
        }
        switch (e.Kind)
        {
            case TcpEventKind.Connected when c.Connecting:
                Send(cmd, c);
                break;
            case TcpEventKind.Readable:
            case TcpEventKind.PeerClosed:
            case TcpEventKind.Error:
                ReadReply(cmd, c);
                break;
        }
    }

    private void ReadReply(PoolCall cmd, PooledConnection c)
    {
        string label = _connections.Label(c.Socket);
        while (true)
        {
            var r = c.Socket.Read(_clock.Now);
            if (r.Bytes > 0)
            {
                cmd.Received += r.Bytes;
                if (SocketResults.ServerSaid(_connections, c.Socket) is { } said)
                {
                    if (c.Pinging)
                        PingFailed(cmd, c);
                    else
                        Fail(cmd, said);
                    return;
                }
                if (cmd.Received >= Wire.ReplyBytes && c.Pinging)
                {
                    Send(cmd, c); // alive: the command goes on it
                    return;
                }
                if (cmd.Received >= Wire.ReplyBytes)
                {
                    cmd.Disarm();
                    if (cmd.Query is not null)
                    {
                        var info = _connections.Info(c.Socket);
                        (cmd.Answer, info.Answer) = (info.Answer, null);
                    }
                    if (Holds(cmd.Invocation) && !cmd.Invocation.Finished)
                    {
                        c.Command = null;
                        c.HeldBy = cmd.Invocation; // the invocation keeps it until it ends
                    }
                    else
                    {
                        Release(c);
                    }
                    cmd.End(Result.Ok(label));
                    return;
                }
                continue;
            }
            if ((r.Eof || r.Errno != Errno.None) && c.Pinging)
            {
                PingFailed(cmd, c);
                return;
            }
            if (r.Eof)
            {
                if (!c.Connecting)
                    Fail(cmd, new Result(Outcome.Eof, Origin.Fin, label, SocketResults.Explain(_connections, c.Socket, Outcome.Eof)));
                return;
            }
            if (r.Errno != Errno.None)
                Fail(cmd, SocketResults.Error(_connections, c.Socket, r.Errno, r.Origin, c.Connecting ? Syscall.Connect : Syscall.Read));
            return;
        }
    }

    private void OnCommandTimer(PoolCall cmd, long phase)
    {
        if (cmd.Ended)
            return;
        if (phase == PoolCall.Opening)
            OnSetUp(cmd);
        else if (phase == PoolCall.Acquiring)
            OnAcquireTimeout(cmd);
        else if (phase == PoolCall.Connecting && cmd.Conn is { Connecting: true } c)
            Fail(cmd, new Result(Outcome.ETIMEDOUT, Origin.LibraryTimeout, _connections.Label(c.Socket),
                new Cause(CauseKind.ConnectTimeout, Timeout: _spec.ConnectTimeout!.Value)));
        else if (phase == PoolCall.Waiting && cmd.Conn is { } w)
            Fail(cmd, new Result(Outcome.ETIMEDOUT, Origin.LibraryTimeout, _connections.Label(w.Socket),
                new Cause(CauseKind.CommandTimeout, _connections.IncidentOf(w.Socket), _spec.CommandTimeout!.Value)));
    }

    /// <summary>The command failed: its connection is closed (a library drops a connection that
    /// errored), a waiter may take its place, and the command is retried (after the reconnect delay) or ends.</summary>
    private void Fail(PoolCall cmd, Result r)
    {
        cmd.Disarm();
        if (cmd.Conn is { } c)
        {
            c.Command = null;
            Close(c);
            cmd.Conn = null;
        }
        ServeWaiting();
        if (!cmd.Invocation.Finished && cmd.Invocation.Retries < _spec.Retries && _spec.RetryOn.Contains(r.Outcome))
        {
            cmd.Invocation.Retries++;
            // With a reconnect policy (ioredis's retryStrategy), the library reconnects after its delay.
            if (_spec.Reconnect is not null && Size < _pool.Max)
                Open(cmd, _draws.Reconnect(cmd.Invocation.Retries));
            else
                Acquire(cmd);
            return;
        }
        cmd.End(r);
    }
}
