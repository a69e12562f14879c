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
    private readonly IChoices _coldStart, _freeze, _reap, _lifetime, _work, _setup, _connectionLifetime;
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
        _setup = platform.Stream($"function/{spec.Name}/setup");
        _connectionLifetime = platform.Stream($"function/{spec.Name}/connection-lifetime");
        SetupCost = spec.Client.SetupCost ?? new Constant(DefaultSetupCost(spec.Memory).TotalSeconds);
    }

    public FunctionSpec Spec { get; }
    /// <summary>The function's place in the scenario's list (and in a sample's per-function counts).</summary>
    public int Index { get; init; }
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
        TimeSpan arrived = _platform.Clock.Now;
        // Routing is undocumented; the most recently used warm environment is taken (FOLK).
        Environment? env = _idle.Count > 0 ? _idle[^1] : null;
        if (env is null)
        {
            Cause? limit = null;
            if (Spec.ReservedConcurrency is { } reserved && Busy >= reserved)
                limit = new Cause(CauseKind.ReservedConcurrency, Limit: reserved);
            else if (_platform.TotalBusy() >= _platform.Spec.Concurrency)
                limit = new Cause(CauseKind.RegionalConcurrency, Limit: _platform.Spec.Concurrency);
            if (limit is not null)
            {
                _platform.Throttled();
                var r = new Result(Outcome.Throttled, Origin.Platform, null, limit);
                _platform.Observer.OnRequest(new RequestRecord(arrived, Spec.Name, "-", null, r.Outcome, r.Origin, 0, 0, r.Cause));
                done?.Invoke(r);
                return;
            }
            env = new Environment(_platform, this, ++_created);
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
        _platform.Observer.OnNote(new NoteRecord(_platform.Clock.Now, Spec.Name, "redeploy: existing environments are abandoned"));
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
    internal TimeSpan DrawFreeze() => _platform.Spec.FreezeAfter.SampleDuration(_freeze);
    internal TimeSpan DrawReap() => _platform.Spec.ReapAfter.SampleDuration(_reap);
    internal TimeSpan DrawWork() => Spec.Work.SampleDuration(_work);
    internal TimeSpan DrawSetup() => SetupCost.SampleDuration(_setup);
    internal TimeSpan DrawConnectionLifetime() => Spec.Client.Pool!.MaxLifetime!.SampleDuration(_connectionLifetime);
}
