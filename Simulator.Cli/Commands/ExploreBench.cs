using System.Diagnostics;
using Zombiesim.Core.Explore;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Cli.Commands;

/// <summary>One repetition of the explore benchmark.</summary>
public sealed record ExploreBenchResult(int Iterations, IReadOnlyList<double> CpuIterationsPerSecond,
    IReadOnlyList<double> WallIterationsPerSecond, double AllocatedKbPerIteration, string Classes);

/// <summary>
/// Coyote's exploration of scenarios/explore-upstash-2020.yaml (its text is kept here, so that the
/// benchmark does not depend on the working directory): iterations per CPU second of the process (every
/// thread's: Coyote's, the GC's) and per wall second, after a warm-up exploration, and the bytes
/// allocated per iteration. The outcome classes are reported too: a faster exploration must find the same.
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
        Explorer.Explore(scenario, options); // warm up: the JIT tiers up on the first iterations
        var cpu = new double[repetitions];
        var wall = new double[repetitions];
        long allocated = 0;
        string classes = "";
        using var process = Process.GetCurrentProcess();
        for (int r = 0; r < repetitions; r++)
        {
            process.Refresh();
            var cpuStart = process.TotalProcessorTime;
            long bytes = GC.GetTotalAllocatedBytes(precise: true);
            long start = Stopwatch.GetTimestamp();
            var result = Explorer.Explore(scenario, options);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            allocated += GC.GetTotalAllocatedBytes(precise: true) - bytes;
            process.Refresh();
            cpu[r] = iterations / (process.TotalProcessorTime - cpuStart).TotalSeconds;
            wall[r] = iterations / seconds;
            classes = string.Join(", ", result.OutcomeClasses.Select(kv => $"{kv.Key} {kv.Value}"));
        }
        return new ExploreBenchResult(iterations, cpu, wall, allocated / 1024.0 / repetitions / iterations, classes);
    }
}
