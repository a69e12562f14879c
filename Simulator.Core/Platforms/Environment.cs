using Zombiesim.Core.Connections;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Platforms;

/// <summary>
/// An execution environment: a Linux host that is cold-started, runs invocations, is frozen after
/// them, thawed by the next, and destroyed when idle too long (without a packet, unless a shutdown
/// hook closes its connections). Its client library caches a connection (strategy reuse) or opens
/// one per invocation, with the library's timeouts, retries, validation, max idle and pings.
/// </summary>
internal sealed class Environment : IEventHandler
{
    // Timed events of an environment, handled by the environment itself (no closure per event).
    // The argument carries the kind in its low byte and, for an invocation's events, the
    // invocation's number above it, so that a late event of a finished invocation does nothing.
    private const int ReadyEvent = 1, DeadlineEvent = 2, WorkEvent = 3, ConnectEvent = 4, ConnectTimeoutEvent = 5,
        CommandTimeoutEvent = 6, FreezeEvent = 7, ReapEvent = 8, PingEvent = 9;
    private long _invocationNumber;
    private TimeSpan _reapAfter;
    private readonly Platform _platform;
    private readonly Clock _clock;
    private readonly ConnectionRegistry _connections;
    private readonly IRunObserver _observer;
    private readonly FunctionRuntime _fn;
    private readonly ClientSpec _client;
    private readonly SocketOptions _socketOptions;
    private readonly List<(TcpConnection Socket, TcpEvent Event)> _queued = new();
    private TimerHandle _freezeTimer, _reapTimer, _pingTimer;
    private TimeSpan _lifetimeEnd = TimeSpan.MaxValue;

    // The client library's state.
    private TcpConnection? _cached;
    private TimeSpan _cachedLastUsed;
    private Invocation? _current;
    private TcpConnection? _commandSocket;
    private bool _connecting, _pinging;
    private int _received;
    private TimerHandle _commandTimer;

    public Environment(Platform platform, FunctionRuntime fn, int number)
    {
        _platform = platform;
        _clock = platform.Clock;
        _connections = platform.Connections;
        _observer = platform.Observer;
        _fn = fn;
        _client = fn.Spec.Client;
        _socketOptions = new SocketOptions { KeepAlive = _client.KeepAlive is not null, KeepIdle = _client.KeepAlive, UserTimeout = _client.UserTimeout };
        Name = $"{fn.Spec.Name}#{number}";
        Host = platform.AddHost(this, fn.Spec.Host);
    }

    public string Name { get; }
    public TcpHost Host { get; }
    public EnvironmentState State { get; private set; } = EnvironmentState.Initializing;
    public bool Abandoned { get; set; }

    // ---------------------------------------------------------------- lifecycle

    public void ColdStart(Invocation inv, IChoices coldStart, IChoices lifetime)
    {
        State = EnvironmentState.Initializing;
        _observer.OnLifecycle(new LifecycleRecord(_clock.Now, Name, LifecycleEvent.ColdStart));
        if (_platform.Spec.MaxLifetime is { } max)
            _lifetimeEnd = _clock.Now + max.SampleDuration(lifetime);
        TimeSpan ready = _clock.Now + _platform.Spec.ColdStart.SampleDuration(coldStart);
        Begin(inv);
        At(ready, ReadyEvent);
    }

    private void Begin(Invocation inv)
    {
        _current = inv;
        _invocationNumber++;
        inv.Deadline = At(inv.Arrived + _fn.Spec.Timeout, DeadlineEvent);
    }

    private TimerHandle At(TimeSpan at, int kind) => _clock.At(at, this, (_invocationNumber << 8) + kind);

    private void CancelTimer(ref TimerHandle handle) => _clock.Cancel(ref handle);

    public void OnEvent(long arg)
    {
        int kind = (int)(arg & 0xFF);
        var inv = _current;
        bool live = inv is not null && !inv.Finished && arg >> 8 == _invocationNumber;
        switch (kind)
        {
            case ReadyEvent when live:
                State = EnvironmentState.Busy;
                Handle(inv!);
                break;
            case DeadlineEvent when live:
                inv!.Deadline = default;
                TimedOut(inv);
                break;
            case WorkEvent when live:
                Acquire(inv!);
                break;
            case ConnectEvent when live && State != EnvironmentState.Destroyed:
                OpenConnection();
                break;
            case ConnectTimeoutEvent:
                _commandTimer = default;
                if (live && _connecting && _commandSocket is { } connecting)
                    Fail(inv, new Result(Outcome.ETIMEDOUT, Origin.LibraryTimeout, _connections.Label(connecting),
                        new Cause(CauseKind.ConnectTimeout, Timeout: _client.ConnectTimeout)));
                break;
            case CommandTimeoutEvent:
                _commandTimer = default;
                if (_commandSocket is { } socket && !_connecting && (_pinging || live))
                    Fail(_pinging ? null : inv, new Result(Outcome.ETIMEDOUT, Origin.LibraryTimeout, _connections.Label(socket),
                        new Cause(CauseKind.CommandTimeout, _connections.IncidentOf(socket), _client.CommandTimeout!.Value)));
                break;
            case FreezeEvent:
                Freeze();
                break;
            case ReapEvent:
                _reapTimer = default;
                if (State is EnvironmentState.Idle or EnvironmentState.Frozen)
                    Destroy(DestroyReason.Reaped);
                break;
            case PingEvent:
                _pingTimer = default;
                if (State == EnvironmentState.Idle && _cached is { } c && _current is null)
                {
                    _pinging = true;
                    SendCommand(null, c);
                }
                break;
        }
    }

    /// <summary>The timers of an idle environment, which a new invocation or the end make moot.</summary>
    private void CancelIdleTimers()
    {
        CancelTimer(ref _freezeTimer);
        CancelTimer(ref _reapTimer);
        CancelTimer(ref _pingTimer);
    }

    public void Run(Invocation inv)
    {
        CancelIdleTimers();
        bool wasFrozen = State == EnvironmentState.Frozen;
        if (wasFrozen)
        {
            Host.Thaw(_clock.Now);
            _observer.OnLifecycle(new LifecycleRecord(_clock.Now, Name, LifecycleEvent.Thawed));
        }
        State = EnvironmentState.Busy;
        Begin(inv);
        Handle(inv);
        // Events the kernel raised while the process was frozen reach the library only now, after
        // the handler has already written on the cached connection (the race the seed story lost).
        if (wasFrozen)
            DeliverQueued();
    }

    private void Freeze()
    {
        _freezeTimer = default;
        if (State != EnvironmentState.Idle)
            return;
        CancelTimer(ref _pingTimer);
        State = EnvironmentState.Frozen;
        Host.Freeze(_platform.Spec.FreezeMode);
        _observer.OnLifecycle(new LifecycleRecord(_clock.Now, Name, LifecycleEvent.Frozen));
    }

    public void Destroy(DestroyReason why)
    {
        if (State == EnvironmentState.Destroyed)
            return;
        CancelIdleTimers();
        if (_platform.Spec.ShutdownHook && _cached is { } c)
        {
            if (State == EnvironmentState.Frozen)
                Host.Thaw(_clock.Now);
            Discard(c); // the hook closes the connection cleanly: FIN
        }
        State = EnvironmentState.Destroyed;
        Host.Destroy();
        _queued.Clear();
        _fn.Forget(this);
        _observer.OnLifecycle(new LifecycleRecord(_clock.Now, Name, LifecycleEvent.Destroyed, why, why == DestroyReason.Reaped ? _reapAfter : null));
    }

    /// <summary>Lambda ends the invocation and resets the runtime: the process dies and its kernel
    /// closes its sockets with FIN.</summary>
    private void TimedOut(Invocation inv)
    {
        var r = new Result(Outcome.ETIMEDOUT, Origin.Platform, _commandSocket is null ? null : _connections.Label(_commandSocket),
            new Cause(CauseKind.FunctionTimeout, Timeout: _fn.Spec.Timeout));
        if (_commandSocket is { } s) Discard(s);
        if (_cached is { } c) Discard(c);
        Finish(inv, r);
    }

    // ---------------------------------------------------------------- the handler

    private void Handle(Invocation inv)
    {
        TimeSpan work = _fn.DrawWork();
        if (_fn.Spec.Strategy == Strategy.Proxy)
        {
            var proxy = _platform.Function(_fn.Spec.Proxy!);
            TimeSpan hop = _fn.Spec.ProxyInvokeLatency;
            _clock.Schedule(_clock.Now + work + hop, () =>
            {
                if (inv.Finished) return;
                proxy.Invoke(r => _clock.Schedule(_clock.Now + hop, () =>
                {
                    if (!inv.Finished) Finish(inv, r);
                }));
            });
            return;
        }
        if (work > TimeSpan.Zero)
            At(_clock.Now + work, WorkEvent);
        else
            Acquire(inv);
    }

    private void Acquire(Invocation inv)
    {
        if (_fn.Spec.Strategy == Strategy.Reuse && _cached is { } c)
        {
            if (_client.MaxIdle is { } maxIdle && _clock.Now - _cachedLastUsed > maxIdle)
                Discard(c);
            else if (_client.ValidateBeforeUse && c.State != TcpState.Established)
                Discard(c); // a local check: a FIN or an error has already arrived
            else
            {
                SendCommand(inv, c);
                return;
            }
        }
        Connect();
    }

    /// <summary>The set-up cost is CPU time spent before the SYN leaves.</summary>
    private void Connect() => At(_clock.Now + _fn.DrawSetup(), ConnectEvent);

    private void OpenConnection()
    {
        var socket = Host.Connect(_clock.Now, _platform.Server, _socketOptions);
        _connections.Info(socket); // name the connection now: the server's side finds it by its addresses
        _connections.Own(socket, e => OnSocketEvent(socket, e));
        _commandSocket = socket;
        _connecting = true;
        if (_fn.Spec.Strategy == Strategy.Reuse)
        {
            _cached = socket;
            _cachedLastUsed = _clock.Now;
        }
        _commandTimer = At(_clock.Now + _client.ConnectTimeout, ConnectTimeoutEvent);
    }

    private void SendCommand(Invocation? inv, TcpConnection socket)
    {
        _commandSocket = socket;
        _connecting = false;
        // A ping still in flight when a command follows: its reply comes first and is not ours.
        _received = _pinging && inv is not null ? _received - Wire.ReplyBytes : 0;
        if (inv is not null)
            _pinging = false;
        var sent = socket.Send(_clock.Now, Wire.RequestBytes);
        if (!sent.IsOk)
        {
            Fail(inv, SocketError(socket, sent.Errno, sent.Origin == ErrorOrigin.None ? ErrorOrigin.Rst : sent.Origin));
            return;
        }
        if (_client.CommandTimeout is { } t)
        {
            CancelTimer(ref _commandTimer);
            _commandTimer = At(_clock.Now + t, CommandTimeoutEvent);
        }
    }

    private void OnSocketEvent(TcpConnection socket, TcpEvent e)
    {
        if (State == EnvironmentState.Frozen)
        {
            _queued.Add((socket, e)); // the kernel got it; the frozen process will see it after the thaw
            return;
        }
        if (State == EnvironmentState.Destroyed)
            return;
        bool active = socket == _commandSocket && (_current is not null || _pinging);
        if (!active)
        {
            // Idle connection: the library learns that it closed and drops it (reconnects lazily).
            if (e.Kind is TcpEventKind.PeerClosed or TcpEventKind.Error)
                Discard(socket);
            return;
        }
        Invocation? inv = _pinging ? null : _current;
        switch (e.Kind)
        {
            case TcpEventKind.Connected when _connecting:
                CancelTimer(ref _commandTimer);
                SendCommand(inv, socket);
                break;
            case TcpEventKind.Readable:
            case TcpEventKind.PeerClosed:
            case TcpEventKind.Error:
                ReadReply(inv, socket);
                break;
        }
    }

    private void ReadReply(Invocation? inv, TcpConnection socket)
    {
        string label = _connections.Label(socket);
        while (true)
        {
            var r = socket.Read(_clock.Now);
            if (r.Bytes > 0)
            {
                _received += r.Bytes;
                if (_connections.Info(socket).Rejected)
                {
                    Fail(inv, new Result(Outcome.Rejected, Origin.Server, label, _connections.IncidentOf(socket) is { } refusal ? Cause.Of(refusal) : null));
                    return;
                }
                if (_received >= Wire.ReplyBytes)
                {
                    Succeed(inv, socket);
                    return;
                }
                continue;
            }
            if (r.Eof)
            {
                if (_connecting)
                    return;
                Fail(inv, new Result(Outcome.Eof, Origin.Fin, label, Explain(socket, Outcome.Eof)));
                return;
            }
            if (r.Errno != Errno.None)
            {
                Fail(inv, SocketError(socket, r.Errno, r.Origin));
                return;
            }
            return; // nothing yet
        }
    }

    /// <summary>A request failed with what the socket reported.</summary>
    private Result SocketError(TcpConnection socket, Errno errno, ErrorOrigin origin)
    {
        var outcome = OutcomeNames.FromErrno(errno);
        return new(outcome, OutcomeNames.FromErrorOrigin(origin), _connections.Label(socket), Explain(socket, outcome));
    }

    private Cause? Explain(TcpConnection socket, Outcome outcome)
    {
        var incident = _connections.IncidentOf(socket);
        return outcome switch
        {
            Outcome.ECONNREFUSED => new Cause(CauseKind.NothingListening),
            _ when incident is not null => Cause.Of(incident),
            Outcome.ETIMEDOUT => new Cause(CauseKind.NeverAcknowledged),
            _ => null,
        };
    }

    private void Succeed(Invocation? inv, TcpConnection socket)
    {
        CancelTimer(ref _commandTimer);
        _commandSocket = null;
        if (inv is null)
        {
            _pinging = false;
            _cachedLastUsed = _clock.Now;
            ArmPing();
            return;
        }
        string label = _connections.Label(socket);
        if (_fn.Spec.Strategy == Strategy.PerInvocation)
        {
            _connections.Disown(socket);
            socket.Close(_clock.Now); // QUIT: the client closes first and ends in TIME_WAIT
        }
        else
        {
            _cachedLastUsed = _clock.Now;
        }
        Finish(inv, Result.Ok(label));
    }

    private void Fail(Invocation? inv, Result r)
    {
        CancelTimer(ref _commandTimer);
        if (_commandSocket is { } s)
            Discard(s);
        _commandSocket = null;
        _connecting = false;
        if (inv is null)
        {
            _pinging = false; // a failed ping just drops the connection
            return;
        }
        if (inv.Retries < _client.Retries && _client.RetryOn.Contains(r.Outcome))
        {
            inv.Retries++;
            Connect();
            return;
        }
        Finish(inv, r);
    }

    /// <summary>The library closes a connection it no longer trusts.</summary>
    private void Discard(TcpConnection socket)
    {
        if (_cached == socket)
            _cached = null;
        _connections.Disown(socket);
        if (socket.State != TcpState.Closed && !socket.Orphaned)
            socket.Close(_clock.Now);
    }

    private void Finish(Invocation inv, Result r)
    {
        if (inv.Finished)
            return;
        inv.Finished = true;
        CancelTimer(ref inv.Deadline);
        CancelTimer(ref _commandTimer);
        _current = null;
        _commandSocket = null;
        _connecting = false;
        double latency = (_clock.Now - inv.Arrived).TotalMilliseconds;
        _observer.OnRequest(new RequestRecord(inv.Arrived, _fn.Spec.Name, Name, r.Connection, r.Outcome, r.Origin, latency, inv.Retries, r.Outcome == Outcome.Ok ? null : r.Cause));
        State = EnvironmentState.Idle;
        _fn.Released();
        if (Abandoned)
            Destroy(DestroyReason.Redeploy);
        else if (_clock.Now >= _lifetimeEnd)
            Destroy(DestroyReason.MaxLifetime);
        else
        {
            _fn.Available(this);
            _freezeTimer = At(_clock.Now + _fn.DrawFreeze(), FreezeEvent);
            _reapAfter = _fn.DrawReap();
            _reapTimer = At(_clock.Now + _reapAfter, ReapEvent);
            ArmPing();
        }
        inv.Done?.Invoke(r);
    }

    private void ArmPing()
    {
        if (_client.PingInterval is not { } interval || _cached is null || _fn.Spec.Strategy != Strategy.Reuse)
            return;
        CancelTimer(ref _pingTimer);
        _pingTimer = At(_clock.Now + interval, PingEvent);
    }

    private void DeliverQueued()
    {
        var queued = _queued.ToArray();
        _queued.Clear();
        foreach (var (socket, e) in queued)
            OnSocketEvent(socket, e);
    }
}
