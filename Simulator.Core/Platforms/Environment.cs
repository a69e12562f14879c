using Zombiesim.Core.Clients;
using Zombiesim.Core.Connections;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Handlers;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Platforms;

/// <summary>
/// An execution environment (an instance): a Linux host that is initialised (cold start, ahead of
/// traffic when provisioned, or restored from a snapshot), runs its invocations (one at a time on
/// Lambda, several on Cloud Run, Azure and Vercel) under the function timeout, is stopped between
/// them as its platform does (<see cref="IdleLifecycle"/>: frozen, throttled, suspended, or left
/// running), and is destroyed when idle too long, at its maximum lifetime or after a redeploy:
/// without a packet, unless a shutdown hook closes its connections, and after a shutdown phase
/// during which its kernel still answers. While its process is stopped its kernel still answers
/// segments (or not, when the machine is paused), and the socket events wait until it runs again.
/// </summary>
internal sealed class Environment : IProcess, ISocketOwner
{
    private readonly Platform _platform;
    private readonly FunctionRuntime _fn;
    private readonly Clock _clock;
    private readonly ConnectionRegistry _connections;
    private readonly IRunObserver _observer;
    private readonly IHandler _handler;
    private readonly IdleLifecycle _idle;
    private readonly Alarm _ready, _reap, _recycle, _shutdownEnd, _checkpoint;
    /// <summary>The function timeout of every invocation in flight, each stamped with its number.</summary>
    private readonly Alarm _deadlines;
    private readonly List<(TcpConnection Socket, TcpEvent Event)> _queued = new();
    private readonly List<Invocation> _active = new();
    private Invocation? _starting; // the invocation waiting for the init or the restore to end
    private long _invocations;
    private TimeSpan _reapAfter;
    private TimeSpan _lifetimeEnd = TimeSpan.MaxValue;
    private readonly Network.Resolver _resolver;
    private Tls.ClientHandshakes? _handshakes; // created with the first connection to a server that runs TLS

    public Environment(Platform platform, FunctionRuntime fn, int number)
    {
        _platform = platform;
        _fn = fn;
        _clock = platform.Clock;
        _connections = platform.Connections;
        _observer = platform.Observer;
        Name = $"{fn.Spec.Name}#{number}";
        Host = platform.AddHost(this, fn.Spec.Host);
        _resolver = new Network.Resolver(platform.Names, _clock);
        _ready = new Alarm(_clock, OnReady);
        _reap = new Alarm(_clock, _ => OnReap());
        _recycle = new Alarm(_clock, _ => OnRecycle());
        _shutdownEnd = new Alarm(_clock, stamp => End((DestroyReason)stamp));
        _checkpoint = new Alarm(_clock, _ => Checkpoint());
        _deadlines = new Alarm(_clock, OnDeadline);
        (_handler, Client) = Handler.For(fn, this, platform);
        _idle = IdleLifecycle.For(this, platform.Spec, _clock);
    }

    public string Name { get; }
    public FunctionRuntime Function => _fn;
    public TcpHost Host { get; }
    public EnvironmentState State { get; internal set; } = EnvironmentState.Initializing;
    internal IClientLibrary? Client { get; }
    /// <summary>A redeploy happened while it ran: it is destroyed when its invocations end.</summary>
    public bool Abandoned { get; set; }
    /// <summary>Initialised ahead of traffic and kept warm: never reaped, replaced when recycled.</summary>
    public bool Provisioned { get; init; }
    /// <summary>The environment whose snapshot later invocations restore (SnapStart).</summary>
    public bool SnapshotTemplate { get; init; }
    /// <summary>Invocations it runs now.</summary>
    public int Active => _active.Count;

    internal void Record(LifecycleEvent e) => _observer.OnLifecycle(new LifecycleRecord(_clock.Now, Name, e));

    internal TimeSpan DrawFreeze() => _fn.DrawFreeze();

    /// <summary>Creates the environment and runs its init code; <paramref name="inv"/> runs once it is
    /// ready, or, with none (provisioned, or a snapshot to be taken), the environment waits idle.</summary>
    public void ColdStart(Invocation? inv, IChoices coldStart, IChoices lifetime)
    {
        State = EnvironmentState.Initializing;
        Record(LifecycleEvent.ColdStart);
        if (_platform.Spec.MaxLifetime is { } max)
            _lifetimeEnd = _clock.Now + max.SampleDuration(lifetime);
        TimeSpan ready = _clock.Now + _platform.Spec.ColdStart.SampleDuration(coldStart);
        if (inv is not null)
        {
            Begin(inv);
            _starting = inv;
        }
        if (_fn.Spec.ConnectInInit)
            Client?.ConnectInInit();
        _ready.Set(ready, inv?.Number ?? 0);
    }

    private void Begin(Invocation inv)
    {
        _active.Add(inv);
        inv.Number = ++_invocations;
        inv.Deadline = _deadlines.Set(inv.Arrived + _fn.Spec.Timeout, inv.Number);
    }

    private void OnReady(long stamp)
    {
        if (stamp == 0)
        {
            InitDone();
            return;
        }
        if (_starting is not { } inv || !inv.Owns(stamp))
            return;
        _starting = null;
        State = EnvironmentState.Busy;
        if (_fn.Slots > 1)
            _fn.SlotFreed(this); // ready: its other slots take requests from now on
        _handler.Handle(inv);
    }

    /// <summary>Init ended ahead of any event: the snapshot is taken (after the before-checkpoint
    /// hook, whose FINs get 50 ms to be answered), or the environment waits to be invoked.</summary>
    private void InitDone()
    {
        if (State is EnvironmentState.Destroyed or EnvironmentState.ShuttingDown)
            return;
        if (Abandoned)
        {
            Destroy(DestroyReason.Redeploy);
            return;
        }
        if (SnapshotTemplate)
        {
            bool closes = _platform.Spec.Snapshot!.BeforeCheckpointCloses && Client is { HoldsConnections: true };
            if (closes)
                Client!.CloseAll();
            _checkpoint.Set(_clock.Now + (closes ? TimeSpan.FromMilliseconds(50) : TimeSpan.Zero));
            return;
        }
        if (_clock.Now >= _lifetimeEnd)
            Destroy(DestroyReason.MaxLifetime);
        else
            BecomeIdle();
    }

    private void Checkpoint()
    {
        Client?.Freeze();
        State = EnvironmentState.Snapshotted;
        Host.Freeze(FreezeMode.Vm);
        Record(LifecycleEvent.Snapshotted);
    }

    /// <summary>The first invocation after the snapshot restores it: the machine runs again after the
    /// restore latency, the after-restore hook runs, then the handler; the sockets of the snapshot are
    /// as init left them, though the server forgot them long ago.</summary>
    public void Restore(Invocation inv, IChoices latency)
    {
        Begin(inv);
        _starting = inv;
        _clock.Schedule(_clock.Now + _platform.Spec.Snapshot!.RestoreLatency.SampleDuration(latency), () =>
        {
            if (_starting != inv || !inv.Owns(inv.Number))
                return;
            _starting = null;
            Host.Resume(_clock.Now);
            State = EnvironmentState.Busy;
            Record(LifecycleEvent.Restored);
            if (_platform.Spec.Snapshot.AfterRestoreReconnects)
                Client?.CloseAll();
            Client?.Thawed(beforeHandler: true);
            _handler.Handle(inv);
            Client?.Thawed(beforeHandler: false);
            DeliverQueued();
        });
    }

    /// <summary>A warm environment takes the invocation (woken first if stopped).</summary>
    public void Run(Invocation inv)
    {
        if (_active.Count == 0)
            CancelIdleTimers();
        bool wasStopped = State is EnvironmentState.Frozen or EnvironmentState.Throttled or EnvironmentState.Suspended;
        if (wasStopped)
            _idle.Wake();
        State = EnvironmentState.Busy;
        Begin(inv);
        if (wasStopped)
            Client?.Thawed(beforeHandler: true);
        _handler.Handle(inv);
        // Events the kernel raised while the process was stopped reach the library only now, after
        // the handler has already written on the cached connection (the race the seed story lost).
        if (wasStopped)
        {
            Client?.Thawed(beforeHandler: false);
            DeliverQueued();
        }
    }

    /// <summary>The timers of an idle environment, which a new invocation or the end make moot.</summary>
    private void CancelIdleTimers()
    {
        _idle.Cancel();
        _reap.Cancel();
        Client?.Pause();
    }

    /// <summary>While throttled, a turn of CPU: the process runs its overdue timers and reads its sockets.</summary>
    internal void RunTurn()
    {
        State = EnvironmentState.Idle;
        Client?.Thawed(beforeHandler: true);
        Client?.Thawed(beforeHandler: false);
        DeliverQueued();
        Client?.Freeze();
        State = EnvironmentState.Throttled;
    }

    private void OnReap()
    {
        if (_active.Count == 0 && State is EnvironmentState.Idle or EnvironmentState.Frozen or EnvironmentState.Throttled
                or EnvironmentState.Suspended)
            Destroy(DestroyReason.Reaped);
    }

    private void OnRecycle()
    {
        if (_active.Count == 0 && State is not (EnvironmentState.Destroyed or EnvironmentState.ShuttingDown))
            Destroy(DestroyReason.MaxLifetime);
    }

    /// <summary>The platform shuts the environment down: the shutdown hook, if any, closes the
    /// connections; the environment (its kernel included) lives on for the shutdown phase, so the
    /// server's answers to those FINs are acknowledged; then it is destroyed without a packet.</summary>
    public void Destroy(DestroyReason why)
    {
        if (State is EnvironmentState.Destroyed or EnvironmentState.ShuttingDown)
            return;
        CancelIdleTimers();
        _recycle.Cancel();
        _fn.Unroute(this);
        bool hook = _platform.Spec.ShutdownHook && Client is { HoldsConnections: true };
        TimeSpan phase = _platform.Spec.ShutdownPhase;
        if (phase > TimeSpan.Zero || hook)
        {
            if (State is EnvironmentState.Frozen or EnvironmentState.Suspended or EnvironmentState.Snapshotted)
                Host.Resume(_clock.Now);
        }
        if (phase > TimeSpan.Zero)
        {
            State = EnvironmentState.ShuttingDown;
            Record(LifecycleEvent.Shutdown);
            if (hook)
                Client!.CloseAll();
            _shutdownEnd.Set(_clock.Now + phase, (long)why);
            return;
        }
        if (hook)
            Client!.CloseAll();
        End(why);
    }

    private void End(DestroyReason why)
    {
        State = EnvironmentState.Destroyed;
        // Recorded first: what the destruction does to the sockets follows it.
        _observer.OnLifecycle(new LifecycleRecord(_clock.Now, Name, LifecycleEvent.Destroyed, why,
            why == DestroyReason.Reaped ? _reapAfter : null));
        Host.Destroy();
        _queued.Clear();
        _fn.Forget(this);
        _platform.Departed(this);
        if (Provisioned && why != DestroyReason.Reaped)
            _fn.Provision(); // provisioned concurrency is kept: a new environment is initialised in its place
    }

    /// <summary>The invocation ran past the function timeout. On Lambda the runtime is reset: the
    /// process dies and its kernel closes its sockets with FIN. Where an instance serves several
    /// requests at once, only this request ends; the process and its other requests go on.</summary>
    private void OnDeadline(long stamp)
    {
        var inv = _active.Find(i => i.Owns(stamp));
        if (inv is null)
            return;
        string? connection = _fn.Slots == 1 ? Client?.Abandon() : null;
        Finish(inv, new Result(Outcome.ETIMEDOUT, Origin.Platform, connection,
            new Cause(CauseKind.FunctionTimeout, Timeout: _fn.Spec.Timeout)));
    }

    /// <summary>connect() to a server by its name (the resolver picks the node; TLS handshakes run between the kernel
    /// and the library). Where the instance already holds the platform's most outbound connections, the call fails at
    /// once with EACCES and nothing is sent; the library hears of it from the socket's error after the call returns,
    /// as Node reports it on the next turn of its event loop.</summary>
    public TcpConnection Connect(Endpoint server, SocketOptions options)
    {
        if (_platform.Spec.Outbound.Exceeded(Host) is not { } limit)
        {
            var opened = Host.Connect(_clock.Now, _resolver.Resolve(server), options);
            if (_platform.Tls.TryGetValue(server, out var tls))
                (_handshakes ??= new(_clock, _connections, _fn.Spec.Memory, (s, e) => Client?.OnSocketEvent(s, e))).Begin(opened, tls);
            return opened;
        }
        return Refuse(server, options, limit);
    }

    /// <summary>The connect() the outbound limit refuses.</summary>
    private TcpConnection Refuse(Endpoint server, SocketOptions options, int limit)
    {
        var socket = Host.Refused(server, Errno.EACCES, options);
        _connections.Incident(socket, new Incident(_clock.Now, IncidentKind.OutboundLimit, Limit: limit, Environment: Name));
        _clock.Schedule(_clock.Now, () =>
        {
            OnSocketEvent(socket, new TcpEvent(TcpEventKind.Error, 0, Errno.EACCES, ErrorOrigin.LocalPolicy));
            _connections.Disown(socket);
        });
        return socket;
    }

    public void Own(TcpConnection socket) => _connections.Own(socket, this);

    public void OnSocketEvent(TcpConnection socket, TcpEvent e)
    {
        if (State is EnvironmentState.Destroyed or EnvironmentState.ShuttingDown)
            return;
        if (State.Unanswering())
        {
            _queued.Add((socket, e)); // the kernel got it; the stopped process will see it when it runs
            return;
        }
        if (_handshakes?.Take(socket, e) == true)
            return;
        Client?.OnSocketEvent(socket, e);
    }

    private void DeliverQueued()
    {
        var queued = _queued.ToArray();
        _queued.Clear();
        foreach (var (socket, e) in queued)
            OnSocketEvent(socket, e);
    }

    public void Finish(Invocation inv, Result r)
    {
        if (inv.Finished)
            return;
        inv.Finished = true;
        _clock.Cancel(ref inv.Deadline);
        _active.Remove(inv);
        if (_active.Count == 0)
        {
            Client?.Finished();
            if (_platform.Spec.PerRequestSockets)
                Client?.CloseAll(); // the request's I/O context ends: its sockets close with it
        }
        double latency = (_clock.Now - inv.Arrived).TotalMilliseconds;
        _observer.OnRequest(new RequestRecord(inv.Arrived, _fn.Spec.Name, Name, r.Connection, r.Outcome, r.Origin, latency, inv.Retries,
            r.Outcome == Outcome.Ok ? null : r.Cause, Clients.LibraryErrors.Message(_fn.Words, r, inv.Retries)));
        _fn.Released();
        if (_active.Count > 0)
            _fn.SlotFreed(this);
        else if (Abandoned)
            Destroy(DestroyReason.Redeploy);
        else if (_clock.Now >= _lifetimeEnd)
            Destroy(DestroyReason.MaxLifetime);
        else
            BecomeIdle();
        inv.Done?.Invoke(r);
    }

    private void BecomeIdle()
    {
        State = EnvironmentState.Idle;
        _fn.Available(this);
        _idle.OnIdle();
        if (!Provisioned)
        {
            _reapAfter = _fn.DrawReap();
            _reap.Set(_clock.Now + _reapAfter);
        }
        else if (_lifetimeEnd != TimeSpan.MaxValue)
            _recycle.Set(_lifetimeEnd);
        Client?.Idle();
    }
}
