using System.Diagnostics;
using System.Net.Sockets;

namespace Zombiesim.Cli.Verify;

/// <summary>The agent's connections: opening one (set-up time, the TCP connect with the function's socket options, the
/// protocol's opening exchange, all within the connect timeout), reading what an idle one receives, closing one, and the
/// errno a socket call returned.</summary>
internal sealed partial class ClientAgent
{
    /// <summary>A new connection; an error message from the server in the opening (its connection limit) is a refusal.
    /// It counts toward the pool's size from the start; a failed one is closed and no longer counts.</summary>
    private (AgentConnection? Conn, (string Outcome, string Origin)? Failure) Open()
    {
        var started = _clock.Elapsed;
        _size++;
        if (spec.SetupCost > TimeSpan.Zero)
            Thread.Sleep(spec.SetupCost); // the library's CPU time before the SYN leaves, as the model spends it
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var conn = new AgentConnection(socket);
        if (spec.KeepAlive is { } keepAlive)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            if (keepAlive > TimeSpan.Zero)
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, (int)Math.Ceiling(keepAlive.TotalSeconds));
        }
        if (spec.UserTimeout is { } user)
            socket.SetRawSocketOption(6, 18, BitConverter.GetBytes((int)user.TotalMilliseconds)); // IPPROTO_TCP, TCP_USER_TIMEOUT
        (string Outcome, string Origin)? failure = null;
        try
        {
            using var limit = new CancellationTokenSource();
            if (spec.ConnectTimeout is { } t)
                limit.CancelAfter(t);
            // Bound first, so that its port is known and kept: a connect refused at once still names its connection
            // (an autobound port is released with the refusal).
            socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Any, 0));
            if (_replaying)
                output.WriteLine(FormattableString.Invariant($"open {conn.Port} {Stopwatch.GetTimestamp()}")); // with the result
            else
                _ = conn.Port;
            socket.ConnectAsync(_target!, limit.Token).AsTask().GetAwaiter().GetResult();
            foreach (var step in _protocol.Opening)
            {
                failure = Exchange(conn, step, Deadline(started, spec.ConnectTimeout), "REJECTED");
                if (failure is not null)
                    break;
            }
        }
        catch (OperationCanceledException)
        {
            failure = ("ETIMEDOUT", "library-timeout");
        }
        catch (SocketException e)
        {
            failure = Failure(e);
        }
        if (failure is not null)
        {
            _ = conn.Port; // remembered before the close: the request names its connection by it
            Drop(conn);
        }
        return (conn, failure);
    }

    /// <summary>Writes <paramref name="request"/> and reads until the protocol has a whole reply, before
    /// <paramref name="deadline"/>; an error message from the server fails it with <paramref name="serverError"/>.</summary>
    private (string Outcome, string Origin)? Exchange(AgentConnection c, byte[] request, TimeSpan deadline, string serverError)
    {
        if (request.Length > 0)
            c.Socket.Send(request);
        while (true)
        {
            var left = deadline - _clock.Elapsed;
            if (left <= TimeSpan.Zero)
                return ("ETIMEDOUT", "library-timeout");
            int micros = deadline == TimeSpan.MaxValue ? -1 : (int)Math.Min(int.MaxValue, Math.Ceiling(left.TotalMicroseconds));
            if (!c.Socket.Poll(micros, SelectMode.SelectRead))
                continue;
            var reading = ReadReply(c, readable: true, out var failure);
            if (failure is not null)
                return failure;
            if (reading != Reading.More)
                return reading == Reading.Done ? null : (serverError, "server");
        }
    }

    /// <summary>Reads what the server wrote to an idle connection and keeps it for the next command; false at its end
    /// or on an error (the connection is dead).</summary>
    private static bool ReceiveIdle(AgentConnection c)
    {
        try
        {
            if (c.Count == c.Received.Length)
                c.Received = c.Received.Concat(new byte[c.Count]).ToArray();
            int n = c.Socket.Receive(c.Received, c.Count, c.Received.Length - c.Count, SocketFlags.None);
            c.Count += n;
            return n > 0;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Closes a connection (FIN) and takes it out of the pool.</summary>
    private void Drop(AgentConnection c)
    {
        _free.Remove(c);
        c.Socket.Close();
        _size--;
    }

    /// <summary>The client's goodbye (QUIT, Terminate), then the close.</summary>
    private void Quit(AgentConnection c)
    {
        try
        {
            if (_protocol.Goodbye.Length > 0)
                c.Socket.Send(_protocol.Goodbye);
        }
        catch (SocketException)
        {
            // the server is gone already: nothing to say goodbye to
        }
        Drop(c);
    }

    /// <summary>The errno a socket call returned, and where it came from: a RST, or a kernel timer.</summary>
    private static (string Outcome, string Origin) Failure(SocketException e) => e.SocketErrorCode switch
    {
        SocketError.ConnectionReset => ("ECONNRESET", "rst"),
        SocketError.Shutdown => ("EPIPE", "rst"),
        SocketError.TimedOut => ("ETIMEDOUT", "kernel-timeout"),
        SocketError.ConnectionRefused => ("ECONNREFUSED", "rst"),
        _ when e.NativeErrorCode == 32 => ("EPIPE", "rst"),
        _ => throw new VerifyException($"agent: unexpected socket error {e.SocketErrorCode} ({e.NativeErrorCode}): {e.Message}"),
    };

    /// <summary>A local check: nothing to read, or data; not an end of stream or a pending error.</summary>
    private static bool Alive(Socket socket)
    {
        try
        {
            if (!socket.Poll(0, SelectMode.SelectRead))
                return true;
            return socket.Receive(new byte[1], SocketFlags.Peek) > 0;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
