namespace Zombiesim.Core.Observation;

/// <summary>The state of an execution environment.</summary>
public enum EnvironmentState { Initializing, Busy, Idle, Frozen, Destroyed }

/// <summary>What happens in an execution environment's life.</summary>
public enum LifecycleEvent { ColdStart, Frozen, Thawed, Destroyed }

/// <summary>Why an environment was destroyed.</summary>
public enum DestroyReason { Reaped, Redeploy, MaxLifetime }

public static class LifecycleNames
{
    public static string Name(this EnvironmentState s) => s.ToString().ToLowerInvariant();

    public static string Name(this LifecycleEvent e) => e switch
    {
        LifecycleEvent.ColdStart => "cold-start",
        LifecycleEvent.Frozen => "frozen",
        LifecycleEvent.Thawed => "thawed",
        _ => "destroyed",
    };
}
