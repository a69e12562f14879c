namespace Zombiesim.Core.Engine;

/// <summary>
/// What the parts of a world see of the engine: the time, timers for their own handlers, one-off
/// actions, and observations (which under an order hook run before the other events due at their
/// instant, and are no choice).
/// </summary>
/// <param name="scheduler">The engine.</param>
/// <param name="actions">Where one-off actions wait (a thread's, reused by world after world); null: a table of its own.</param>
public sealed class Clock(Scheduler scheduler, SlotPool<Action>? actions = null)
{
    private readonly ActionTable _actions = new(actions ?? new SlotPool<Action>());

    public TimeSpan Now => scheduler.Now;

    /// <summary>Events run so far: while it stands still, nothing in the world has changed.</summary>
    public long EventsRun => scheduler.Executed;

    /// <summary>A timer for a handler that tells its events apart by <paramref name="arg"/>
    /// (no allocation per event). Instants in the past are clamped to now.</summary>
    public TimerHandle At(TimeSpan at, EventReceiver handler, long arg = 0) =>
        scheduler.Schedule(at < scheduler.Now ? scheduler.Now : at, handler, arg);

    public void Cancel(ref TimerHandle handle)
    {
        scheduler.Cancel(handle);
        handle = default;
    }

    /// <summary>A one-off action at an absolute instant (clamped to now). The actions wait in a
    /// pooled table; the engine event carries the index, so scheduling allocates no wrapper.</summary>
    public void Schedule(TimeSpan at, Action action) => At(at, _actions, _actions.Add(action));

    /// <summary>An action that only looks (a sample, a probe, a timed check).</summary>
    public void Observe(TimeSpan at, Action look) => scheduler.Schedule(at, new Observation(look));

    /// <summary>An observation handler to schedule again and again (the sampler).</summary>
    public void Observe(TimeSpan at, ObservationEvent look) => scheduler.Schedule(at, look);

    private sealed class Observation(Action look) : ObservationEvent
    {
        public override void OnEvent(long arg) => look();
    }

    private sealed class ActionTable(SlotPool<Action> pool) : EventReceiver
    {
        public long Add(Action action) => pool.Add(action);

        public override void OnEvent(long arg) => pool.Take(arg)();
    }
}
