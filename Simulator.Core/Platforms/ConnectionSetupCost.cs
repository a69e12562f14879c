namespace Zombiesim.Core.Platforms;

/// <summary>The client library's CPU time to set a connection up, by the function's memory (a function's
/// `client.setupCost` overrides it); public for verify, whose agent spends it before its real SYN.</summary>
public static class ConnectionSetupCost
{
    /// <summary>
    /// CPU time to set a connection up and close it. Upstash measured 75 us (p99) on a full CPU and
    /// up to 6-7 ms in 128 MB functions; Lambda's CPU share is proportional to memory (1,769 MB = one
    /// vCPU). Between the two measured points the cost is interpolated on a log-log scale (FOLK: the
    /// shape between them is not measured); at or above 1,769 MB it is 75 us.
    /// </summary>
    public static TimeSpan Default(int memoryMb)
    {
        const double fullCpuMb = 1769, fullCpuUs = 75, smallMb = 128, smallUs = 6500;
        if (memoryMb >= fullCpuMb)
            return TimeSpan.FromTicks((long)(fullCpuUs * 10));
        double slope = Math.Log(smallUs / fullCpuUs) / Math.Log(smallMb / fullCpuMb);
        double us = fullCpuUs * Math.Pow(memoryMb / fullCpuMb, slope);
        return TimeSpan.FromTicks((long)Math.Round(us * 10));
    }
}
