using Zombiesim.Core.Connections;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Platforms;

/// <summary>A function: its environments, routing, concurrency and redeploys (AWS Lambda's documented behaviour).</summary>
internal sealed class FunctionRuntime
{
    private readonly Platform _platform;
    private readonly List<Environment> _live = new();
    private readonly List<Environment> _idle = new(); // idle or frozen, most recently used last
    private readonly IChoices _coldStart, _freeze, _reap, _lifetime, _work, _between, _setup, _connectionLifetime, _restore, _reconnect,
        _libraryJitter;
    private readonly Queue<Waiting> _waiting = new();
    private Environment? _template; // SnapStart: the environment whose snapshot the next cold start restores
    private int _created;

    public FunctionRuntime(Platform platform, FunctionSpec spec)
    {
        _platform = platform;
        Spec = spec;
        _coldStart = platform.Stream($"function/{spec.Name}/cold-start");
        _freeze = platform.Stream($"function/{spec.Name}/freeze");
        _reap = platform.Stream($"function/{spec.Name}/reap");
        _lifetime = platform.Stream($"function/{spec.Name}/lifetime");
        _work = platform.Stream($"function/{spec.Name}/work");
        _between = platform.Stream($"function/{spec.Name}/between");
        _reconnect = platform.Stream($"function/{spec.Name}/reconnect");
        _setup = platform.Stream($"function/{spec.Name}/setup");
        _libraryJitter = platform.Stream($"function/{spec.Name}/library-jitter");
        _connectionLifetime = platform.Stream($"function/{spec.Name}/connection-lifetime");
        SetupCost = spec.Client.SetupCost ?? new Constant(ConnectionSetupCost.Default(spec.Memory).TotalSeconds);
        Words = new(spec.Client.Library, spec.Client.Retries,
            $"{platform.ServerName(spec.Client.Server)}:{platform.ServerFor(spec.Client.Server).Port}");
        _restore = platform.Stream($"function/{spec.Name}/restore");
        bool shares = spec.Strategy == Strategy.Proxy || (spec.Client.Pool is not null && !platform.Spec.PerRequestSockets);
        Slots = shares ? platform.Spec.InstanceConcurrency : 1;
        if (platform.Spec.Provisioned > 0 || platform.Spec.Snapshot is not null)
            platform.Clock.Schedule(TimeSpan.Zero, StartAhead);
    }

    public FunctionSpec Spec { get; }
    /// <summary>The function's place in the scenario's list (and in a sample's per-function counts).</summary>
    public int Index { get; init; }
    public IReadOnlyList<Environment> Environments => _live;
    public Distribution SetupCost { get; }
    /// <summary>What the function's client library needs to word its errors.</summary>
    public Clients.ClientSpecWords Words { get; }
    /// <summary>Invocations initializing or running: Lambda's concurrency.</summary>
    public int Busy { get; private set; }

    /// <summary>Invocations one of its environments serves at once: the platform's per-instance
    /// concurrency when the client library has a pool (or the function is a proxy caller), else 1 (a
    /// library with one connection serves one command at a time).</summary>
    public int Slots { get; }

    /// <summary>An invocation arrives. <paramref name="done"/> is told the result (for a proxy's caller).</summary>
    public void Invoke(Action<Result>? done) => Route(_platform.Clock.Now, done);

    private void Route(TimeSpan arrived, Action<Result>? done)
    {
        // Routing is undocumented; the most recently used warm environment is taken (FOLK).
        Environment? env = _idle.Count > 0 ? _idle[^1] : null;
        if (env is null)
        {
            Cause? limit = null;
            if (Spec.ReservedConcurrency is { } reserved && Busy >= reserved)
                limit = new Cause(CauseKind.ReservedConcurrency, Limit: reserved);
            else if (_platform.TotalBusy() >= _platform.Spec.Concurrency)
                limit = new Cause(CauseKind.RegionalConcurrency, Limit: _platform.Spec.Concurrency);
            else if (_platform.Spec.MaxInstances is { } max && _live.Count >= max)
            {
                if (_platform.Spec.QueueTimeout > TimeSpan.Zero && _platform.Clock.Now - arrived < _platform.Spec.QueueTimeout)
                {
                    Wait(arrived, done);
                    return;
                }
                limit = new Cause(CauseKind.MaxInstances, Limit: max, Timeout: _platform.Spec.QueueTimeout);
            }
            if (limit is not null)
            {
                Refuse(arrived, done, limit);
                return;
            }
            if (_template is { State: EnvironmentState.Snapshotted } snapshot)
            {
                _template = null;
                Busy++;
                snapshot.Restore(new Invocation(arrived, done), _restore);
                return;
            }
            env = Create(provisioned: false, template: false);
            Busy++;
            env.ColdStart(new Invocation(arrived, done), _coldStart, _lifetime);
            return;
        }
        if (env.Active + 1 >= Slots)
            _idle.RemoveAt(_idle.Count - 1);
        Busy++;
        env.Run(new Invocation(arrived, done));
    }

    private Environment Create(bool provisioned, bool template)
    {
        var env = new Environment(_platform, this, ++_created) { Provisioned = provisioned, SnapshotTemplate = template };
        _live.Add(env);
        return env;
    }

    private void Refuse(TimeSpan arrived, Action<Result>? done, Cause limit)
    {
        _platform.Throttled();
        var r = new Result(Outcome.Throttled, Origin.Platform, null, limit);
        double waited = (_platform.Clock.Now - arrived).TotalMilliseconds;
        _platform.Observer.OnRequest(new RequestRecord(arrived, Spec.Name, "-", null, r.Outcome, r.Origin, waited, 0, r.Cause));
        done?.Invoke(r);
    }

    /// <summary>At max instances a request waits for a slot (Cloud Run: up to 10 s, then 429).</summary>
    private void Wait(TimeSpan arrived, Action<Result>? done)
    {
        var waiting = new Waiting(arrived, done);
        _waiting.Enqueue(waiting);
        _platform.Clock.Schedule(arrived + _platform.Spec.QueueTimeout, () =>
        {
            if (waiting.Served)
                return;
            waiting.Served = true;
            Refuse(arrived, done,
                new Cause(CauseKind.MaxInstances, Limit: _platform.Spec.MaxInstances, Timeout: _platform.Spec.QueueTimeout));
        });
    }

    /// <summary>A slot or an instance freed: the longest waiting request takes it.</summary>
    private void ServeWaiting()
    {
        while (_waiting.Count > 0)
        {
            var w = _waiting.Dequeue();
            if (w.Served)
                continue;
            w.Served = true;
            Route(w.Arrived, w.Done);
            return;
        }
    }

    private sealed class Waiting(TimeSpan arrived, Action<Result>? done)
    {
        public TimeSpan Arrived { get; } = arrived;
        public Action<Result>? Done { get; } = done;
        public bool Served;
    }

    /// <summary>Provisioned concurrency and SnapStart: environments initialised at 0 s, ahead of traffic.</summary>
    private void StartAhead()
    {
        for (int i = 0; i < _platform.Spec.Provisioned; i++)
            Provision();
        if (_platform.Spec.Snapshot is not null)
        {
            _template = Create(provisioned: false, template: true);
            _template.ColdStart(null, _coldStart, _lifetime);
        }
    }

    /// <summary>One provisioned environment is initialised now, ahead of traffic.</summary>
    internal void Provision() => Create(provisioned: true, template: false).ColdStart(null, _coldStart, _lifetime);

    public void Redeploy()
    {
        _platform.Observer.OnNote(new NoteRecord(_platform.Clock.Now, Spec.Name, "redeploy: existing environments are abandoned",
            NoteKind.Redeploy));
        foreach (var env in _live.ToArray())
        {
            if (env.Active > 0)
                env.Abandoned = true;
            else
                env.Destroy(DestroyReason.Redeploy);
        }
    }

    /// <summary>An invocation ended: the environment no longer counts toward concurrency.</summary>
    internal void Released() => Busy--;

    /// <summary>The environment is warm and free for the next invocation.</summary>
    internal void Available(Environment env)
    {
        if (Slots > 1)
            _idle.Remove(env);
        _idle.Add(env);
        ServeWaiting();
    }

    /// <summary>One of a busy environment's slots freed.</summary>
    internal void SlotFreed(Environment env)
    {
        if (!_idle.Contains(env))
            _idle.Add(env);
        ServeWaiting();
    }

    /// <summary>The environment is shutting down: it takes no more invocations.</summary>
    internal void Unroute(Environment env) => _idle.Remove(env);

    internal void Forget(Environment env)
    {
        _live.Remove(env);
        _idle.Remove(env);
        if (_template == env)
            _template = null;
        ServeWaiting();
    }
    internal TimeSpan DrawFreeze() => _platform.Spec.FreezeAfter.SampleDuration(_freeze);
    internal TimeSpan DrawReap() => _platform.Spec.ReapAfter.SampleDuration(_reap);
    internal TimeSpan DrawWork() => Spec.Work.SampleDuration(_work);
    internal TimeSpan DrawBetween() => Spec.Between.SampleDuration(_between);
    internal TimeSpan DrawSetup() => SetupCost.SampleDuration(_setup);

    /// <summary>The client library's delay before reconnect attempt <paramref name="attempt"/> (from 1); zero without a policy.</summary>
    internal TimeSpan DrawReconnect(int attempt) =>
        Spec.Client.Reconnect is { } r ? r.Delay(attempt, r.Jitter > TimeSpan.Zero ? _reconnect.NextDouble() : 0) : TimeSpan.Zero;
    /// <summary>A uniform draw in [0, 1) of the library's own stream (serverless-mysql's backoff jitter).</summary>
    internal double DrawUnit() => _libraryJitter.NextDouble();
    internal TimeSpan DrawConnectionLifetime() => Spec.Client.Pool!.MaxLifetime!.SampleDuration(_connectionLifetime);
}
