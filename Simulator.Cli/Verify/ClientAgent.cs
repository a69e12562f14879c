using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// The function's side, run by `zombiesim agent client` inside an environment's namespace: a client library with a
/// pool of connections (one connection is a pool of one), cached across invocations or opened per invocation, with the
/// scenario's timeouts, retries and socket options, on real sockets (the commands: <c>ClientAgent.Commands.cs</c>; the
/// connections: <c>ClientAgent.Connections.cs</c>). One thread: between invocations it waits on its standard input, its
/// free connections and its pool's first idle timer at once; an idle timer due is run first (one that fell due while
/// the process was stopped runs at SIGCONT, before the invocation that thawed it), then an invocation read from stdin,
/// before the sockets' news, as the model delivers events held while frozen after the handler has started. While idle
/// it drops a free connection the server closed or reset, as the model's library does. It speaks the server's protocol
/// (<see cref="ClientProtocol"/>): an opening exchange on each new connection, then commands; bytes the server writes
/// to an idle connection (an error before an idle close) are kept and read first by the next command, as a library's
/// buffered reader does. Each connection it opens prints `open LOCALPORT T` (T the monotonic clock's timestamp just
/// before its connect()), and each invocation `result N OUTCOME ORIGIN LOCALPORT MICROSECONDS`; an error message from
/// the server is logged on stderr with its code. With the scenario's shutdown hook, SIGTERM (through a pipe its handler
/// writes to, watched by the same poll) closes the free connections as the model's hook does (a plain close: FIN, no
/// goodbye), prints `hook closed N T` (N connections closed, T the monotonic clock's timestamp just after) and the
/// agent lives on until SIGKILL, as a runtime does within the platform's grace.
/// </summary>
internal sealed partial class ClientAgent(AgentSpec spec, TextWriter output)
{
    private readonly ClientProtocol _protocol = ClientProtocol.For(spec.Protocol);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<AgentConnection> _free = []; // idle connections, the most recently released last
    private int _size; // connections open or in use
    private int _max = spec.PoolMax;
    private bool _timersAfterFirstCommand; // overdueTimers after: the idle timers run once a command took a connection
    private EndPoint? _target;
    private bool _replaying; // past the warm-up: the connections are the run's

    public int Run()
    {
        WarmUp();
        _target = spec.Server;
        _replaying = true;
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
            fds.AddRange(_free.Select(c => new Libc.PollFd { Fd = (int)c.Socket.Handle, Events = Libc.PollIn }));
            var array = fds.ToArray();
            var free = _free.ToArray();
            int wait = IdleWait() is var idle && PingWait() is var ping && (idle < 0 || ping < 0) ? Math.Max(idle, ping)
                : Math.Min(idle, ping);
            int polled = Libc.Poll(array, (nuint)array.Length, wait);
            // The pool's idle timers are this process's own: SIGSTOP stops them, and one overdue at SIGCONT runs now,
            // before the invocation waiting on stdin (the model's overdueTimers: before), or once its first command has
            // taken a connection (after: an event loop that serves the I/O before its timers).
            bool invocation = polled > 0 && array[0].Revents != 0;
            if (spec.OverdueBefore || !invocation)
            {
                CloseIdleExpired();
                RunPingTimers(pingTimer: !invocation); // an invocation (or a freeze's pause) on stdin stops the ping timer
            }
            if (polled <= 0)
                continue; // a timer, or EINTR: SIGSTOP and SIGCONT interrupt poll
            if (invocation)
            {
                _timersAfterFirstCommand = !spec.OverdueBefore;
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
                int closed = _free.Count;
                foreach (var c in _free.ToArray())
                    Drop(c); // the hook closes the connections cleanly: FIN
                output.WriteLine(FormattableString.Invariant($"hook closed {closed} {Stopwatch.GetTimestamp()}"));
                output.Flush();
                continue;
            }
            for (int i = 2; i < array.Length; i++)
            {
                if (array[i].Revents == 0 || !_free.Contains(free[i - 2]))
                    continue;
                if (!ReceiveIdle(free[i - 2]))
                    Drop(free[i - 2]); // idle: the library learns that the server closed it and drops it
                else
                    ReadPingReply(free[i - 2]);
            }
        }
    }

    /// <summary>Milliseconds until the first idle timer of a free connection, for poll; -1: none.</summary>
    private int IdleWait()
    {
        if (spec.PoolIdleTimeout is null || _free.Count == 0)
            return -1;
        var left = _free.Min(c => c.IdleDeadline) - _clock.Elapsed;
        return left <= TimeSpan.Zero ? 0 : (int)Math.Min(int.MaxValue, Math.Ceiling(left.TotalMilliseconds));
    }

    /// <summary>The pool's idle timers that are due: each closes its free connection (FIN).</summary>
    private void CloseIdleExpired()
    {
        if (spec.PoolIdleTimeout is null)
            return;
        foreach (var c in _free.Where(c => c.IdleDeadline <= _clock.Elapsed).ToArray())
            Drop(c);
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
        if (words is ["pause"])
        {
            PausePings(); // a freeze
            return;
        }
        if (words is not ["invoke", var n])
            throw new VerifyException($"agent: unexpected line '{line}'");
        var start = _clock.Elapsed;
        PausePings();
        var (outcome, origin, port, end) = Invoke();
        ArmPing();
        long micros = (long)(end - start).TotalMicroseconds;
        output.WriteLine($"result {n} {outcome} {origin ?? "-"} {port} {micros.ToString(CultureInfo.InvariantCulture)}");
        output.Flush();
    }

    /// <summary>Runs invocations against a loopback server before the run, so that the first real one does not pay for
    /// compiling this code (tens of milliseconds, more than the tolerance).</summary>
    private void WarmUp()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        _target = listener.LocalEndPoint;
        // Each command on a connection of its own: the loopback server answers one command per connection.
        _max = Math.Max(spec.PoolMax, spec.Parallel);
        int connections = 3 * spec.Parallel;
        var server = new Thread(() =>
        {
            var served = new List<Thread>();
            for (int i = 0; i < connections; i++)
            {
                var s = listener.Accept();
                var t = new Thread(() =>
                {
                    using (s)
                    {
                        _protocol.Serve(s);
                        var buffer = new byte[64];
                        while (s.Receive(buffer) > 0)
                        {
                            // until the client closes
                        }
                    }
                })
                { IsBackground = true };
                t.Start();
                served.Add(t);
            }
            served.ForEach(t => t.Join());
        })
        { IsBackground = true };
        server.Start();
        for (int i = 0; i < 3; i++)
        {
            Invoke();
            foreach (var c in _free.ToArray())
            {
                Alive(c.Socket);
                Drop(c);
            }
        }
        server.Join();
        _max = spec.PoolMax;
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
