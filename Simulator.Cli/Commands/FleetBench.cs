using System.Diagnostics;
using System.Globalization;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Cli.Commands;

/// <summary>One run of the fleet benchmark.</summary>
public sealed record FleetResult(double Hours, double RatePerSecond, long Requests, long Events, double WallSeconds, double CpuSeconds,
    double EventsPerSecond, double PeakManagedMb, double PeakWorkingSetMb, int PeakServerConnections);

/// <summary>
/// A fleet at a steady Poisson rate for many simulated hours: half the traffic on a function that
/// caches its connection, half on one that connects per invocation, against a Redis with a 300 s
/// idle timeout, environments reaped after 10 min and recycled every 2 h. Measures wall time,
/// simulated events per CPU second (the process's, so that other processes on the machine disturb it
/// less than wall time) and peak memory (managed heap sampled during the run, and the
/// process's peak working set). With a pool, the cached function holds a pg pool of that size and
/// sends as many commands at once, and its handler works long enough that about the given number of
/// environments are busy at once (Little's law: environments = rate x work).
/// </summary>
public static class FleetBench
{
    public static string Yaml(double hours, double rate, int pool = 0, int environments = 0) =>
        string.Create(CultureInfo.InvariantCulture, $$"""
        name: fleet-benchmark
        seed: 1
        horizon: {{hours * 3600}}s
        platform:
          freeze: { after: 0s }
          reap: { after: 10m }
          maxLifetime: 2h
          concurrency: {{(pool > 0 ? 100000 : 1000)}}
        functions:
          - name: cached
            memory: 512
            timeout: {{(pool > 0 ? "900s" : "3s")}}
            work: { exponential: { mean: {{(pool > 0 ? environments / (rate / 2) : 0.02)}}s } }
            parallel: {{Math.Max(pool, 1)}}
            client: {{(pool > 0 ? $"{{ preset: pg, pool: {{ max: {pool} }} }}" : "{}")}}
          - name: ephemeral
            memory: 512
            strategy: per-invocation
            work: { exponential: { mean: 20ms } }
        server:
          preset: redis
          idleTimeout: 300s
        traffic:
          - function: cached
            every: { exponential: { mean: {{2 / rate}}s } }
          - function: ephemeral
            every: { exponential: { mean: {{2 / rate}}s } }
        """);

    public static FleetResult Run(double hours, double rate, int pool = 0, int environments = 0)
    {
        var scenario = ScenarioLoader.Load(Yaml(hours, rate, pool, environments), "fleet-benchmark");
        GC.Collect();
        var peak = new PeakMemory();
        var cpu = System.Environment.CpuUsage;
        long start = Stopwatch.GetTimestamp();
        var outcome = Simulation.Run(scenario, null, peak);
        double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var after = System.Environment.CpuUsage;
        double cpuSeconds = (after.UserTime + after.PrivilegedTime - cpu.UserTime - cpu.PrivilegedTime).TotalSeconds;
        using var self = Process.GetCurrentProcess();
        return new FleetResult(hours, rate, outcome.Summary.Requests, outcome.Events, wall, cpuSeconds, outcome.Events / cpuSeconds,
            peak.PeakBytes / 1048576.0, self.PeakWorkingSet64 / 1048576.0, outcome.Summary.PeakServerConnections);
    }

    /// <summary>Samples the managed heap at every time-series sample of the run.</summary>
    private sealed class PeakMemory : IRunObserver
    {
        public long PeakBytes { get; private set; }
        public void OnSample(Sample s) => PeakBytes = Math.Max(PeakBytes, GC.GetTotalMemory(false));
    }
}
