using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Zombiesim.Core.Checks;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Core.Explore;

/// <summary>How to explore.</summary>
public sealed record ExploreOptions(int Iterations, string Strategy, uint Seed, IReadOnlyList<Invariant> Invariants, double Resolution,
    int MaxSteps = 200_000)
{
    public static readonly string[] Strategies = ["random", "prioritization", "probabilistic", "portfolio"];
}

/// <summary>The first iteration of an outcome class: its choices, and its breach when it violates.</summary>
public sealed record Example(int Iteration, string Signature, string? Breach, IReadOnlyList<int> Choices);

public sealed record ExploreResult(
    int Iterations,
    IReadOnlyDictionary<string, int> OutcomeClasses,
    IReadOnlyList<Example> Examples,
    int ViolatingIterations,
    string? ExplorationFailure,
    string? CoyoteTrace,
    double Seconds)
{
    public double IterationsPerSecond => Iterations / Math.Max(Seconds, 1e-9);
    public IReadOnlyList<Example> Violations => Examples.Where(e => e.Breach is not null).ToList();
}

/// <summary>
/// Systematic exploration with Coyote's TestingEngine: each iteration runs the whole scenario with
/// Coyote choosing every drawn value (from its discretised candidates) and the order of events due
/// at the same instant. Invariants are Coyote specifications; every violating outcome class keeps
/// its list of choices, which <see cref="Replay"/> runs again exactly. The iterations are split into
/// shards (<see cref="ExploreShards"/>), each explored by its own engine (<see cref="ShardRun"/>), on as
/// many threads as asked.
/// </summary>
public static class Explorer
{
    public static IReadOnlyList<Invariant> DefaultInvariants(Scenario s, IReadOnlyList<Invariant> given) =>
        given.Count > 0 || s.Expect.Count > 0 ? given : [new NoErrors(null, "no-errors")];

    /// <summary>Explores on <paramref name="workers"/> threads: the iterations are split in <see cref="ExploreShards"/>,
    /// whatever the machine, and the shards' results merged in their order, so the result does not depend on the
    /// number of threads or their timing.</summary>
    public static ExploreResult Explore(Scenario scenario, ExploreOptions options, int workers = 1, Action<string>? progress = null)
    {
        ShardRun.Configure(options, options.Seed, 1); // a bad strategy is refused before any thread starts
        var invariants = DefaultInvariants(scenario, options.Invariants);
        var counter = new ExploreProgress(progress);
        var shards = ExploreShards.Of(options.Iterations).Select(s => new ShardRun(scenario, invariants, options, s, counter)).ToList();
        var clock = Stopwatch.StartNew();
        using (new QuietConsole())
            RunAll(shards, workers);
        clock.Stop();
        return Merge(shards, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Runs the shards on threads of their own, each taking the next shard not taken. Coyote's engine runs
    /// its iterations on the thread pool, so the pool gets a thread for each worker before they start.</summary>
    private static void RunAll(List<ShardRun> shards, int workers)
    {
        workers = Math.Clamp(workers, 1, Math.Max(1, shards.Count));
        ThreadPool.GetMinThreads(out int threads, out int io);
        if (threads < workers + Environment.ProcessorCount)
            ThreadPool.SetMinThreads(workers + Environment.ProcessorCount, io);
        int next = -1;
        var failures = new ExceptionDispatchInfo?[workers];
        var threadsRunning = Enumerable.Range(0, workers).Select(w => new Thread(() =>
        {
            try
            {
                for (int k = Interlocked.Increment(ref next); k < shards.Count; k = Interlocked.Increment(ref next))
                    shards[k].Run();
            }
            catch (Exception e)
            {
                failures[w] = ExceptionDispatchInfo.Capture(e);
                Interlocked.Exchange(ref next, shards.Count); // the others stop after their shard
            }
        })
        { IsBackground = true, Name = $"explore worker {w}" }).ToList();
        threadsRunning.ForEach(t => t.Start());
        threadsRunning.ForEach(t => t.Join());
        failures.FirstOrDefault(f => f is not null)?.Throw();
    }

    /// <summary>The shards' results in shard order: counts add up, and the first example of a class, the first
    /// iteration cut short and the first Coyote trace are those of the earliest shard (its iterations come first).</summary>
    private static ExploreResult Merge(List<ShardRun> shards, double seconds)
    {
        var classes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var examples = new List<Example>();
        foreach (var shard in shards)
        {
            foreach (var (signature, count) in shard.Classes)
                classes[signature] = classes.GetValueOrDefault(signature) + count;
            examples.AddRange(shard.Examples.Where(e => !examples.Any(x => x.Signature == e.Signature)));
        }
        string? failure = shards.Select(s => s.Failure).FirstOrDefault(f => f is not null);
        return new ExploreResult(shards.Sum(s => s.Iterations), classes, examples, shards.Sum(s => s.Violating), failure,
            shards.Select(s => s.CoyoteTrace).FirstOrDefault(t => t is not null), seconds);
    }

    /// <summary>Runs the schedule of a trace again; returns the run and the breaches it shows.</summary>
    public static (RunOutcome Outcome, IReadOnlyList<string> Breaches) Replay(Scenario scenario, ExploreTrace trace,
        params IRunObserver[] observers)
    {
        trace.CheckRecordedOn(scenario);
        var breaches = new List<string>();
        var invariants = trace.Invariants.Select(Invariant.Parse).ToList();
        var checker = new InvariantChecker(scenario, DefaultInvariants(scenario, invariants), breaches.Add);
        var outcome = Simulation.Run(scenario, null, new ReplayChoices(trace.Resolution, trace.Choices),
            world => checker.Attach(world.Census, world.Clock), [checker, .. observers]);
        checker.AtEnd(outcome);
        return (outcome, breaches);
    }
}
