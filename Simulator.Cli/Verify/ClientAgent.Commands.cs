using System.Net;
using System.Net.Sockets;

namespace Zombiesim.Cli.Verify;

/// <summary>A connection of the agent's pool: its socket, the bytes received and not yet read as a reply, when it was
/// last released and when its idle timer is due.</summary>
internal sealed class AgentConnection(Socket socket)
{
    public Socket Socket { get; } = socket;
    public byte[] Received { get; set; } = new byte[4096];
    public int Count { get; set; }
    public TimeSpan LastUsed { get; set; }
    public TimeSpan IdleDeadline { get; set; } = TimeSpan.MaxValue;
    /// <summary>An idle ping is on its way (<see cref="ClientAgent"/>'s pings), its reply due by <see cref="PingDeadline"/>.</summary>
    public bool PingPending { get; set; }
    public TimeSpan PingDeadline { get; set; }
    private int _port;

    /// <summary>Its local port (the connection's name on the real side), remembered once known: 0 before the connect.</summary>
    public int Port
    {
        get
        {
            try
            {
                return _port = _port != 0 ? _port : ((IPEndPoint?)Socket.LocalEndPoint)?.Port ?? 0;
            }
            catch (ObjectDisposedException)
            {
                return _port;
            }
        }
    }
}

/// <summary>
/// An invocation's commands (`parallel` of them, written at once): each takes the most recently released free
/// connection (one idle past `maxIdle` or, with validation, dead, is closed first), or opens one while the pool holds
/// fewer than its `max` (the set-up time, the TCP connect and the protocol's opening, within the connect timeout), or
/// waits first-come for a released one, for at most the acquire timeout. A reply gives the connection back (to the
/// first waiter, else to the free list with its idle timer armed); a failure closes it and lets the first waiter open
/// one. The invocation ends with its first failure (the other commands still run to their end), or when all succeed,
/// on the connection of its last command.
/// </summary>
internal sealed partial class ClientAgent
{
    private sealed class Call
    {
        public AgentConnection? Conn;
        public TimeSpan Deadline = TimeSpan.MaxValue; // the acquire timeout while waiting, the command timeout once sent
        public int Retries;
        public bool Kept; // its connection holds bytes written while it was idle: read them before waiting for more
        public int Skip; // replies to read before its own: an idle ping's, on its way when the command took the connection
    }

    private (string Outcome, string? Origin, int Port, TimeSpan End) Invoke()
    {
        if (spec.Work > TimeSpan.Zero)
            Thread.Sleep(spec.Work);
        var calls = Enumerable.Range(0, spec.Parallel).Select(_ => new Call()).ToList();
        var waiting = new Queue<Call>();
        (string Outcome, string? Origin, int Port, TimeSpan End)? first = null;
        int port = 0;
        void Fail(Call call, (string Outcome, string Origin) failure, int at)
        {
            if (call.Retries < spec.Retries && spec.RetryOn.Contains(failure.Outcome))
            {
                call.Retries++;
                Start(call);
                return;
            }
            first ??= (failure.Outcome, failure.Origin, at, _clock.Elapsed);
            calls.Remove(call);
        }
        void Start(Call call)
        {
            var conn = TakeFree();
            if (conn is null && _size >= _max)
            {
                call.Deadline = Deadline(_clock.Elapsed, spec.AcquireTimeout);
                waiting.Enqueue(call);
                return;
            }
            (string, string)? failure = null;
            if (conn is null)
                (conn, failure) = Open();
            if (failure is { } f)
                Fail(call, f, conn?.Port ?? 0);
            else
                Send(call, conn!, Fail);
        }
        void Release(Call call, bool failed)
        {
            var conn = call.Conn!;
            call.Conn = null;
            if (failed || !spec.Cache)
            {
                if (failed)
                    Drop(conn);
                else
                    Quit(conn); // the client closes first (QUIT) and holds the TIME_WAIT
                if (waiting.Count > 0)
                    Start(waiting.Dequeue());
                return;
            }
            conn.LastUsed = _clock.Elapsed;
            if (waiting.Count > 0)
            {
                Send(waiting.Dequeue(), conn, Fail);
                return;
            }
            conn.IdleDeadline = spec.PoolIdleTimeout is { } idle ? _clock.Elapsed + idle : TimeSpan.MaxValue;
            _free.Add(conn);
        }
        foreach (var call in calls.ToArray())
        {
            Start(call);
            if (_timersAfterFirstCommand)
            {
                _timersAfterFirstCommand = false;
                CloseIdleExpired(); // the overdue idle timers, after the first command took its connection
            }
        }
        while (calls.Count > 0)
        {
            var now = _clock.Elapsed;
            foreach (var w in waiting.Where(w => w.Deadline <= now).ToArray())
            {
                var rest = waiting.Where(x => x != w).ToArray();
                waiting.Clear();
                foreach (var x in rest)
                    waiting.Enqueue(x);
                Fail(w, ("ETIMEDOUT", "library-timeout"), 0); // the acquire timeout: no connection
            }
            var sent = calls.Where(c => c.Conn is not null).ToArray();
            foreach (var call in sent.Where(c => c.Deadline <= now))
            {
                int at = call.Conn!.Port;
                Release(call, failed: true);
                Fail(call, ("ETIMEDOUT", "library-timeout"), at); // the command timeout
            }
            sent = calls.Where(c => c.Conn is not null).ToArray();
            if (sent.Length == 0)
                continue;
            var due = calls.Min(c => c.Deadline);
            bool kept = sent.Any(c => c.Kept);
            int wait = kept ? 0 : due == TimeSpan.MaxValue ? -1
                : (int)Math.Clamp(Math.Ceiling((due - _clock.Elapsed).TotalMilliseconds), 0, int.MaxValue);
            var fds = sent.Select(c => new Libc.PollFd { Fd = (int)c.Conn!.Socket.Handle, Events = Libc.PollIn }).ToArray();
            if (Libc.Poll(fds, (nuint)fds.Length, wait) <= 0 && !kept)
                continue;
            for (int i = 0; i < sent.Length; i++)
            {
                var call = sent[i];
                if (fds[i].Revents == 0 && !call.Kept)
                    continue;
                call.Kept = false;
                int at = call.Conn!.Port;
                var reading = ReadReply(call.Conn!, fds[i].Revents != 0, out var failure);
                if (reading == Reading.Done && failure is null && call.Skip > 0)
                {
                    call.Skip--; // the ping's reply
                    call.Kept = call.Conn!.Count > 0;
                    continue;
                }
                if (reading == Reading.More && failure is null)
                    continue;
                Release(call, failed: failure is not null || reading == Reading.Error);
                if (failure is { } f)
                    Fail(call, f, at);
                else if (reading == Reading.Error)
                    Fail(call, ("SERVER_ERROR", "server"), at);
                else
                {
                    calls.Remove(call);
                    port = at;
                }
            }
        }
        return first ?? ("ok", null, port, _clock.Elapsed);
    }

    /// <summary>The most recently released free connection the library would hand out; an unusable one is closed.</summary>
    private AgentConnection? TakeFree()
    {
        while (_free.Count > 0)
        {
            var c = _free[^1];
            _free.RemoveAt(_free.Count - 1);
            if ((spec.MaxIdle is { } maxIdle && _clock.Elapsed - c.LastUsed > maxIdle) || (spec.Validate && !Alive(c.Socket)))
            {
                Drop(c);
                continue;
            }
            return c;
        }
        return null;
    }

    private void Send(Call call, AgentConnection conn, Action<Call, (string, string), int> fail)
    {
        call.Conn = conn;
        call.Kept = conn.Count > 0;
        call.Skip = conn.PingPending ? 1 : 0;
        conn.PingPending = false;
        call.Deadline = Deadline(_clock.Elapsed, spec.CommandTimeout);
        try
        {
            conn.Socket.Send(_protocol.Command);
        }
        catch (SocketException e)
        {
            call.Conn = null;
            int at = conn.Port;
            Drop(conn);
            fail(call, Failure(e), at);
        }
    }

    private TimeSpan Deadline(TimeSpan from, TimeSpan? timeout) => timeout is { } t ? from + t : TimeSpan.MaxValue;

    /// <summary>What has come on a connection: a whole reply, an error message, not yet, or a failure (EOF, an errno).
    /// Bytes kept from before are read first; the socket only when <paramref name="readable"/>.</summary>
    private Reading ReadReply(AgentConnection c, bool readable, out (string Outcome, string Origin)? failure)
    {
        failure = null;
        if (c.Count > 0 && Parse(c) is var kept and not Reading.More)
            return kept; // written while it was idle (an error before an idle close): read first, as a buffered reader does
        if (!readable)
            return Reading.More;
        try
        {
            if (c.Count == c.Received.Length)
                c.Received = c.Received.Concat(new byte[c.Count]).ToArray();
            int n = c.Socket.Receive(c.Received, c.Count, c.Received.Length - c.Count, SocketFlags.None);
            if (n == 0)
            {
                failure = ("EOF", "fin");
                return Reading.More;
            }
            c.Count += n;
            return Parse(c);
        }
        catch (SocketException e)
        {
            failure = Failure(e);
            return Reading.More;
        }
    }

    /// <summary>Takes a whole reply (or error message) off the connection's received bytes, if there is one.</summary>
    private Reading Parse(AgentConnection c)
    {
        var reading = _protocol.Read(c.Received.AsSpan(0, c.Count), out int used);
        if (reading == Reading.More)
            return reading;
        if (reading == Reading.Error)
            Console.Error.WriteLine($"agent: the server wrote error {_protocol.ErrorCode(c.Received.AsSpan(0, used)) ?? "?"}");
        c.Count -= used;
        Array.Copy(c.Received, used, c.Received, 0, c.Count);
        return reading;
    }
}
