using System.Diagnostics;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Cli.Commands;

public sealed record SearchBenchResult(string Scenario, int Runs, double SerialRunsPerSecond, double ParallelRunsPerSecond, int Workers,
    double SpeedUp, double AllocatedMbPerRun);

/// <summary>
/// The inner loop of a search: independent runs of one scenario with seeds 1..n, first on one
/// worker, then on every core, as `zombiesim search` runs them. Reports runs per second of both
/// and the speed-up.
/// </summary>
public static class SearchBench
{
    /// <summary>The scenarios, each with how many runs it gets per --runs (a 2020 run takes about
    /// 1 ms, a fleet run about 100 ms: ten times the runs keep the short one measurable).</summary>
    public static IEnumerable<(string Name, string Yaml, int RunsFactor)> Scenarios()
    {
        yield return ("upstash-2020", """
            name: upstash-2020
            horizon: 800s
            platform:
              freeze: { after: 5s }
              reap: { after: 300s }
            functions:
              - name: hello
                memory: 1024
                timeout: 30s
                client: { commandTimeout: 5s }
            server:
              preset: generic
              idleTimeout: 300s
            traffic:
              - function: hello
                at: [0s, { uniform: [5s, 400s] }]
            """, 10);
        yield return ("fleet", FleetBench.Yaml(hours: 0.25, rate: 20), 1);
    }

    public static SearchBenchResult Run(string name, string yaml, int runs)
    {
        var scenario = ScenarioLoader.Load(yaml, name);
        int workers = System.Environment.ProcessorCount;
        Measure(scenario, runs, workers); // warm up: the JIT tiers up on the first runs
        // Interleaved, best of two each, so neither side profits from running later.
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        Measure(scenario, runs, 1);
        double mbPerRun = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576.0 / runs;
        double serial = 0, parallel = 0;
        for (int round = 0; round < 2; round++)
        {
            serial = Math.Max(serial, Measure(scenario, runs, 1));
            parallel = Math.Max(parallel, Measure(scenario, runs, workers));
        }
        return new SearchBenchResult(name, runs, serial, parallel, workers, parallel / serial, mbPerRun);
    }

    private static double Measure(Scenario scenario, int runs, int workers)
    {
        long start = Stopwatch.GetTimestamp();
        Parallel.For(0, runs, new ParallelOptions { MaxDegreeOfParallelism = workers }, i => Simulation.Run(scenario, (ulong)i + 1));
        return runs / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
