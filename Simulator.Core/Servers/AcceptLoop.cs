using Zombiesim.Core.Engine;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Servers;

/// <summary>
/// The server's accept loop: it takes established connections out of its kernel's accept queue one at
/// a time, and spends <c>acceptTime</c> on each before it takes the next (a PostgreSQL postmaster forks
/// a backend; a thread-per-connection server starts a thread). Connections that arrive meanwhile wait in
/// the kernel's queue, which overflows once it holds more than its backlog: Linux then drops SYNs and
/// final ACKs (Simulator.Tcp). With no accept time a connection is taken as it arrives.
/// </summary>
internal sealed class AcceptLoop(TcpHost host, Clock clock, TimeSpan acceptTime, Action<TcpConnection> take)
{
    private readonly Queue<TcpConnection> _waiting = new();
    private bool _busy;

    /// <summary>The kernel established <paramref name="socket"/>: take it now, or when the loop is free.</summary>
    public void Arrived(TcpConnection socket)
    {
        if (acceptTime <= TimeSpan.Zero)
        {
            host.Accept(socket);
            take(socket);
            return;
        }
        _waiting.Enqueue(socket);
        if (!_busy)
            Next();
    }

    /// <summary>The listener is gone: connections still queued are reset, as Linux's inet_csk_listen_stop does.</summary>
    public void Drop()
    {
        while (_waiting.TryDequeue(out var s))
        {
            host.Accept(s);
            if (s.State != TcpState.Closed && !host.Destroyed)
                s.Abort(clock.Now);
        }
    }

    private void Next()
    {
        _busy = false;
        while (_waiting.TryDequeue(out var s))
        {
            host.Accept(s);
            if (s.State == TcpState.Closed)
                continue; // reset or timed out while it waited
            _busy = true;
            take(s);
            clock.Schedule(clock.Now + acceptTime, Next);
            return;
        }
    }
}
