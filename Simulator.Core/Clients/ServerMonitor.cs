using Zombiesim.Core.Connections;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Clients;

/// <summary>
/// The MongoDB Node driver's monitor of one server in polling mode (the mode it picks on a FaaS
/// platform): its own connection, opened with a hello, then a hello every heartbeat interval, each
/// awaited for the connect timeout (mongodb 7.5.0 src/sdam/monitor.ts:261-420, :356). Its timers are
/// user-space timers: they stop while the environment is frozen and are overdue at the thaw. A failed
/// check (the connection closed, reset, or no reply in time) destroys the monitor's connection,
/// marks the server unknown and clears the pool (src/sdam/server.ts:186, :532); commands then wait
/// for the next successful check, which a waiting command requests at once, no sooner than the
/// minimum heartbeat after the last check began.
/// </summary>
internal sealed class ServerMonitor
{
    private const long Heartbeat = 1, CheckTimeout = 2;

    private readonly MonitorSpec _spec;
    private readonly TimeSpan _checkTimeout;
    private readonly IProcess _process;
    private readonly Clock _clock;
    private readonly ConnectionRegistry _connections;
    private readonly IRunObserver _observer;
    private readonly Endpoint _server;
    private readonly string _address; // the server's name and port, as the driver's errors say it
    private readonly SocketOptions _options;
    private readonly Action<bool> _changed;
    private readonly Alarm _timer;
    private TcpConnection? _socket;
    private bool _connecting, _checking, _frozen, _started;
    private long _phase; // which of the two timers is armed
    private TimeSpan _deadline, _lastCheck = TimeSpan.MinValue;
    private int _received;

    /// <summary>A monitor whose <paramref name="changed"/> is told true when a check finds the server, false when one fails.</summary>
    public ServerMonitor(MonitorSpec spec, TimeSpan checkTimeout, IProcess process, Clock clock, ConnectionRegistry connections,
        IRunObserver observer, Endpoint server, string address, SocketOptions options, Action<bool> changed)
    {
        _address = address;
        _spec = spec;
        _checkTimeout = checkTimeout;
        _process = process;
        _clock = clock;
        _connections = connections;
        _observer = observer;
        _server = server;
        _options = options;
        _changed = changed;
        _timer = new Alarm(clock, OnTimer);
    }

    /// <summary>Whether the last check found the server (commands may select it).</summary>
    public bool Known { get; private set; }

    public bool Owns(TcpConnection socket) => ReferenceEquals(socket, _socket);

    public bool HoldsConnection => _socket is not null;

    /// <summary>The client connects: the first check begins.</summary>
    public void Start()
    {
        if (_started)
            return;
        _started = true;
        Check();
    }

    /// <summary>A command waits for the server: a check now, or at the minimum heartbeat after the last one began.</summary>
    public void RequestCheck()
    {
        if (!_started || _checking || _frozen)
            return;
        Arm(Heartbeat, Max(_clock.Now, _lastCheck + _spec.MinHeartbeat));
    }

    private void Check()
    {
        _checking = true;
        _lastCheck = _clock.Now;
        _received = 0;
        if (_socket is null)
        {
            // Connecting is an implicit hello: the reply to the handshake is the check's answer.
            _socket = _process.Connect(_server, _options);
            _connections.Info(_socket);
            _process.Own(_socket);
            _connecting = true;
        }
        else
        {
            var sent = _socket.Send(_clock.Now, Wire.RequestBytes);
            if (!sent.IsOk)
            {
                Failed($"write {sent.Errno}");
                return;
            }
        }
        Arm(CheckTimeout, _clock.Now + _checkTimeout);
    }

    /// <summary>An event of the monitor's own connection (the caller routes by <see cref="Owns"/>).</summary>
    public void OnSocketEvent(TcpConnection socket, TcpEvent e)
    {
        if (e.Kind == TcpEventKind.Connected && _connecting)
        {
            _connecting = false;
            var sent = socket.Send(_clock.Now, Wire.RequestBytes);
            if (!sent.IsOk)
                Failed($"write {sent.Errno}");
            return;
        }
        while (true)
        {
            var r = socket.Read(_clock.Now);
            if (r.Bytes > 0)
            {
                _received += r.Bytes;
                if (_connections.Info(socket).Rejected)
                {
                    Failed("refused by the server");
                    return;
                }
                if (_checking && _received >= Wire.ReplyBytes)
                    Succeeded();
                continue;
            }
            if (r.Eof)
                Failed("closed");
            else if (r.Errno != Errno.None)
                Failed(r.Errno == Errno.ETIMEDOUT ? "timed out" : "closed");
            return;
        }
    }

    private void Succeeded()
    {
        _checking = false;
        bool wasKnown = Known;
        Known = true;
        Arm(Heartbeat, _clock.Now + _spec.Heartbeat);
        if (!wasKnown)
            _changed(true);
    }

    /// <summary>The check failed: the monitor destroys its connection, the server is unknown and the pool is cleared.</summary>
    private void Failed(string how)
    {
        if (_socket is not { } socket)
            return;
        string label = _connections.Label(socket);
        _observer.OnNote(new NoteRecord(_clock.Now, _process.Name,
            $"heartbeat failed: connection <monitor> {label} to {_address} {how}; server unknown, pool cleared", NoteKind.Heartbeat,
            label));
        Drop();
        _checking = false;
        Known = false;
        Arm(Heartbeat, _clock.Now + _spec.Heartbeat);
        _changed(false);
    }

    private void Drop()
    {
        if (_socket is not { } socket)
            return;
        _socket = null;
        _connecting = false;
        _connections.Disown(socket);
        if (socket.State != TcpState.Closed && !socket.Orphaned)
            socket.Close(_clock.Now); // connection.destroy(): the descriptor is closed (a FIN, or a RST if a reply lay unread)
    }

    private void OnTimer(long phase)
    {
        if (_frozen || phase != _phase || _process.State == EnvironmentState.Destroyed)
            return;
        _phase = 0;
        if (phase == CheckTimeout)
            Failed("timed out");
        else if (!_checking)
            Check();
    }

    private void Arm(long phase, TimeSpan at)
    {
        _phase = phase;
        _deadline = at;
        _timer.Cancel();
        if (!_frozen)
            _timer.Set(at, phase);
    }

    public void Freeze()
    {
        _frozen = true;
        _timer.Cancel();
    }

    /// <summary>The process runs again: an overdue timer fires now, the others at their deadlines.</summary>
    public void Thawed()
    {
        if (!_frozen)
            return;
        _frozen = false;
        if (_phase != 0)
            _timer.Set(Max(_deadline, _clock.Now), _phase);
    }

    /// <summary>The process died or closes the client: the monitor stops; a new process starts it again.</summary>
    public void Stop()
    {
        _timer.Cancel();
        _phase = 0;
        Drop();
        _started = _checking = false;
        Known = false;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
