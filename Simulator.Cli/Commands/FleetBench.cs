using System.Diagnostics;
using System.Globalization;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Cli.Commands;

/// <summary>One run of the fleet benchmark.</summary>
/// <remarks><see cref="LiveConnections"/>, <see cref="LiveEnvironments"/> and <see cref="LiveHeapMb"/>: the largest count of
/// server connections at which the live heap was measured (after a full collection, from 100 connections up, each time
/// the count passed 1.25 times the last one measured), the environments alive then, and that heap less the heap before
/// the run. Null below 100 connections.</remarks>
public sealed record FleetResult(double Hours, double RatePerSecond, long Requests, long Events, double WallSeconds, double CpuSeconds,
    double EventsPerSecond, double PeakManagedMb, double PeakWorkingSetMb, int PeakServerConnections, int? LiveConnections = null,
    int? LiveEnvironments = null, double? LiveHeapMb = null);

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
        var peak = new PeakMemory(GC.GetTotalMemory(forceFullCollection: true));
        var cpu = System.Environment.CpuUsage;
        long start = Stopwatch.GetTimestamp();
        var outcome = Simulation.Run(scenario, null, peak);
        double wall = Stopwatch.GetElapsedTime(start).TotalSeconds - peak.Measuring.Wall;
        double cpuSeconds = Seconds(System.Environment.CpuUsage) - Seconds(cpu) - peak.Measuring.Cpu;
        using var self = Process.GetCurrentProcess();
        return new FleetResult(hours, rate, outcome.Summary.Requests, outcome.Events, wall, cpuSeconds, outcome.Events / cpuSeconds,
            peak.PeakBytes / 1048576.0, self.PeakWorkingSet64 / 1048576.0, outcome.Summary.PeakServerConnections,
            peak.Live?.Connections, peak.Live?.Environments, peak.Live is { } live ? live.Bytes / 1048576.0 : null);
    }

    private static double Seconds(System.Environment.ProcessCpuUsage u) => (u.UserTime + u.PrivilegedTime).TotalSeconds;

    /// <summary>Samples the managed heap at every time-series sample of the run, and the live heap (after a full
    /// collection, whose time is taken out of the run's) each time the server's connections pass 1.25 times the count
    /// last measured, from 100 up.</summary>
    private sealed class PeakMemory(long before) : IRunObserver
    {
        private const int From = 100;
        private const double Step = 1.25;
        private double _next = From;

        public long PeakBytes { get; private set; }
        public (int Connections, int Environments, long Bytes)? Live { get; private set; }
        public (double Cpu, double Wall) Measuring { get; private set; }

        public void OnSample(Sample s)
        {
            PeakBytes = Math.Max(PeakBytes, GC.GetTotalMemory(false));
            int connections = s.Server.Total;
            if (connections < _next)
                return;
            var cpu = System.Environment.CpuUsage;
            long start = Stopwatch.GetTimestamp();
            long live = GC.GetTotalMemory(forceFullCollection: true);
            Measuring = (Measuring.Cpu + Seconds(System.Environment.CpuUsage) - Seconds(cpu),
                Measuring.Wall + Stopwatch.GetElapsedTime(start).TotalSeconds);
            Live = (connections, s.EnvironmentsBusy + s.EnvironmentsIdle + s.EnvironmentsFrozen, live - before);
            _next = connections * Step;
        }
    }
}
