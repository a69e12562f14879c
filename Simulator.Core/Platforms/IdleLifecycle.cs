using Zombiesim.Core.Engine;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Platforms;

/// <summary>What a platform does to an instance that serves no request, and how a request wakes it:
/// one type per platform behaviour (<see cref="IdleMode"/>), chosen when the environment is created.</summary>
internal abstract class IdleLifecycle
{
    protected IdleLifecycle(Environment env, Clock clock)
    {
        Env = env;
        Clock = clock;
        Timer = new Alarm(clock, _ => Stop());
    }

    protected Environment Env { get; }
    protected Clock Clock { get; }
    protected Alarm Timer { get; }

    /// <summary>The last request ended: arm the stop.</summary>
    public virtual void OnIdle() => Timer.Set(Clock.Now + Env.DrawFreeze());

    /// <summary>A request came or the instance is going away: the stop is moot.</summary>
    public virtual void Cancel() => Timer.Cancel();

    /// <summary>Stops the instance if it is still idle.</summary>
    protected abstract void Stop();

    /// <summary>A request arrives while the instance is stopped: it runs again, and the record says so.</summary>
    public abstract void Wake();

    public static IdleLifecycle For(Environment env, PlatformSpec spec, Clock clock) => spec.Idle switch
    {
        IdleMode.Freeze => new Freezer(env, clock, spec.FreezeMode),
        IdleMode.Throttle => new Throttler(env, clock, spec.CpuFraction),
        IdleMode.Suspend => new Suspender(env, clock, spec),
        _ => new Runner(env, clock),
    };
}

/// <summary>AWS Lambda: the environment is frozen (its process stopped, or its microVM paused) and
/// thawed by the next invocation.</summary>
internal sealed class Freezer(Environment env, Clock clock, FreezeMode mode) : IdleLifecycle(env, clock)
{
    protected override void Stop()
    {
        if (Env.State != EnvironmentState.Idle)
            return;
        Env.Client?.Freeze();
        Env.State = EnvironmentState.Frozen;
        Env.Host.Freeze(mode);
        Env.Record(LifecycleEvent.Frozen);
    }

    public override void Wake()
    {
        Env.Host.Resume(Clock.Now);
        Env.Record(LifecycleEvent.Thawed);
    }
}

/// <summary>Google Cloud Run: outside requests the CPU is throttled. The kernel keeps running (it
/// ACKs, answers FINs, sends keepalive probes); user space gets <c>cpuFraction</c> of a CPU. The
/// model gives it that share in turns: every 100 ms / cpuFraction (a cgroup CPU period's quota,
/// gathered), the process runs its overdue timers and reads the socket events that arrived; with 0
/// it runs nothing until the next request.</summary>
internal sealed class Throttler : IdleLifecycle
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(100);
    private readonly Alarm _turn;
    private readonly double _fraction;

    public Throttler(Environment env, Clock clock, double fraction) : base(env, clock)
    {
        _fraction = fraction;
        _turn = new Alarm(clock, _ => Turn());
    }

    private TimeSpan Gap => TimeSpan.FromTicks((long)Math.Round(Period.Ticks / _fraction));

    protected override void Stop()
    {
        if (Env.State != EnvironmentState.Idle)
            return;
        Env.Client?.Freeze();
        Env.State = EnvironmentState.Throttled;
        Env.Record(LifecycleEvent.Throttled);
        if (_fraction > 0)
            _turn.Set(Clock.Now + Gap);
    }

    private void Turn()
    {
        if (Env.State != EnvironmentState.Throttled)
            return;
        Env.RunTurn();
        _turn.Set(Clock.Now + Gap);
    }

    public override void Cancel()
    {
        base.Cancel();
        _turn.Cancel();
    }

    public override void Wake()
    {
        _turn.Cancel();
        Env.Record(LifecycleEvent.Unthrottled);
    }
}

/// <summary>Vercel Fluid: once no request is pending the instance is suspended (as Lambda freezes,
/// in the freeze mode of the scenario), unless background work is: <c>waitUntil</c> keeps it running
/// for its time, and the pool hook (attachDatabasePool) until the pool's idle timers have fired.</summary>
internal sealed class Suspender(Environment env, Clock clock, PlatformSpec spec) : IdleLifecycle(env, clock)
{
    public override void OnIdle()
    {
        TimeSpan at = Clock.Now + Env.DrawFreeze();
        TimeSpan until = Clock.Now + spec.WaitUntil;
        Timer.Set(until > at ? until : at);
    }

    protected override void Stop()
    {
        if (Env.State != EnvironmentState.Idle)
            return;
        if (spec.PoolHook && Env.Client?.PendingTimersUntil is { } pending && pending > Clock.Now)
        {
            Timer.Set(pending); // the pool's idle timers fire first (armed earlier at that instant)
            return;
        }
        Env.Client?.Freeze();
        Env.State = EnvironmentState.Suspended;
        Env.Host.Freeze(spec.FreezeMode);
        Env.Record(LifecycleEvent.Suspended);
    }

    public override void Wake()
    {
        Env.Host.Resume(Clock.Now);
        Env.Record(LifecycleEvent.Resumed);
    }
}

/// <summary>Azure Functions, Cloudflare Workers: the process keeps running between requests (its
/// timers run, it reads its sockets) until the platform unloads it.</summary>
internal sealed class Runner(Environment env, Clock clock) : IdleLifecycle(env, clock)
{
    public override void OnIdle()
    {
    }

    protected override void Stop()
    {
    }

    public override void Wake()
    {
    }
}
