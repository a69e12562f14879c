using Microsoft.Coyote;
using Microsoft.Coyote.SystematicTesting;
using Zombiesim.Core.Checks;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Spec = Microsoft.Coyote.Specifications.Specification;

namespace Zombiesim.Core.Explore;

/// <summary>
/// One shard of an exploration, on its own Coyote TestingEngine. Each Coyote iteration runs the scenario
/// <see cref="ExploreShards.Batch"/> times, each run an iteration of the exploration with Coyote choosing every drawn
/// value and same-instant order. It keeps the shard's outcome classes, the first example of each (numbered in the
/// whole exploration), its violating iterations, the first that reached the step bound and Coyote's trace of its first bug.
/// </summary>
internal sealed class ShardRun(Scenario scenario, IReadOnlyList<Invariant> invariants, ExploreOptions options, ExploreShard shard,
    ExploreProgress progress)
{
    public ExploreShard Shard => shard;
    public Dictionary<string, int> Classes { get; } = new(StringComparer.Ordinal);
    public List<Example> Examples { get; } = new();
    public int Iterations { get; private set; }
    public int Violating { get; private set; }

    /// <summary>What ended the shard's first iteration cut short (the step bound, or an exception of the model), if one was.</summary>
    public string? Failure { get; private set; }

    /// <summary>Coyote's reproducible trace of the shard's first buggy Coyote iteration (its runs' choices).</summary>
    public string? CoyoteTrace { get; private set; }

    private readonly CandidateMenu _menu = new(options.Resolution); // every iteration asks for the same candidates

    public void Run()
    {
        var engine = TestingEngine.Create(Configure(options, shard.Seed(options.Seed), shard.CoyoteIterations), RunBatch);
        // Coyote keeps the trace of the latest iteration once a bug is found: at the start of each iteration it still
        // holds the previous one's, which is taken when that one was the first to find a bug.
        engine.RegisterStartIterationCallBack(_ => TakeFirstTrace(engine));
        engine.Run();
        TakeFirstTrace(engine);
    }

    private void TakeFirstTrace(TestingEngine engine)
    {
        if (CoyoteTrace is null && engine.TestReport.NumOfFoundBugs > 0)
            CoyoteTrace = engine.ReproducibleTrace;
    }

    /// <summary>One Coyote iteration: the batch's runs, each to its end; the first breach is then reported to Coyote.</summary>
    private void RunBatch()
    {
        string? first = null;
        for (int k = 0; k < ExploreShards.Batch && Iterations < shard.Count; k++)
        {
            string? breach = Iterate();
            first ??= breach;
        }
        Spec.Assert(first is null, (first ?? "").Replace("{", "{{").Replace("}", "}}"));
    }

    /// <summary>One run; its breach, if any.</summary>
    private string? Iterate()
    {
        int number = shard.First + ++Iterations;
        var choices = new CoyoteChoices(_menu, options.MaxSteps);
        string? breach = null;
        var checker = new InvariantChecker(scenario, invariants, message => breach ??= message);
        try
        {
            var outcome = Simulation.Run(scenario, null, choices, world => checker.Attach(world.Census, world.Clock), [checker],
                sampling: false);
            checker.AtEnd(outcome);
        }
        catch (Exception e) when (e is not ThreadInterruptedException) // Coyote ends its threads with that one
        {
            // Cut short: no outcome class, and the exploration fails; the batch's other runs go on.
            string problem = e is StepBoundReached
                ? $"iteration {number} reached the step bound ({options.MaxSteps:N0} choices) and was cut short"
                : $"iteration {number} was cut short by an error of the model: {e.GetType().Name}: {e.Message}";
            Failure ??= problem;
            return problem;
        }
        // The run went to its end, so that its trace replays the whole timeline.
        string signature = checker.Signature + (breach is null ? "" : "!");
        int seen = Classes.GetValueOrDefault(signature);
        Classes[signature] = seen + 1;
        if (seen == 0)
            Examples.Add(new Example(number, signature, breach, choices.Log.ToArray()));
        if (breach is not null)
            Violating++;
        progress.Iterated(signature, breach is not null);
        return breach;
    }

    /// <summary>Coyote's configuration for <paramref name="iterations"/> iterations from <paramref name="seed"/>.</summary>
    public static Configuration Configure(ExploreOptions options, uint seed, int iterations)
    {
        var config = Configuration.Create()
            .WithTestingIterations((uint)iterations)
            .WithRandomGeneratorSeed(seed)
            // Each run keeps its own bound on choices (--max-steps); Coyote's would count a whole batch.
            .WithMaxSchedulingSteps(int.MaxValue, int.MaxValue)
            // A run is one thread, which cannot deadlock; Coyote's monitor would end an iteration that made no choice
            // for two wall-clock seconds (a loaded machine), so results would depend on the machine's load.
            .WithDeadlockTimeout(int.MaxValue)
            .WithTestIterationsRunToCompletion(true)
            .WithTelemetryEnabled(false)
            .WithConsoleLoggingEnabled(false)
            .WithVerbosityEnabled(Microsoft.Coyote.Logging.VerbosityLevel.None);
        return options.Strategy switch
        {
            "random" => config.WithRandomStrategy(),
            "prioritization" => config.WithPrioritizationStrategy(),
            "probabilistic" => config.WithProbabilisticStrategy(),
            "portfolio" => config, // Coyote's default: a tuned portfolio of strategies
            _ => throw new UsageException("--strategy",
                $"'{options.Strategy}' is not a strategy: expected {string.Join(", ", ExploreOptions.Strategies)}"),
        };
    }
}
