namespace Zombiesim.Core.Observation;

/// <summary>The environment's state machine as its lifecycle records tell it.</summary>
public static class EnvironmentStates
{
    /// <summary>The state an environment is in right after <paramref name="e"/>: initializing after a
    /// cold start, busy after a thaw (a thaw serves an invocation), frozen, destroyed.</summary>
    public static EnvironmentState After(this LifecycleEvent e) => e switch
    {
        LifecycleEvent.ColdStart => EnvironmentState.Initializing,
        LifecycleEvent.Thawed => EnvironmentState.Busy,
        LifecycleEvent.Frozen => EnvironmentState.Frozen,
        _ => EnvironmentState.Destroyed,
    };
}
