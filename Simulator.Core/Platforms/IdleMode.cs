using Zombiesim.Core.Observation;

namespace Zombiesim.Core.Platforms;

/// <summary>What a platform does to an instance that serves no request.</summary>
public enum IdleMode
{
    /// <summary>AWS Lambda: the environment is frozen (<see cref="FreezeMode"/> says how) and thawed by the next invocation.</summary>
    Freeze,
    /// <summary>Google Cloud Run: the CPU is throttled; the kernel keeps running and user space gets a small share of a CPU.</summary>
    Throttle,
    /// <summary>Vercel Fluid: the instance is suspended once no request, <c>waitUntil</c> or attached pool timer is pending.</summary>
    Suspend,
    /// <summary>Azure Functions, Cloudflare Workers: the process keeps running between requests until it is unloaded.</summary>
    Run,
}

/// <summary>The Lambda extensions a function has; they set the length of the shutdown phase
/// (DOC: AWS Lambda developer guide, "Lambda execution environment lifecycle", Shutdown phase).</summary>
public enum ExtensionKind { None, Internal, External }

public static class Extensions
{
    /// <summary>How long the environment, its kernel included, lives on after Lambda decides to shut
    /// it down: 0 ms without extensions, 500 ms with internal ones, 2,000 ms with external ones.</summary>
    public static TimeSpan ShutdownPhase(this ExtensionKind k) => k switch
    {
        ExtensionKind.None => TimeSpan.Zero,
        ExtensionKind.Internal => TimeSpan.FromMilliseconds(500),
        _ => TimeSpan.FromMilliseconds(2000),
    };

    /// <summary>The state an idle instance is put in by <paramref name="mode"/>.</summary>
    public static EnvironmentState Stopped(this IdleMode mode) => mode switch
    {
        IdleMode.Freeze => EnvironmentState.Frozen,
        IdleMode.Throttle => EnvironmentState.Throttled,
        IdleMode.Suspend => EnvironmentState.Suspended,
        _ => EnvironmentState.Idle,
    };
}
