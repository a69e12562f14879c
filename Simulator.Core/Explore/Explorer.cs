using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Coyote;
using Microsoft.Coyote.SystematicTesting;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.World;
using Zombiesim.Tcp;
using CoyoteGenerator = Microsoft.Coyote.Random.Generator;
using Spec = Microsoft.Coyote.Specifications.Specification;

namespace Zombiesim.Core.Explore;

/// <summary>
/// Choices made from a finite menu: each duration is one of its distribution's candidates, each
/// same-instant order one of the events due, each other draw a small integer. Every choice is an
/// integer below a bound, so a run is reproduced by its list of integers.
/// </summary>
public abstract class DiscreteChoices(double resolution) : IDiscreteChoices, ISameInstantOrder
{
    private readonly Dictionary<Distribution, IReadOnlyList<double>> _candidates = new(ReferenceEqualityComparer.Instance);

    /// <summary>An integer in [0, bound); never asked when there is only one possibility.</summary>
    protected abstract int Choose(int bound);

    private int Pick(int bound) => bound <= 1 ? 0 : Choose(bound);

    public TimeSpan ChooseDuration(Distribution distribution)
    {
        if (!_candidates.TryGetValue(distribution, out var values))
            _candidates[distribution] = values = distribution.Candidates(resolution);
        double v = values[Pick(values.Count)];
        return TimeSpan.FromTicks((long)Math.Round(v * TimeSpan.TicksPerSecond));
    }

    /// <summary>Observation events run first and are no choice, so that sampling or not does not
    /// change the schedule (explore runs without samples, replay with them).</summary>
    public int ChooseNext(ReadOnlySpan<ScheduledEvent> candidates)
    {
        for (int i = 0; i < candidates.Length; i++)
            if (candidates[i].Handler is IObservationEvent) return i;
        return Pick(candidates.Length);
    }

    public long NextInt64(long minInclusive, long maxExclusive)
    {
        long range = maxExclusive - minInclusive;
        return range <= 1000 ? minInclusive + Pick((int)range) : minInclusive + (long)((double)range * Pick(1000) / 1000);
    }

    public double NextDouble() => Pick(1000) / 1000.0;
    public bool NextBoolean() => Pick(2) == 1;
    public int ChooseFirst(int count) => Pick(count);

    /// <summary>One menu for the whole world: the exploration owns every choice.</summary>
    public IChoices Stream(string name) => this;
}

/// <summary>Choices from Coyote's controlled generator, recorded so that a run can be replayed without Coyote.</summary>
public sealed class CoyoteChoices(double resolution) : DiscreteChoices(resolution)
{
    private readonly CoyoteGenerator _generator = CoyoteGenerator.Create();
    public List<int> Log { get; } = new();

    protected override int Choose(int bound)
    {
        int v = _generator.NextInteger(bound);
        Log.Add(v);
        return v;
    }
}

/// <summary>Choices read back from a recorded list.</summary>
public sealed class ReplayChoices(double resolution, IReadOnlyList<int> log) : DiscreteChoices(resolution)
{
    private int _next;

    protected override int Choose(int bound)
    {
        if (_next >= log.Count)
            throw new ScenarioException("trace", 1, 1, $"the trace ends after {log.Count} choices but the run asks for more: it was recorded from a different scenario or version");
        int v = log[_next++];
        if (v < 0 || v >= bound)
            throw new ScenarioException("trace", 1, 1, $"choice {_next} of the trace is {v}, but this run offers {bound} possibilities: it was recorded from a different scenario or version");
        return v;
    }
}

/// <summary>A property every run must keep. Built-ins are chosen by --invariant; the scenario's
/// expectations are invariants too.</summary>
public abstract record Invariant(string Text)
{
    public static readonly string Syntax = "no-errors, no-errors:EOF,ECONNRESET (these outcomes), hard-limit, zombies<=N, gone-within=DURATION";

    public static Invariant Parse(string text)
    {
        string t = text.Trim();
        if (t == "no-errors")
            return new NoErrors(null, t);
        if (t.StartsWith("no-errors:", StringComparison.Ordinal))
        {
            var set = new HashSet<Outcome>();
            foreach (var word in t[10..].Split(',').Select(x => x.Trim()).Where(x => x.Length > 0))
            {
                if (!OutcomeNames.TryParse(word, out Outcome o) || o == Outcome.Ok)
                    throw new UsageException("--invariant", $"'{word}' is not an error outcome: expected some of {string.Join(", ", OutcomeNames.ErrorWords)}");
                set.Add(o);
            }
            return new NoErrors(set, t);
        }
        if (t == "hard-limit")
            return new HardLimit(t);
        if (t.StartsWith("zombies<=", StringComparison.Ordinal) && int.TryParse(t[9..], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            return new ZombiesAtMost(n, t);
        if (t.StartsWith("gone-within=", StringComparison.Ordinal))
        {
            if (!DurationText.TryParse(t[12..], out var d, out var error))
                throw new UsageException("--invariant", $"gone-within: {error}");
            return new GoneWithin(d, t);
        }
        throw new UsageException("--invariant", $"'{t}' is not an invariant: expected one of {Syntax}");
    }
}

public sealed record NoErrors(IReadOnlySet<Outcome>? Outcomes, string Text) : Invariant(Text);
public sealed record HardLimit(string Text) : Invariant(Text);
public sealed record ZombiesAtMost(int Max, string Text) : Invariant(Text);
public sealed record GoneWithin(TimeSpan Limit, string Text) : Invariant(Text);

/// <summary>Checks invariants as a run goes, reporting each breach with what, where and when.</summary>
internal sealed class InvariantChecker(Scenario scenario, IReadOnlyList<Invariant> invariants, Action<string> breach) : IRunObserver
{
    private World.World? _world;
    private readonly List<string> _outcomes = new();

    public bool WantsTransitions => invariants.Any(i => i is HardLimit or ZombiesAtMost);
    public string Signature => string.Join(",", _outcomes);

    public void Attach(World.World world) => _world = world;

    public void OnRequest(RequestRecord r)
    {
        _outcomes.Add(r.Outcome.Name());
        foreach (var inv in invariants.OfType<NoErrors>())
        {
            if (!r.Ok && (inv.Outcomes is null || inv.Outcomes.Contains(r.Outcome)))
                breach($"[{inv.Text}] the request at {Instant.Format(r.T)} of {r.Function} ({r.Environment}) failed: {r.Outcome.Name()}{(r.Origin is null ? "" : $" ({r.Origin.Value.Name()})")}{(r.Cause is null ? "" : ": " + r.Cause.Text())}");
        }
    }

    public void OnTransition(TransitionRecord t)
    {
        if (_world is null || t.Host != "server")
            return;
        foreach (var inv in invariants)
        {
            switch (inv)
            {
                case HardLimit when t.To == TcpState.Established && (scenario.Server.HardLimit ?? scenario.Server.MaxClients) is { } limit:
                    int open = _world.ServerConnectionsOpen();
                    if (open > limit)
                        breach($"[{inv.Text}] at {Instant.Format(t.T)} the server holds {open} connections, above its limit of {limit} ({t.Connection} just established)");
                    break;
                case ZombiesAtMost z:
                    CheckZombies(z, t.T);
                    break;
            }
        }
    }

    public void OnLifecycle(LifecycleRecord l)
    {
        if (_world is null)
            return;
        foreach (var inv in invariants)
        {
            if (inv is ZombiesAtMost z && l.Event is LifecycleEvent.Frozen or LifecycleEvent.Destroyed)
                CheckZombies(z, l.T);
            if (inv is GoneWithin g && l.Event == LifecycleEvent.Destroyed && _world.AddressOf(l.Environment) is { } address)
            {
                var world = _world;
                world.Schedule(l.T + g.Limit, () =>
                {
                    int left = world.ServerConnectionsOf(address);
                    if (left > 0)
                        breach($"[{g.Text}] {l.Environment} was destroyed at {Instant.Format(l.T)}, and {DurationText.Format(g.Limit)} later the server still holds {left} of its connections");
                });
            }
        }
    }

    private void CheckZombies(ZombiesAtMost z, TimeSpan at)
    {
        int zombies = _world!.Zombies();
        if (zombies > z.Max)
            breach($"[{z.Text}] at {Instant.Format(at)} the server holds {zombies} zombie connections, above {z.Max}");
    }

    public void AtEnd(RunOutcome outcome)
    {
        foreach (var e in outcome.Expectations.Where(e => !e.Met))
            breach($"[expect] {e.Text}: got {e.Actual}");
    }
}

/// <summary>How to explore.</summary>
public sealed record ExploreOptions(int Iterations, string Strategy, uint Seed, IReadOnlyList<Invariant> Invariants, double Resolution, int MaxSteps = 200_000)
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
        var clock = Stopwatch.StartNew();

        void Iterate()
        {
            int number = ++iteration;
            var choices = new CoyoteChoices(options.Resolution);
            string? breach = null;
            var checker = new InvariantChecker(scenario, invariants, message => breach ??= message);
            var outcome = Simulation.Run(scenario, null, choices, checker.Attach, [checker], sampling: false);
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
                progress($"explore: {number} iterations, {classes.Count} outcome classes, {violating} violating, {number / clock.Elapsed.TotalSeconds:0} iterations/s");
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
            _ => throw new UsageException("--strategy", $"'{options.Strategy}' is not a strategy: expected {string.Join(", ", ExploreOptions.Strategies)}"),
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
        string? failure = report.BugReports.FirstOrDefault(b => b.Contains("bound", StringComparison.OrdinalIgnoreCase) && b.Contains("step", StringComparison.OrdinalIgnoreCase));
        if (failure is not null)
            failure = $"an iteration reached the scheduling-step bound ({options.MaxSteps:N0} choices) and was cut short: {failure}";
        return new ExploreResult(iteration, classes, examples, violating, failure,
            report.NumOfFoundBugs > 0 ? engine.ReproducibleTrace : null, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Runs the schedule of a trace again; returns the run and the breaches it shows.</summary>
    public static (RunOutcome Outcome, IReadOnlyList<string> Breaches) Replay(Scenario scenario, ExploreTrace trace, params IRunObserver[] observers)
    {
        var breaches = new List<string>();
        var invariants = trace.Invariants.Select(Invariant.Parse).ToList();
        var checker = new InvariantChecker(scenario, DefaultInvariants(scenario, invariants), breaches.Add);
        var outcome = Simulation.Run(scenario, null, new ReplayChoices(trace.Resolution, trace.Choices), checker.Attach, [checker, .. observers]);
        checker.AtEnd(outcome);
        return (outcome, breaches);
    }
}

/// <summary>
/// A replayable schedule: the choices of one iteration, with what they were recorded against. The
/// file also carries Coyote's own reproducible trace of the exploration's first bug when there is
/// one, for Coyote's tools.
/// </summary>
public sealed record ExploreTrace(string ScenarioName, IReadOnlyList<string> Sets, double Resolution, IReadOnlyList<string> Invariants, IReadOnlyList<int> Choices, string Message, string? CoyoteTrace)
{
    public string ToJson() => new JsonObject
    {
        ["kind"] = "zombiesim-trace",
        ["scenario"] = ScenarioName,
        ["sets"] = new JsonArray(Sets.Select(x => (JsonNode)x).ToArray()),
        ["resolutionSeconds"] = Resolution,
        ["invariants"] = new JsonArray(Invariants.Select(i => (JsonNode)i).ToArray()),
        ["violation"] = Message,
        ["choices"] = new JsonArray(Choices.Select(c => (JsonNode)c).ToArray()),
        ["coyoteTrace"] = CoyoteTrace,
    }.ToJsonString();

    public static ExploreTrace Read(string path)
    {
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            if (o["kind"]?.GetValue<string>() != "zombiesim-trace")
                throw new ScenarioException(path, 1, 1, "not a zombiesim trace (written by `zombiesim explore`)");
            return new ExploreTrace(o["scenario"]!.GetValue<string>(), o["sets"]!.AsArray().Select(x => x!.GetValue<string>()).ToList(),
                o["resolutionSeconds"]!.GetValue<double>(),
                o["invariants"]!.AsArray().Select(x => x!.GetValue<string>()).ToList(),
                o["choices"]!.AsArray().Select(x => x!.GetValue<int>()).ToList(),
                o["violation"]?.GetValue<string>() ?? "", o["coyoteTrace"]?.GetValue<string>());
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new ScenarioException(path, 1, 1, $"not a readable zombiesim trace: {e.Message}");
        }
        catch (IOException e)
        {
            throw new ScenarioException(path, 0, 0, $"cannot read the file: {e.Message}");
        }
    }
}
