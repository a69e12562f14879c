using Microsoft.Coyote;
using Microsoft.Coyote.SystematicTesting;
using Zombiesim.Core.Checks;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Spec = Microsoft.Coyote.Specifications.Specification;

namespace Zombiesim.Core.Explore;

/// <summary>
/// One shard of an exploration, on its own Coyote TestingEngine: each iteration runs the whole scenario with
/// Coyote choosing every drawn value and same-instant order. It keeps the shard's outcome classes, the first
/// example of each (numbered in the whole exploration), its violating iterations and Coyote's trace of its first bug.
/// </summary>
internal sealed class ShardRun(Scenario scenario, IReadOnlyList<Invariant> invariants, ExploreOptions options, ExploreShard shard,
    ExploreProgress progress)
{
    public ExploreShard Shard => shard;
    public Dictionary<string, int> Classes { get; } = new(StringComparer.Ordinal);
    public List<Example> Examples { get; } = new();
    public int Iterations { get; private set; }
    public int Violating { get; private set; }

    /// <summary>Coyote's report of an iteration that reached the step bound, if one did.</summary>
    public string? StepBoundFailure { get; private set; }

    /// <summary>Coyote's reproducible trace of the shard's first buggy iteration.</summary>
    public string? CoyoteTrace { get; private set; }

    private readonly CandidateMenu _menu = new(options.Resolution); // every iteration asks for the same candidates

    public void Run()
    {
        var engine = TestingEngine.Create(Configure(options, shard.Seed(options.Seed), shard.Count), Iterate);
        // Coyote keeps the trace of the latest iteration once a bug is found: at the start of each iteration it still
        // holds the previous one's, which is taken when that one was the first to find a bug.
        engine.RegisterStartIterationCallBack(_ => TakeFirstTrace(engine));
        engine.Run();
        TakeFirstTrace(engine);
        var report = engine.TestReport;
        StepBoundFailure = report.BugReports.FirstOrDefault(b => b.Contains("bound", StringComparison.OrdinalIgnoreCase)
            && b.Contains("step", StringComparison.OrdinalIgnoreCase));
    }

    private void TakeFirstTrace(TestingEngine engine)
    {
        if (CoyoteTrace is null && engine.TestReport.NumOfFoundBugs > 0)
            CoyoteTrace = engine.ReproducibleTrace;
    }

    private void Iterate()
    {
        int number = shard.First + ++Iterations;
        var choices = new CoyoteChoices(_menu);
        string? breach = null;
        var checker = new InvariantChecker(scenario, invariants, message => breach ??= message);
        var outcome = Simulation.Run(scenario, null, choices, world => checker.Attach(world.Census, world.Clock), [checker],
            sampling: false);
        checker.AtEnd(outcome);
        // The run goes to its end, so that its trace replays the whole timeline; the first
        // breach is then reported to Coyote.
        string signature = checker.Signature + (breach is null ? "" : "!");
        int seen = Classes.GetValueOrDefault(signature);
        Classes[signature] = seen + 1;
        if (seen == 0)
            Examples.Add(new Example(number, signature, breach, choices.Log.ToArray()));
        if (breach is not null)
            Violating++;
        progress.Iterated(signature, breach is not null);
        Spec.Assert(breach is null, (breach ?? "").Replace("{", "{{").Replace("}", "}}"));
    }

    /// <summary>Coyote's configuration for <paramref name="iterations"/> iterations from <paramref name="seed"/>.</summary>
    public static Configuration Configure(ExploreOptions options, uint seed, int iterations)
    {
        var config = Configuration.Create()
            .WithTestingIterations((uint)iterations)
            .WithRandomGeneratorSeed(seed)
            .WithMaxSchedulingSteps((uint)options.MaxSteps, (uint)options.MaxSteps) // the same bound for fair and unfair strategies
            .WithFailureOnMaxStepsBoundEnabled(true)
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
