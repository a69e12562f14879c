using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Clients;

/// <summary>The pool's idle pings (<see cref="ClientSpec.PingInterval"/>): while the environment waits for the next
/// invocation, each free connection gets a request every interval, its reply awaited under the command timeout. Both
/// are user-space timers: a freeze or the next invocation stops the ping timer, and only the next idle period arms it
/// again; a reply timeout stops while frozen and, overdue at the thaw, fails its ping with the pool's other timers.
/// A ping that fails (an error, the server's EOF or error, no reply in time) closes the connection; one that
/// succeeds counts as a use (<see cref="ClientSpec.MaxIdle"/>).</summary>
internal sealed partial class PooledClient
{
    /// <summary>The environment waits for the next invocation: the next ping is armed, when pings are on and the pool
    /// keeps a connection.</summary>
    public void Idle()
    {
        if (_spec.PingInterval is not { } interval || !HoldsConnections)
            return;
        _ping.Cancel();
        _ping.Set(_clock.Now + interval);
    }

    public void Pause() => _ping.Cancel();

    private void OnPing()
    {
        if (_process.State != EnvironmentState.Idle)
            return;
        foreach (var c in _free.ToArray())
        {
            if (!c.IdlePing)
                Ping(c);
        }
    }

    private void Ping(PooledConnection c)
    {
        c.IdlePing = true;
        c.PingReceived = 0;
        if (!c.Socket.Send(_clock.Now, Wire.RequestBytes).IsOk)
        {
            Close(c);
            return;
        }
        if (_spec.CommandTimeout is { } t)
        {
            c.PingDeadline = _clock.Now + t;
            (c.PingTimeout ??= new Engine.Alarm(_clock, _ => PingTimedOut(c))).Set(c.PingDeadline);
        }
    }

    /// <summary>The process stops: the reply timeouts of pings on their way stop with it, and keep their deadlines.</summary>
    private void PausePings()
    {
        _ping.Cancel();
        foreach (var c in _free)
            c.PingTimeout?.Cancel();
    }

    /// <summary>The process runs again: a ping whose reply timeout ran out while frozen fails now, the others wait on.</summary>
    private void ResumePings()
    {
        foreach (var c in _free.ToArray())
        {
            if (!c.IdlePing || c.PingTimeout is null)
                continue;
            if (c.PingDeadline <= _clock.Now)
                Close(c);
            else
                c.PingTimeout.Set(c.PingDeadline);
        }
    }

    private void PingTimedOut(PooledConnection c)
    {
        if (c.IdlePing && _bySocket.ContainsKey(c.Socket))
            Close(c);
    }

    /// <summary>Reads the ping's reply on a free connection; a server's error, an EOF or an error closes it.</summary>
    private void ReadPing(PooledConnection c)
    {
        while (true)
        {
            var r = c.Socket.Read(_clock.Now);
            if (r.Bytes > 0)
            {
                c.PingReceived += r.Bytes;
                if (SocketResults.ServerSaid(_connections, c.Socket) is not null)
                {
                    Close(c);
                    return;
                }
                if (c.PingReceived >= Wire.ReplyBytes)
                {
                    c.PingTimeout?.Cancel();
                    c.IdlePing = false;
                    c.LastUsed = _clock.Now;
                    Idle();
                    return;
                }
                continue;
            }
            if (r.Eof || r.Errno != Errno.None)
                Close(c);
            return;
        }
    }
}
