using System.Diagnostics;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Cli.Commands;

/// <summary>One scenario of the search benchmark: per repetition, runs per wall second on one worker
/// and on all, and their ratio.</summary>
public sealed record SearchBenchResult(string Scenario, int Runs, IReadOnlyList<double> SerialRunsPerSecond,
    IReadOnlyList<double> ParallelRunsPerSecond, int Workers, IReadOnlyList<double> SpeedUp, double AllocatedMbPerRun);

/// <summary>
/// The inner loop of a search: independent runs of one scenario with seeds 1..n, first on one
/// worker, then on every core, as `zombiesim search` runs them. Reports runs per wall second of both
/// and the speed-up, per repetition (the two alternate in order, so neither profits from running later).
/// </summary>
public static class SearchBench
{
    /// <summary>The scenarios, each with how many runs it gets per --runs (a 2020 run takes about 0.1 ms, a fleet run
    /// about 55 ms: fifty times the runs give the short one a second or more a measurement, where the machine's own
    /// hiccups of a few milliseconds no longer decide its speed-up).</summary>
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
            """, 50);
        yield return ("fleet", FleetBench.Yaml(hours: 0.25, rate: 20), 1);
    }

    public static SearchBenchResult Run(string name, string yaml, int runs, int repetitions = 2)
    {
        var scenario = ScenarioLoader.Load(yaml, name);
        int workers = System.Environment.ProcessorCount;
        Measure(scenario, runs, workers); // warm up: the JIT tiers up on the first runs
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        Measure(scenario, runs, 1);
        double mbPerRun = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1048576.0 / runs;
        var serial = new double[repetitions];
        var parallel = new double[repetitions];
        for (int r = 0; r < repetitions; r++)
        {
            if (r % 2 == 0)
            {
                serial[r] = Measure(scenario, runs, 1);
                parallel[r] = Measure(scenario, runs, workers);
            }
            else
            {
                parallel[r] = Measure(scenario, runs, workers);
                serial[r] = Measure(scenario, runs, 1);
            }
        }
        return new SearchBenchResult(name, runs, serial, parallel, workers, parallel.Zip(serial, (p, s) => p / s).ToArray(), mbPerRun);
    }

    private static double Measure(Scenario scenario, int runs, int workers)
    {
        long start = Stopwatch.GetTimestamp();
        using var storage = new ThreadLocal<RunStorage>(() => new RunStorage()); // as a search's workers keep theirs
        Parallel.For(0, runs, new ParallelOptions { MaxDegreeOfParallelism = workers },
            i => Simulation.Run(scenario, (ulong)i + 1, storage.Value!));
        return runs / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
