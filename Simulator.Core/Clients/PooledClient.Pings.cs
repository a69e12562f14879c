using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Clients;

/// <summary>The pool's idle pings (<see cref="ClientSpec.PingInterval"/>): while the environment waits for the next
/// invocation, each free connection gets a request every interval, its reply awaited under the command timeout. The
/// ping timer is a user-space timer: a freeze or the next invocation stops it, and only the next idle period arms it
/// again. A ping that fails (an error, the server's EOF or error, no reply in time) closes the connection; one that
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
            (c.PingTimeout ??= new Engine.Alarm(_clock, _ => PingTimedOut(c))).Set(_clock.Now + t);
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
