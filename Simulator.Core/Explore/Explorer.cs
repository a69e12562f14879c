using System.Diagnostics;
using Microsoft.Coyote;
using Microsoft.Coyote.SystematicTesting;
using Zombiesim.Core.Checks;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Spec = Microsoft.Coyote.Specifications.Specification;

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
/// its list of choices, which <see cref="Replay"/> runs again exactly.
/// </summary>
public static class Explorer
{
    public static IReadOnlyList<Invariant> DefaultInvariants(Scenario s, IReadOnlyList<Invariant> given) =>
        given.Count > 0 || s.Expect.Count > 0 ? given : [new NoErrors(null, "no-errors")];

    public static ExploreResult Explore(Scenario scenario, ExploreOptions options, Action<string>? progress = null)
    {
        var invariants = DefaultInvariants(scenario, options.Invariants);
        var classes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var examples = new List<Example>();
        int iteration = 0, violating = 0;
        var menu = new CandidateMenu(options.Resolution); // every iteration asks for the same candidates
        var clock = Stopwatch.StartNew();

        void Iterate()
        {
            int number = ++iteration;
            var choices = new CoyoteChoices(menu);
            string? breach = null;
            var checker = new InvariantChecker(scenario, invariants, message => breach ??= message);
            var outcome = Simulation.Run(scenario, null, choices, world => checker.Attach(world.Census, world.Clock), [checker],
                sampling: false);
            checker.AtEnd(outcome);
            // The run goes to its end, so that its trace replays the whole timeline; the first
            // breach is then reported to Coyote.
            string signature = checker.Signature + (breach is null ? "" : "!");
            int seen = classes.GetValueOrDefault(signature);
            classes[signature] = seen + 1;
            if (seen == 0)
                examples.Add(new Example(number, signature, breach, choices.Log.ToArray()));
            if (breach is not null)
                violating++;
            if (progress is not null && number % 1000 == 0)
                progress($"explore: {number} iterations, {classes.Count} outcome classes, "
                    + $"{violating} violating, {number / clock.Elapsed.TotalSeconds:0} iterations/s");
            Spec.Assert(breach is null, (breach ?? "").Replace("{", "{{").Replace("}", "}}"));
        }

        var config = Configuration.Create()
            .WithTestingIterations((uint)options.Iterations)
            .WithRandomGeneratorSeed(options.Seed)
            .WithMaxSchedulingSteps((uint)options.MaxSteps, (uint)options.MaxSteps) // the same bound for fair and unfair strategies
            .WithFailureOnMaxStepsBoundEnabled(true)
            .WithTestIterationsRunToCompletion(true)
            .WithTelemetryEnabled(false)
            .WithConsoleLoggingEnabled(false)
            .WithVerbosityEnabled(Microsoft.Coyote.Logging.VerbosityLevel.None);
        config = options.Strategy switch
        {
            "random" => config.WithRandomStrategy(),
            "prioritization" => config.WithPrioritizationStrategy(),
            "probabilistic" => config.WithProbabilisticStrategy(),
            "portfolio" => config, // Coyote's default: a tuned portfolio of strategies
            _ => throw new UsageException("--strategy",
                $"'{options.Strategy}' is not a strategy: expected {string.Join(", ", ExploreOptions.Strategies)}"),
        };
        var engine = TestingEngine.Create(config, Iterate);
        // Coyote writes its progress to the console whatever the configuration says; our results
        // go to the caller's writers, so the console is silenced while it runs.
        var (stdout, stderr) = (Console.Out, Console.Error);
        Console.SetOut(TextWriter.Null);
        Console.SetError(TextWriter.Null);
        try
        {
            engine.Run();
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
        clock.Stop();
        var report = engine.TestReport;
        string? failure = report.BugReports.FirstOrDefault(b => b.Contains("bound", StringComparison.OrdinalIgnoreCase)
            && b.Contains("step", StringComparison.OrdinalIgnoreCase));
        if (failure is not null)
            failure = $"an iteration reached the scheduling-step bound ({options.MaxSteps:N0} choices) and was cut short: {failure}";
        return new ExploreResult(iteration, classes, examples, violating, failure,
            report.NumOfFoundBugs > 0 ? engine.ReproducibleTrace : null, clock.Elapsed.TotalSeconds);
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
