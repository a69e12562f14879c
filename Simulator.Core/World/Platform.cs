using Zombiesim.Core.Engine;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;

namespace Zombiesim.Core.World;

/// <summary>What an invocation ended with.</summary>
internal readonly record struct Result(Outcome Outcome, Origin? Origin, string? Connection, Cause? Cause)
{
    public static Result Ok(string? connection) => new(Outcome.Ok, null, connection, null);
}

/// <summary>A function: its environments, routing, concurrency and redeploys (AWS Lambda's documented behaviour).</summary>
internal sealed class FunctionRuntime
{
    private readonly World _world;
    private readonly List<Environment> _live = new();
    private readonly List<Environment> _idle = new(); // idle or frozen, most recently used last
    private readonly IChoices _coldStart, _freeze, _reap, _lifetime, _work, _setup;
    private int _created;

    public FunctionRuntime(World world, FunctionSpec spec)
    {
        _world = world;
        Spec = spec;
        _coldStart = world.Stream($"function/{spec.Name}/cold-start");
        _freeze = world.Stream($"function/{spec.Name}/freeze");
        _reap = world.Stream($"function/{spec.Name}/reap");
        _lifetime = world.Stream($"function/{spec.Name}/lifetime");
        _work = world.Stream($"function/{spec.Name}/work");
        _setup = world.Stream($"function/{spec.Name}/setup");
        SetupCost = spec.Client.SetupCost ?? new Constant(DefaultSetupCost(spec.Memory).TotalSeconds);
    }

    public FunctionSpec Spec { get; }
    public IReadOnlyList<Environment> Environments => _live;
    public Distribution SetupCost { get; }
    /// <summary>Environments initializing or running an invocation: Lambda's concurrency.</summary>
    public int Busy { get; private set; }

    /// <summary>
    /// CPU time to set a connection up and close it. Upstash measured 75 us (p99) on a full CPU and
    /// up to 6-7 ms in 128 MB functions; Lambda's CPU share is proportional to memory (1,769 MB = one
    /// vCPU). Between the two measured points the cost is interpolated on a log-log scale (FOLK: the
    /// shape between them is not measured); at or above 1,769 MB it is 75 us.
    /// </summary>
    public static TimeSpan DefaultSetupCost(int memoryMb)
    {
        const double fullCpuMb = 1769, fullCpuUs = 75, smallMb = 128, smallUs = 6500;
        if (memoryMb >= fullCpuMb)
            return TimeSpan.FromTicks((long)(fullCpuUs * 10));
        double slope = Math.Log(smallUs / fullCpuUs) / Math.Log(smallMb / fullCpuMb);
        double us = fullCpuUs * Math.Pow(memoryMb / fullCpuMb, slope);
        return TimeSpan.FromTicks((long)Math.Round(us * 10));
    }

    /// <summary>An invocation arrives. <paramref name="done"/> is told the result (for a proxy's caller).</summary>
    public void Invoke(Action<Result>? done)
    {
        TimeSpan arrived = _world.Now;
        // Routing is undocumented; the most recently used warm environment is taken (FOLK).
        Environment? env = _idle.Count > 0 ? _idle[^1] : null;
        if (env is null)
        {
            Cause? limit = null;
            if (Spec.ReservedConcurrency is { } reserved && Busy >= reserved)
                limit = new Cause(CauseKind.ReservedConcurrency, Limit: reserved);
            else if (_world.TotalBusy() >= _world.Scenario.Platform.Concurrency)
                limit = new Cause(CauseKind.RegionalConcurrency, Limit: _world.Scenario.Platform.Concurrency);
            if (limit is not null)
            {
                _world.Throttled();
                var r = new Result(Outcome.Throttled, Origin.Platform, null, limit);
                _world.Observer.OnRequest(new RequestRecord(arrived, Spec.Name, "-", null, r.Outcome, r.Origin, 0, 0, r.Cause));
                done?.Invoke(r);
                return;
            }
            env = new Environment(_world, this, ++_created);
            _live.Add(env);
            Busy++;
            env.ColdStart(new Invocation(arrived, done), _coldStart, _lifetime);
            return;
        }
        _idle.RemoveAt(_idle.Count - 1);
        Busy++;
        env.Run(new Invocation(arrived, done));
    }

    public void Redeploy()
    {
        _world.Note(Spec.Name, "redeploy: existing environments are abandoned");
        foreach (var env in _live.ToArray())
        {
            if (env.State is EnvironmentState.Busy or EnvironmentState.Initializing)
                env.Abandoned = true;
            else
                env.Destroy(DestroyReason.Redeploy);
        }
    }

    /// <summary>An invocation ended: the environment no longer counts toward concurrency.</summary>
    internal void Released() => Busy--;

    /// <summary>The environment is warm and free for the next invocation.</summary>
    internal void Available(Environment env) => _idle.Add(env);

    internal void Forget(Environment env)
    {
        _live.Remove(env);
        _idle.Remove(env);
    }
    internal TimeSpan DrawFreeze() => _world.Scenario.Platform.FreezeAfter.SampleDuration(_freeze);
    internal TimeSpan DrawReap() => _world.Scenario.Platform.ReapAfter.SampleDuration(_reap);
    internal TimeSpan DrawWork() => Spec.Work.SampleDuration(_work);
    internal TimeSpan DrawSetup() => SetupCost.SampleDuration(_setup);
}

/// <summary>One invocation in flight.</summary>
internal sealed class Invocation(TimeSpan arrived, Action<Result>? done)
{
    public TimeSpan Arrived { get; } = arrived;
    public Action<Result>? Done { get; } = done;
    public int Retries;
    public bool Finished;
    public TimerHandle Deadline;
}

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
    private readonly World _world;
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

    public Environment(World world, FunctionRuntime fn, int number)
    {
        _world = world;
        _fn = fn;
        _client = fn.Spec.Client;
        _socketOptions = new SocketOptions { KeepAlive = _client.KeepAlive is not null, KeepIdle = _client.KeepAlive, UserTimeout = _client.UserTimeout };
        Name = $"{fn.Spec.Name}#{number}";
        Host = world.AddEnvironmentHost(this, fn.Spec.Host);
    }

    public string Name { get; }
    public TcpHost Host { get; }
    public EnvironmentState State { get; private set; } = EnvironmentState.Initializing;
    public bool Abandoned { get; set; }

    // ---------------------------------------------------------------- lifecycle

    public void ColdStart(Invocation inv, IChoices coldStart, IChoices lifetime)
    {
        State = EnvironmentState.Initializing;
        _world.Observer.OnLifecycle(new LifecycleRecord(_world.Now, Name, LifecycleEvent.ColdStart));
        if (_world.Scenario.Platform.MaxLifetime is { } max)
            _lifetimeEnd = _world.Now + max.SampleDuration(lifetime);
        TimeSpan ready = _world.Now + _world.Scenario.Platform.ColdStart.SampleDuration(coldStart);
        Begin(inv);
        At(ready, ReadyEvent);
    }

    private void Begin(Invocation inv)
    {
        _current = inv;
        _invocationNumber++;
        inv.Deadline = At(inv.Arrived + _fn.Spec.Timeout, DeadlineEvent);
    }

    private TimerHandle At(TimeSpan at, int kind) =>
        _world.Engine.Schedule(at < _world.Now ? _world.Now : at, this, (_invocationNumber << 8) + kind);

    private void CancelTimer(ref TimerHandle handle)
    {
        _world.Engine.Cancel(handle);
        handle = default;
    }

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
                    Fail(inv, new Result(Outcome.ETIMEDOUT, Origin.LibraryTimeout, _world.Label(connecting),
                        new Cause(CauseKind.ConnectTimeout, Timeout: _client.ConnectTimeout)));
                break;
            case CommandTimeoutEvent:
                _commandTimer = default;
                if (_commandSocket is { } socket && !_connecting && (_pinging || live))
                    Fail(_pinging ? null : inv, new Result(Outcome.ETIMEDOUT, Origin.LibraryTimeout, _world.Label(socket),
                        new Cause(CauseKind.CommandTimeout, _world.IncidentOf(socket), _client.CommandTimeout!.Value)));
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
            Host.Thaw(_world.Now);
            _world.Observer.OnLifecycle(new LifecycleRecord(_world.Now, Name, LifecycleEvent.Thawed));
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
        Host.Freeze(_world.Scenario.Platform.FreezeMode);
        _world.Observer.OnLifecycle(new LifecycleRecord(_world.Now, Name, LifecycleEvent.Frozen));
    }

    public void Destroy(DestroyReason why)
    {
        if (State == EnvironmentState.Destroyed)
            return;
        CancelIdleTimers();
        if (_world.Scenario.Platform.ShutdownHook && _cached is { } c)
        {
            if (State == EnvironmentState.Frozen)
                Host.Thaw(_world.Now);
            Discard(c); // the hook closes the connection cleanly: FIN
        }
        State = EnvironmentState.Destroyed;
        Host.Destroy();
        _queued.Clear();
        _fn.Forget(this);
        _world.Observer.OnLifecycle(new LifecycleRecord(_world.Now, Name, LifecycleEvent.Destroyed, why, why == DestroyReason.Reaped ? _reapAfter : null));
    }

    /// <summary>Lambda ends the invocation and resets the runtime: the process dies and its kernel
    /// closes its sockets with FIN.</summary>
    private void TimedOut(Invocation inv)
    {
        var r = new Result(Outcome.ETIMEDOUT, Origin.Platform, _commandSocket is null ? null : _world.Label(_commandSocket),
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
            var proxy = _world.Function(_fn.Spec.Proxy!);
            TimeSpan hop = _fn.Spec.ProxyInvokeLatency;
            _world.Schedule(_world.Now + work + hop, () =>
            {
                if (inv.Finished) return;
                proxy.Invoke(r => _world.Schedule(_world.Now + hop, () =>
                {
                    if (!inv.Finished) Finish(inv, r);
                }));
            });
            return;
        }
        if (work > TimeSpan.Zero)
            At(_world.Now + work, WorkEvent);
        else
            Acquire(inv);
    }

    private void Acquire(Invocation inv)
    {
        if (_fn.Spec.Strategy == Strategy.Reuse && _cached is { } c)
        {
            if (_client.MaxIdle is { } maxIdle && _world.Now - _cachedLastUsed > maxIdle)
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
    private void Connect() => At(_world.Now + _fn.DrawSetup(), ConnectEvent);

    private void OpenConnection()
    {
        var socket = Host.Connect(_world.Now, _world.Server.Endpoint, _socketOptions);
        _world.Info(socket); // name the connection now: the server's side finds it by its addresses
        _world.Own(socket, e => OnSocketEvent(socket, e));
        _commandSocket = socket;
        _connecting = true;
        if (_fn.Spec.Strategy == Strategy.Reuse)
        {
            _cached = socket;
            _cachedLastUsed = _world.Now;
        }
        _commandTimer = At(_world.Now + _client.ConnectTimeout, ConnectTimeoutEvent);
    }

    private void SendCommand(Invocation? inv, TcpConnection socket)
    {
        _commandSocket = socket;
        _connecting = false;
        // A ping still in flight when a command follows: its reply comes first and is not ours.
        _received = _pinging && inv is not null ? _received - World.ReplyBytes : 0;
        if (inv is not null)
            _pinging = false;
        var sent = socket.Send(_world.Now, World.RequestBytes);
        if (!sent.IsOk)
        {
            Fail(inv, SocketError(socket, sent.Errno, sent.Origin == ErrorOrigin.None ? ErrorOrigin.Rst : sent.Origin));
            return;
        }
        if (_client.CommandTimeout is { } t)
        {
            CancelTimer(ref _commandTimer);
            _commandTimer = At(_world.Now + t, CommandTimeoutEvent);
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
        string label = _world.Label(socket);
        while (true)
        {
            var r = socket.Read(_world.Now);
            if (r.Bytes > 0)
            {
                _received += r.Bytes;
                if (_world.Info(socket).Rejected)
                {
                    Fail(inv, new Result(Outcome.Rejected, Origin.Server, label, _world.IncidentOf(socket) is { } refusal ? Cause.Of(refusal) : null));
                    return;
                }
                if (_received >= World.ReplyBytes)
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
        return new(outcome, OutcomeNames.FromErrorOrigin(origin), _world.Label(socket), Explain(socket, outcome));
    }

    private Cause? Explain(TcpConnection socket, Outcome outcome)
    {
        var incident = _world.IncidentOf(socket);
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
            _cachedLastUsed = _world.Now;
            ArmPing();
            return;
        }
        string label = _world.Label(socket);
        if (_fn.Spec.Strategy == Strategy.PerInvocation)
        {
            _world.Disown(socket);
            socket.Close(_world.Now); // QUIT: the client closes first and ends in TIME_WAIT
        }
        else
        {
            _cachedLastUsed = _world.Now;
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
        _world.Disown(socket);
        if (socket.State != TcpState.Closed && !socket.Orphaned)
            socket.Close(_world.Now);
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
        double latency = (_world.Now - inv.Arrived).TotalMilliseconds;
        _world.Observer.OnRequest(new RequestRecord(inv.Arrived, _fn.Spec.Name, Name, r.Connection, r.Outcome, r.Origin, latency, inv.Retries, r.Outcome == Outcome.Ok ? null : r.Cause));
        State = EnvironmentState.Idle;
        _fn.Released();
        if (Abandoned)
            Destroy(DestroyReason.Redeploy);
        else if (_world.Now >= _lifetimeEnd)
            Destroy(DestroyReason.MaxLifetime);
        else
        {
            _fn.Available(this);
            _freezeTimer = At(_world.Now + _fn.DrawFreeze(), FreezeEvent);
            _reapAfter = _fn.DrawReap();
            _reapTimer = At(_world.Now + _reapAfter, ReapEvent);
            ArmPing();
        }
        inv.Done?.Invoke(r);
    }

    private void ArmPing()
    {
        if (_client.PingInterval is not { } interval || _cached is null || _fn.Spec.Strategy != Strategy.Reuse)
            return;
        CancelTimer(ref _pingTimer);
        _pingTimer = At(_world.Now + interval, PingEvent);
    }

    private void DeliverQueued()
    {
        var queued = _queued.ToArray();
        _queued.Clear();
        foreach (var (socket, e) in queued)
            OnSocketEvent(socket, e);
    }
}
