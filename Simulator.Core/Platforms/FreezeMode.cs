using Zombiesim.Tcp;

namespace Zombiesim.Core.Platforms;

/// <summary>How an execution environment is frozen (the platform does not document it: FOLK).</summary>
public enum FreezeMode
{
    /// <summary>The application is stopped (cgroup freezer, SIGSTOP); the kernel still ACKs, resets and runs timers.</summary>
    Process,
    /// <summary>The whole microVM is paused: arriving segments are lost and timers wait until the thaw.</summary>
    Vm,
}

/// <summary>What a freeze mode does to an environment's kernel.</summary>
public static class FreezeModes
{
    /// <summary>Freeze <paramref name="host"/> as <paramref name="mode"/> says: stop its application, or pause the machine.</summary>
    public static void Freeze(this TcpHost host, FreezeMode mode)
    {
        switch (mode)
        {
            case FreezeMode.Process:
                host.StopApplication();
                break;
            case FreezeMode.Vm:
                host.Pause();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, null);
        }
    }
}
