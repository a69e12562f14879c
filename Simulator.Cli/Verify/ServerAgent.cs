using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// The model's `generic` server on real sockets, run by `zombiesim agent server` in the server's namespace: it
/// accepts every connection, answers each command line with a short reply at once, closes a connection the moment
/// it has been idle for the idle timeout (counted from its last reply, exactly, as the model's generic server does),
/// and closes a connection whose client closed. A connection whose first bytes are an HTTP/1.1 request (`GET `) is
/// served as an HTTP/1.1 keep-alive server would: a 200 response per request (<see cref="HttpProtocol"/>), and after
/// the last of `requestsPerConnection` (nginx's keepalive_requests) one that says Connection: close, then the close.
/// One thread per connection; prints `ready` once listening. Held (a restart's server, `hold=1`): it warms up on a
/// loopback port of its own, prints `ready`, and listens on its port when its stdin says `listen`, then prints `listening`.
/// A restart's exit (`exit` on its stdin): it shuts its listener and every connection down at once (a FIN each, the port
/// no longer listening) and prints `exited`, then waits for its SIGKILL. The kernel would do the same at the exit, but a
/// SIGKILLed runtime of many threads took 63 to 714 ms here from the signal to its reaping (docs/verify.md).
/// </summary>
internal sealed class ServerAgent(AgentSpec spec, TextWriter output)
{
    private static readonly byte[] Reply = Encoding.ASCII.GetBytes("+PONG\r\n");
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<Socket, bool> _open = new();

    public int Run()
    {
        if (spec.Hold)
        {
            using (var warm = Listen(IPAddress.Loopback, 0))
                WarmUp(warm);
            output.WriteLine("ready");
            output.Flush();
            if (Console.In.ReadLine() != "listen")
                return 2;
        }
        using var listener = Listen(IPAddress.Any, spec.Port);
        if (!spec.Hold)
            WarmUp(listener);
        output.WriteLine(spec.Hold ? "listening" : "ready");
        output.Flush();
        new Thread(() => ExitWhenTold(listener)) { IsBackground = true }.Start();
        while (true)
        {
            Socket socket;
            try
            {
                socket = listener.Accept();
            }
            catch (SocketException)
            {
                Thread.Sleep(Timeout.Infinite); // shut down by an exit: the SIGKILL follows
                return 0;
            }
            _open[socket] = true;
            new Thread(() => Serve(socket, spec.IdleTimeout)) { IsBackground = true }.Start();
        }
    }

    private void ExitWhenTold(Socket listener)
    {
        if (Console.In.ReadLine() != "exit")
            return;
        foreach (var socket in _open.Keys.Prepend(listener))
        {
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // closed meanwhile
            }
        }
        output.WriteLine("exited");
        output.Flush();
    }

    private static Socket Listen(IPAddress address, ushort port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(address, port));
        listener.Listen(511);
        return listener;
    }

    /// <summary>Serves a loopback client once, idle close included, so that the run's first connection does not pay for
    /// compiling this code.</summary>
    private void WarmUp(Socket listener)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndPoint!).Port));
        var accepted = listener.Accept();
        var serve = new Thread(() => Serve(accepted, TimeSpan.FromMilliseconds(20))) { IsBackground = true };
        serve.Start();
        client.Send(Encoding.ASCII.GetBytes("PING\r\n"));
        var buffer = new byte[64];
        while (client.Receive(buffer) > 0)
        {
        }
        serve.Join();
    }

    private void Serve(Socket socket, TimeSpan? idleTimeout)
    {
        var buffer = new byte[4096];
        int pending = 0; // bytes of an HTTP request not yet whole
        int served = 0; // HTTP requests answered
        bool? http = null;
        var lastActive = _clock.Elapsed;
        try
        {
            while (true)
            {
                int micros = -1;
                if (idleTimeout is { } idle)
                {
                    var left = lastActive + idle - _clock.Elapsed;
                    if (left <= TimeSpan.Zero)
                        break; // idle for the timeout: close (FIN)
                    micros = (int)Math.Min(int.MaxValue, Math.Ceiling(left.TotalMicroseconds));
                }
                if (!socket.Poll(micros, SelectMode.SelectRead))
                    continue;
                if (pending == buffer.Length)
                    break; // a request longer than any this server is sent
                int n = socket.Receive(buffer, pending, buffer.Length - pending, SocketFlags.None);
                if (n == 0)
                    break; // the client closed: close too
                http ??= buffer.AsSpan(0, pending + n).StartsWith("GET "u8);
                if (http == true)
                {
                    (pending, bool last) = Answer(socket, buffer, pending + n, ref served, spec.RequestsPerConnection);
                    if (last)
                        break; // keepalive_requests: the response said Connection: close
                }
                else
                {
                    for (int i = 0; i < n; i++)
                    {
                        if (buffer[i] == (byte)'\n')
                            socket.Send(Reply);
                    }
                }
                lastActive = _clock.Elapsed;
            }
        }
        catch (SocketException)
        {
            // reset by the peer: nothing to close cleanly
        }
        _open.TryRemove(socket, out _);
        socket.Close();
    }

    /// <summary>Answers each whole HTTP request in <paramref name="buffer"/> (200, keep-alive; the last allowed one,
    /// Connection: close); the bytes of one not yet whole are moved to the front, and their count returned, with whether
    /// the connection is to close.</summary>
    private static (int Pending, bool Last) Answer(Socket socket, byte[] buffer, int count, ref int served, int? limit)
    {
        int used = 0;
        while (buffer.AsSpan(used, count - used).IndexOf("\r\n\r\n"u8) is var end and >= 0)
        {
            served++;
            bool last = served >= limit;
            socket.Send(last ? HttpProtocol.LastResponse : HttpProtocol.Response);
            used += end + 4;
            if (last)
                return (0, true);
        }
        Array.Copy(buffer, used, buffer, 0, count - used);
        return (count - used, false);
    }
}
