namespace Zombiesim.Core.Observation;

/// <summary>The environment's state machine as its lifecycle records tell it.</summary>
public static class EnvironmentStates
{
    /// <summary>The state an environment is in right after <paramref name="e"/>: initializing after a
    /// cold start, busy after a thaw, an unthrottle, a resume or a restore (each serves an
    /// invocation), frozen, throttled, suspended, snapshotted, shutting down, destroyed.</summary>
    public static EnvironmentState After(this LifecycleEvent e) => e switch
    {
        LifecycleEvent.ColdStart => EnvironmentState.Initializing,
        LifecycleEvent.Thawed or LifecycleEvent.Unthrottled or LifecycleEvent.Resumed or LifecycleEvent.Restored => EnvironmentState.Busy,
        LifecycleEvent.Frozen => EnvironmentState.Frozen,
        LifecycleEvent.Throttled => EnvironmentState.Throttled,
        LifecycleEvent.Suspended => EnvironmentState.Suspended,
        LifecycleEvent.Snapshotted => EnvironmentState.Snapshotted,
        LifecycleEvent.Shutdown => EnvironmentState.ShuttingDown,
        _ => EnvironmentState.Destroyed,
    };
}
