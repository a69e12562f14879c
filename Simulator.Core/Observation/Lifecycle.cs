namespace Zombiesim.Core.Observation;

/// <summary>The state of an execution environment, named as its platform names it: Lambda freezes,
/// Cloud Run throttles, Vercel suspends, SnapStart keeps a snapshot; Lambda's shutdown phase keeps
/// the environment (kernel included) alive for a moment before it is destroyed.</summary>
public enum EnvironmentState { Initializing, Busy, Idle, Frozen, Destroyed, Throttled, Suspended, ShuttingDown, Snapshotted }

/// <summary>What happens in an execution environment's life.</summary>
public enum LifecycleEvent
{
    ColdStart, Frozen, Thawed, Destroyed, Throttled, Unthrottled, Suspended, Resumed, Shutdown, Snapshotted, Restored,
}

/// <summary>Why an environment was destroyed.</summary>
public enum DestroyReason { Reaped, Redeploy, MaxLifetime }

public static class LifecycleNames
{
    public static string Name(this EnvironmentState s) => s switch
    {
        EnvironmentState.ShuttingDown => "shutting-down",
        _ => s.ToString().ToLowerInvariant(),
    };

    public static string Name(this LifecycleEvent e) => e switch
    {
        LifecycleEvent.ColdStart => "cold-start",
        LifecycleEvent.Frozen => "frozen",
        LifecycleEvent.Thawed => "thawed",
        LifecycleEvent.Throttled => "throttled",
        LifecycleEvent.Unthrottled => "unthrottled",
        LifecycleEvent.Suspended => "suspended",
        LifecycleEvent.Resumed => "resumed",
        LifecycleEvent.Shutdown => "shutdown",
        LifecycleEvent.Snapshotted => "snapshotted",
        LifecycleEvent.Restored => "restored",
        _ => "destroyed",
    };

    /// <summary>Whether a process in state <paramref name="s"/> cannot answer from user space: its
    /// server-side connections are zombies. Frozen, suspended and snapshotted processes do not run;
    /// a throttled one gets no CPU to read its sockets until a request comes; a destroyed one is gone.</summary>
    public static bool Unanswering(this EnvironmentState s) =>
        s is EnvironmentState.Frozen or EnvironmentState.Destroyed or EnvironmentState.Throttled or EnvironmentState.Suspended
            or EnvironmentState.Snapshotted;
}
