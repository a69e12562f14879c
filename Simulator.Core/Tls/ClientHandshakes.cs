using Zombiesim.Core.Connections;
using Zombiesim.Core.Engine;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Tls;

/// <summary>
/// The TLS handshakes of one execution environment's sockets, in user space between the kernel and
/// the client library: once TCP connects, the ClientHello goes out; the server's first flight is
/// read, the client spends its handshake CPU (stretched below a full vCPU), then sends its second
/// flight; with TLS 1.3 the library's "connected" follows at once (its first command rides behind
/// the Finished), with TLS 1.2 after the server's Finished. Until then the library sees nothing of
/// the socket but an error or a close, so its connect timeout covers the handshake. A server that
/// refused the connection wrote its refusal instead of a flight: the library gets "connected" and
/// reads it.
/// </summary>
internal sealed class ClientHandshakes(Clock clock, ConnectionRegistry connections, int memoryMb, Action<TcpConnection, TcpEvent> deliver)
{
    private readonly Dictionary<TcpConnection, State> _open = new();

    public void Begin(TcpConnection socket, TlsSpec spec) => _open[socket] = new State(spec);

    /// <summary>Whether the handshake of <paramref name="socket"/> took <paramref name="e"/>; an event it
    /// does not take goes to the library.</summary>
    public bool Take(TcpConnection socket, TcpEvent e)
    {
        if (!_open.TryGetValue(socket, out var h))
            return false;
        switch (e.Kind)
        {
            case TcpEventKind.Connected:
                socket.Send(clock.Now, TlsFlights.ClientHello);
                return true;
            case TcpEventKind.Readable when !connections.Info(socket).Rejected:
                Read(socket, h);
                return true;
            case TcpEventKind.Readable:
                _open.Remove(socket);
                deliver(socket, new TcpEvent(TcpEventKind.Connected));
                return false; // the library reads the refusal
            default:
                _open.Remove(socket);
                return false;
        }
    }

    private void Read(TcpConnection socket, State h)
    {
        var r = socket.Read(clock.Now);
        h.Received += Math.Max(0, r.Bytes);
        if (!h.ProcessedServerFlight && h.Received >= TlsFlights.ServerFlight && !h.Computing)
        {
            h.Computing = true;
            clock.Schedule(clock.Now + h.Spec.ClientCpuAt(memoryMb), () => SendSecond(socket, h));
        }
        else if (h.ProcessedServerFlight && h.Received >= TlsFlights.ServerFlight + TlsFlights.ServerFinished12)
            Connected(socket);
    }

    /// <summary>The client's CPU is spent: its second flight leaves (TLS 1.3: and the library may send).</summary>
    private void SendSecond(TcpConnection socket, State h)
    {
        if (!_open.ContainsKey(socket) || socket.State != TcpState.Established || socket.Orphaned || socket.Host.ApplicationStopped)
        {
            _open.Remove(socket);
            return;
        }
        h.ProcessedServerFlight = true;
        socket.Send(clock.Now, TlsFlights.ClientSecond(h.Spec.Version));
        if (h.Spec.Version == TlsVersion.Tls13)
            Connected(socket);
    }

    private void Connected(TcpConnection socket)
    {
        _open.Remove(socket);
        deliver(socket, new TcpEvent(TcpEventKind.Connected));
    }

    private sealed class State(TlsSpec spec)
    {
        public TlsSpec Spec { get; } = spec;
        public int Received;
        public bool Computing, ProcessedServerFlight;
    }
}
