using Zombiesim.Core.Clients;
using Zombiesim.Core.Connections;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Handlers;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Platforms;

/// <summary>
/// An execution environment (AWS Lambda's documented lifecycle): a Linux host that is cold-started,
/// runs one invocation at a time under the function timeout, is frozen after it, thawed by the next,
/// and destroyed when idle too long, at its maximum lifetime or after a redeploy (without a packet,
/// unless a shutdown hook closes its connections). While it is frozen its kernel still answers
/// segments, and the socket events for its process wait until the thaw.
/// </summary>
internal sealed class Environment : IProcess
{
    private readonly Platform _platform;
    private readonly FunctionRuntime _fn;
    private readonly Clock _clock;
    private readonly ConnectionRegistry _connections;
    private readonly IRunObserver _observer;
    private readonly IHandler _handler;
    private readonly IClientLibrary? _client;
    private readonly Alarm _ready, _deadline, _freeze, _reap;
    private readonly List<(TcpConnection Socket, TcpEvent Event)> _queued = new();
    private Invocation? _current;
    private long _invocations;
    private TimeSpan _reapAfter;
    private TimeSpan _lifetimeEnd = TimeSpan.MaxValue;

    public Environment(Platform platform, FunctionRuntime fn, int number)
    {
        _platform = platform;
        _fn = fn;
        _clock = platform.Clock;
        _connections = platform.Connections;
        _observer = platform.Observer;
        Name = $"{fn.Spec.Name}#{number}";
        Host = platform.AddHost(this, fn.Spec.Host);
        _ready = new Alarm(_clock, OnReady);
        _deadline = new Alarm(_clock, OnDeadline);
        _freeze = new Alarm(_clock, _ => Freeze());
        _reap = new Alarm(_clock, _ => OnReap());
        (_handler, _client) = Handler.For(fn, this, platform);
    }

    public string Name { get; }
    public FunctionRuntime Function => _fn;
    public TcpHost Host { get; }
    public EnvironmentState State { get; private set; } = EnvironmentState.Initializing;
    /// <summary>A redeploy happened while it ran: it is destroyed when its invocation ends.</summary>
    public bool Abandoned { get; set; }

    public void ColdStart(Invocation inv, IChoices coldStart, IChoices lifetime)
    {
        State = EnvironmentState.Initializing;
        _observer.OnLifecycle(new LifecycleRecord(_clock.Now, Name, LifecycleEvent.ColdStart));
        if (_platform.Spec.MaxLifetime is { } max)
            _lifetimeEnd = _clock.Now + max.SampleDuration(lifetime);
        TimeSpan ready = _clock.Now + _platform.Spec.ColdStart.SampleDuration(coldStart);
        Begin(inv);
        _ready.Set(ready, inv.Number);
    }

    private void Begin(Invocation inv)
    {
        _current = inv;
        inv.Number = ++_invocations;
        _deadline.Set(inv.Arrived + _fn.Spec.Timeout, inv.Number);
    }

    private void OnReady(long stamp)
    {
        if (_current is not { } inv || !inv.Owns(stamp))
            return;
        State = EnvironmentState.Busy;
        _handler.Handle(inv);
    }

    /// <summary>A warm environment takes the invocation (thawed first if frozen).</summary>
    public void Run(Invocation inv)
    {
        CancelIdleTimers();
        bool wasFrozen = State == EnvironmentState.Frozen;
        if (wasFrozen)
        {
            Host.Resume(_clock.Now);
            _observer.OnLifecycle(new LifecycleRecord(_clock.Now, Name, LifecycleEvent.Thawed));
        }
        State = EnvironmentState.Busy;
        Begin(inv);
        if (wasFrozen)
            _client?.Thawed(beforeHandler: true);
        _handler.Handle(inv);
        // Events the kernel raised while the process was frozen reach the library only now, after
        // the handler has already written on the cached connection (the race the seed story lost).
        if (wasFrozen)
        {
            _client?.Thawed(beforeHandler: false);
            DeliverQueued();
        }
    }

    /// <summary>The timers of an idle environment, which a new invocation or the end make moot.</summary>
    private void CancelIdleTimers()
    {
        _freeze.Cancel();
        _reap.Cancel();
        _client?.Pause();
    }

    private void Freeze()
    {
        if (State != EnvironmentState.Idle)
            return;
        _client?.Freeze();
        State = EnvironmentState.Frozen;
        Host.Freeze(_platform.Spec.FreezeMode);
        _observer.OnLifecycle(new LifecycleRecord(_clock.Now, Name, LifecycleEvent.Frozen));
    }

    private void OnReap()
    {
        if (State is EnvironmentState.Idle or EnvironmentState.Frozen)
            Destroy(DestroyReason.Reaped);
    }

    public void Destroy(DestroyReason why)
    {
        if (State == EnvironmentState.Destroyed)
            return;
        CancelIdleTimers();
        if (_platform.Spec.ShutdownHook && _client is { HoldsConnections: true } client)
        {
            if (State == EnvironmentState.Frozen)
                Host.Resume(_clock.Now);
            client.CloseAll();
        }
        State = EnvironmentState.Destroyed;
        Host.Destroy();
        _queued.Clear();
        _fn.Forget(this);
        _observer.OnLifecycle(new LifecycleRecord(_clock.Now, Name, LifecycleEvent.Destroyed, why,
            why == DestroyReason.Reaped ? _reapAfter : null));
    }

    /// <summary>Lambda ends the invocation and resets the runtime: the process dies and its kernel
    /// closes its sockets with FIN.</summary>
    private void OnDeadline(long stamp)
    {
        if (_current is not { } inv || !inv.Owns(stamp))
            return;
        string? connection = _client?.Abandon();
        Finish(inv,
            new Result(Outcome.ETIMEDOUT, Origin.Platform, connection, new Cause(CauseKind.FunctionTimeout, Timeout: _fn.Spec.Timeout)));
    }

    public void Own(TcpConnection socket) => _connections.Own(socket, e => OnSocketEvent(socket, e));

    private void OnSocketEvent(TcpConnection socket, TcpEvent e)
    {
        if (State == EnvironmentState.Frozen)
        {
            _queued.Add((socket, e)); // the kernel got it; the frozen process will see it after the thaw
            return;
        }
        if (State == EnvironmentState.Destroyed)
            return;
        _client?.OnSocketEvent(socket, e);
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
        _deadline.Cancel();
        _client?.Finished();
        _current = null;
        double latency = (_clock.Now - inv.Arrived).TotalMilliseconds;
        _observer.OnRequest(new RequestRecord(inv.Arrived, _fn.Spec.Name, Name, r.Connection, r.Outcome, r.Origin, latency, inv.Retries,
            r.Outcome == Outcome.Ok ? null : r.Cause));
        State = EnvironmentState.Idle;
        _fn.Released();
        if (Abandoned)
            Destroy(DestroyReason.Redeploy);
        else if (_clock.Now >= _lifetimeEnd)
            Destroy(DestroyReason.MaxLifetime);
        else
        {
            _fn.Available(this);
            _freeze.Set(_clock.Now + _fn.DrawFreeze());
            _reapAfter = _fn.DrawReap();
            _reap.Set(_clock.Now + _reapAfter);
            _client?.Idle();
        }
        inv.Done?.Invoke(r);
    }
}
