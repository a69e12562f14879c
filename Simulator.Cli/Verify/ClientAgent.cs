using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// The function's side, run by `zombiesim agent client` inside an environment's namespace: a client library with one
/// connection, cached across invocations or opened per invocation, with the scenario's timeouts, retries and socket
/// options, on real sockets. One thread: it waits on its standard input and its cached socket at once, and an
/// invocation read from stdin is handled before the socket's news, as the model delivers events held while frozen
/// after the handler has started. While idle it drops a cached connection the server closed or reset, as the model's
/// library does. It speaks the server's protocol (<see cref="ClientProtocol"/>): an opening exchange on each new
/// connection, one command per invocation; bytes the server writes to an idle connection (an error before an idle
/// close) are kept and read first by the next command, as a library's buffered reader does. Each invocation prints
/// `result N OUTCOME ORIGIN LOCALPORT MICROSECONDS`; an error message from the server is logged on stderr with its code.
/// With the scenario's shutdown hook, SIGTERM (through a pipe its handler writes to, watched by the same poll) closes
/// the cached connection as the model's hook does (a plain close: FIN, no goodbye), prints `hook closed N T` (N
/// connections closed, T the monotonic clock's timestamp just after) and the agent lives on until SIGKILL, as a
/// runtime does within the platform's grace.
/// </summary>
internal sealed class ClientAgent(AgentSpec spec, TextWriter output)
{
    private readonly ClientProtocol _protocol = ClientProtocol.For(spec.Protocol);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private byte[] _received = new byte[4096];
    private int _count; // bytes received on the current connection and not yet read as a reply
    private Socket? _cached;
    private TimeSpan _lastUsed;
    private EndPoint? _target;

    public int Run()
    {
        WarmUp();
        _target = spec.Server;
        int[] terminated = [-1, -1];
        using var hook = spec.ShutdownHook ? OnSigTerm(terminated) : null;
        output.WriteLine("ready");
        output.Flush();
        var input = new LineReader(0);
        while (true)
        {
            var fds = new List<Libc.PollFd>
            {
                new() { Fd = 0, Events = Libc.PollIn }, new() { Fd = terminated[0], Events = Libc.PollIn }, // -1: ignored
            };
            if (_cached is not null)
                fds.Add(new Libc.PollFd { Fd = (int)_cached.Handle, Events = Libc.PollIn });
            var array = fds.ToArray();
            if (Libc.Poll(array, (nuint)array.Length, -1) < 0)
                continue; // EINTR: SIGSTOP and SIGCONT interrupt poll
            if (array[0].Revents != 0)
            {
                var lines = input.ReadAvailable(out bool end);
                foreach (var line in lines)
                    Handle(line);
                if (end)
                    return 0;
                continue;
            }
            if (array[1].Revents != 0)
            {
                Libc.Read(terminated[0], new byte[16], 16);
                int closed = _cached is null ? 0 : 1;
                Discard(); // the hook closes the connection cleanly: FIN
                output.WriteLine(FormattableString.Invariant($"hook closed {closed} {Stopwatch.GetTimestamp()}"));
                output.Flush();
                continue;
            }
            if (array.Length > 2 && array[2].Revents != 0 && _cached is { } idle && !ReceiveIdle(idle))
                Discard(); // idle: the library learns that the server closed it and drops it
        }
    }

    /// <summary>Handles SIGTERM instead of exiting: the handler (on the runtime's signal thread) writes a byte to a pipe
    /// whose read end the agent's poll watches.</summary>
    private static PosixSignalRegistration OnSigTerm(int[] pipe)
    {
        if (Libc.Pipe(pipe) != 0)
            throw new VerifyException("agent: pipe() failed");
        return PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            Libc.Write(pipe[1], [1], 1);
        });
    }

    private void Handle(string line)
    {
        var words = line.Split(' ');
        if (words is not ["invoke", var n])
            throw new VerifyException($"agent: unexpected line '{line}'");
        var start = _clock.Elapsed;
        var (outcome, origin, port) = Invoke();
        long micros = (long)(_clock.Elapsed - start).TotalMicroseconds;
        output.WriteLine($"result {n} {outcome} {origin ?? "-"} {port} {micros.ToString(CultureInfo.InvariantCulture)}");
        output.Flush();
    }

    private (string Outcome, string? Origin, int Port) Invoke()
    {
        if (spec.Work > TimeSpan.Zero)
            Thread.Sleep(spec.Work);
        int retries = 0;
        while (true)
        {
            if (_cached is { } c && ((spec.MaxIdle is { } maxIdle && _clock.Elapsed - _lastUsed > maxIdle) || (spec.Validate && !Alive(c))))
                Discard();
            var (socket, failure) = _cached is { } cached ? (cached, null) : Connect();
            int port = socket is null ? 0 : ((IPEndPoint?)socket.LocalEndPoint)?.Port ?? 0;
            failure ??= Exchange(socket!, _protocol.Command, Deadline(_clock.Elapsed, spec.CommandTimeout), "SERVER_ERROR");
            if (failure is null)
            {
                if (spec.Cache)
                {
                    _cached = socket;
                    _lastUsed = _clock.Elapsed;
                }
                else
                    Quit(socket!); // the client closes first (QUIT) and holds the TIME_WAIT
                return ("ok", null, port);
            }
            if (socket is not null)
            {
                if (_cached == socket)
                    _cached = null;
                socket.Close();
            }
            if (retries < spec.Retries && spec.RetryOn.Contains(failure.Value.Outcome))
            {
                retries++;
                continue;
            }
            return (failure.Value.Outcome, failure.Value.Origin, port);
        }
    }

    private TimeSpan Deadline(TimeSpan from, TimeSpan? timeout) => timeout is { } t ? from + t : TimeSpan.MaxValue;

    private void Quit(Socket socket)
    {
        try
        {
            if (_protocol.Goodbye.Length > 0)
                socket.Send(_protocol.Goodbye);
        }
        catch (SocketException)
        {
            // the server is gone already: nothing to say goodbye to
        }
        socket.Close();
    }

    /// <summary>A new connection: the TCP connect, then the protocol's opening exchange, both within the connect
    /// timeout; an error message from the server in the opening (its connection limit) is a refusal.</summary>
    private (Socket? Socket, (string Outcome, string Origin)? Failure) Connect()
    {
        var started = _clock.Elapsed;
        _count = 0;
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (spec.KeepAlive is { } keepAlive)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            if (keepAlive > TimeSpan.Zero)
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, (int)Math.Ceiling(keepAlive.TotalSeconds));
        }
        if (spec.UserTimeout is { } user)
            socket.SetRawSocketOption(6, 18, BitConverter.GetBytes((int)user.TotalMilliseconds)); // IPPROTO_TCP, TCP_USER_TIMEOUT
        try
        {
            using var limit = new CancellationTokenSource();
            if (spec.ConnectTimeout is { } t)
                limit.CancelAfter(t);
            socket.ConnectAsync(_target!, limit.Token).AsTask().GetAwaiter().GetResult();
            foreach (var step in _protocol.Opening)
            {
                if (Exchange(socket, step, Deadline(started, spec.ConnectTimeout), "REJECTED") is { } failure)
                    return (socket, failure);
            }
            return (socket, null);
        }
        catch (OperationCanceledException)
        {
            return (socket, ("ETIMEDOUT", "library-timeout"));
        }
        catch (SocketException e)
        {
            return (socket, Failure(e));
        }
    }

    /// <summary>Writes <paramref name="request"/> and reads until the protocol has a whole reply, before
    /// <paramref name="deadline"/>; an error message from the server fails it with <paramref name="serverError"/>.</summary>
    private (string Outcome, string Origin)? Exchange(Socket socket, byte[] request, TimeSpan deadline, string serverError)
    {
        try
        {
            if (request.Length > 0)
                socket.Send(request);
            while (true)
            {
                var reading = _protocol.Read(_received.AsSpan(0, _count), out int used);
                if (reading != Reading.More)
                {
                    if (reading == Reading.Error)
                        Console.Error.WriteLine($"agent: the server wrote error {_protocol.ErrorCode(_received.AsSpan(0, used)) ?? "?"}");
                    _count -= used;
                    Array.Copy(_received, used, _received, 0, _count);
                    return reading == Reading.Done ? null : (serverError, "server");
                }
                var left = deadline - _clock.Elapsed;
                if (left <= TimeSpan.Zero)
                    return ("ETIMEDOUT", "library-timeout");
                int micros = deadline == TimeSpan.MaxValue ? -1 : (int)Math.Min(int.MaxValue, Math.Ceiling(left.TotalMicroseconds));
                if (!socket.Poll(micros, SelectMode.SelectRead))
                    continue;
                if (_count == _received.Length)
                    Array.Resize(ref _received, 2 * _count);
                int n = socket.Receive(_received, _count, _received.Length - _count, SocketFlags.None);
                if (n == 0)
                    return ("EOF", "fin");
                _count += n;
            }
        }
        catch (SocketException e)
        {
            return Failure(e);
        }
    }

    /// <summary>Reads what the server wrote to an idle connection and keeps it for the next command; false at its end
    /// or on an error (the connection is dead).</summary>
    private bool ReceiveIdle(Socket socket)
    {
        try
        {
            if (_count == _received.Length)
                Array.Resize(ref _received, 2 * _count);
            int n = socket.Receive(_received, _count, _received.Length - _count, SocketFlags.None);
            _count += n;
            return n > 0;
        }
        catch (SocketException)
        {
            return false;
        }
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

    /// <summary>Runs invocations against a loopback server before the run, so that the first real one does not pay for
    /// compiling this code (tens of milliseconds, more than the tolerance).</summary>
    private void WarmUp()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4);
        _target = listener.LocalEndPoint;
        var server = new Thread(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                using var s = listener.Accept();
                _protocol.Serve(s);
                var buffer = new byte[64];
                while (s.Receive(buffer) > 0)
                {
                    // until the client closes
                }
            }
        })
        { IsBackground = true };
        server.Start();
        for (int i = 0; i < 3; i++)
        {
            Invoke();
            if (_cached is { } c)
                Alive(c);
            Discard();
        }
        server.Join();
    }

    private void Discard()
    {
        _cached?.Close();
        _cached = null;
        _count = 0;
    }
}

/// <summary>Lines from a file descriptor read with read(2), so that poll(2) on it tells the truth (no hidden buffer).</summary>
internal sealed class LineReader(int fd)
{
    private readonly StringBuilder _pending = new();
    private readonly byte[] _buffer = new byte[4096];

    public List<string> ReadAvailable(out bool end)
    {
        nint n = Libc.Read(fd, _buffer, (nuint)_buffer.Length);
        end = n == 0;
        var lines = new List<string>();
        if (n <= 0)
            return lines;
        _pending.Append(Encoding.ASCII.GetString(_buffer, 0, (int)n));
        string all = _pending.ToString();
        int last = all.LastIndexOf('\n');
        if (last < 0)
            return lines;
        lines.AddRange(all[..last].Split('\n', StringSplitOptions.RemoveEmptyEntries));
        _pending.Clear().Append(all[(last + 1)..]);
        return lines;
    }
}
