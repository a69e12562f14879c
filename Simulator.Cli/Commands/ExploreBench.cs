using System.Diagnostics;
using Zombiesim.Core.Explore;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Cli.Commands;

/// <summary>The explore benchmark: per repetition, iterations per CPU second and per wall second on one worker, per wall
/// second on every core, and the speed-up.</summary>
public sealed record ExploreBenchResult(int Iterations, IReadOnlyList<double> CpuIterationsPerSecond,
    IReadOnlyList<double> SerialWallIterationsPerSecond, IReadOnlyList<double> ParallelWallIterationsPerSecond, int Workers,
    IReadOnlyList<double> SpeedUp, double AllocatedKbPerIteration, string Classes);

/// <summary>
/// Coyote's exploration of scenarios/explore-upstash-2020.yaml (its text is kept here, so that the
/// benchmark does not depend on the working directory), after a warm-up exploration: on one worker, iterations
/// per CPU second of the process (every thread's: Coyote's, the GC's) and per wall second, and the bytes allocated
/// per iteration; on every core (`explore`'s default), iterations per wall second. The two alternate in order over
/// the repetitions, so that neither profits from running later. The outcome classes are reported too, and must be
/// the same on one worker and on all: a faster exploration must find the same.
/// </summary>
public static class ExploreBench
{
    public const string Yaml = """
        name: explore-upstash-2020
        seed: 1
        horizon: 700s
        platform:
          freeze: { after: 5s, mode: process }
          reap: { after: { uniform: [290s, 330s] } }
          coldStart: 200ms
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
            at: [0s, { uniform: [250s, 350s] }]
        expect:
          - at: 0s
            outcome: ok
        """;

    public static ExploreBenchResult Run(int iterations, int repetitions)
    {
        var scenario = ScenarioLoader.Load(Yaml, "explore-upstash-2020.yaml");
        var options = new ExploreOptions(iterations, "portfolio", 1, [], 1.0);
        int workers = System.Environment.ProcessorCount;
        Explorer.Explore(scenario, options, workers); // warm up: the JIT tiers up on the first iterations
        var cpu = new double[repetitions];
        var serial = new double[repetitions];
        var parallel = new double[repetitions];
        long allocated = 0;
        string classes = "";
        using var process = Process.GetCurrentProcess();
        for (int r = 0; r < repetitions; r++)
        {
            var all = r % 2 == 1 ? Measure(scenario, options, workers) : default;
            process.Refresh();
            var cpuStart = process.TotalProcessorTime;
            long bytes = GC.GetTotalAllocatedBytes(precise: true);
            var one = Measure(scenario, options, 1);
            allocated += GC.GetTotalAllocatedBytes(precise: true) - bytes;
            process.Refresh();
            cpu[r] = iterations / (process.TotalProcessorTime - cpuStart).TotalSeconds;
            serial[r] = one.WallRate;
            if (r % 2 == 0)
                all = Measure(scenario, options, workers);
            parallel[r] = all.WallRate;
            classes = one.Classes == all.Classes ? one.Classes
                : throw new InvalidOperationException(
                    $"one worker found {one.Classes}, {workers} found {all.Classes}: the exploration depends on its threads");
        }
        return new ExploreBenchResult(iterations, cpu, serial, parallel, workers, parallel.Zip(serial, (p, s) => p / s).ToArray(),
            allocated / 1024.0 / repetitions / iterations, classes);
    }

    /// <summary>One exploration's iterations per wall second and outcome classes.</summary>
    private static (double WallRate, string Classes) Measure(Scenario scenario, ExploreOptions options, int workers)
    {
        long start = Stopwatch.GetTimestamp();
        var result = Explorer.Explore(scenario, options, workers);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return (options.Iterations / seconds, string.Join(", ", result.OutcomeClasses.Select(kv => $"{kv.Key} {kv.Value}")));
    }
}
