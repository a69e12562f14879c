using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Servers;

/// <summary>When a server closes a connection idle since <c>lastActivity</c>: exactly at the timeout,
/// or in Redis's clientsCron, which compares whole seconds (`now - lastinteraction > timeout`), so
/// at the first whole second past last + timeout: between N and N+1 s after the last command
/// (src/timeout.c clientsCronHandleTimeout; the cron's own 100 ms tick, hz 10, is not modelled).</summary>
internal static class IdleClose
{
    public static TimeSpan At(IdleCheck check, TimeSpan lastActivity, TimeSpan idle) => check == IdleCheck.Exact
        ? lastActivity + idle
        : TimeSpan.FromSeconds(Math.Floor(lastActivity.TotalSeconds) + Math.Floor(idle.TotalSeconds) + 1);
}
