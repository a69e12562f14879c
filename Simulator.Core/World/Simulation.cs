using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.World;

/// <summary>One expectation of the scenario and whether the run met it.</summary>
public sealed record ExpectationResult(string Text, bool Met, string Actual);

/// <summary>What a run produced besides its records.</summary>
public sealed record RunOutcome(Scenario Scenario, ulong Seed, RunSummary Summary, IReadOnlyList<ExpectationResult> Expectations, long Events)
{
    public bool ExpectationsMet => Expectations.All(e => e.Met);
}

/// <summary>Runs a scenario and checks its expectations.</summary>
public static class Simulation
{
    public static RunOutcome Run(Scenario scenario, ulong? seed = null, params IRunObserver[] observers) =>
        Run(scenario, seed, null, null, observers);

    /// <summary>A run whose draws come from <paramref name="choices"/> (exploration, replay);
    /// <paramref name="attach"/> sees the world before it starts. Without <paramref name="sampling"/>
    /// the summary has no counts over time (peaks, zombie-seconds).</summary>
    public static RunOutcome Run(Scenario scenario, ulong? seed, IChoices? choices, Action<World>? attach, IRunObserver[] observers, bool sampling = true)
    {
        var summary = new RunSummary();
        var checker = new ExpectationChecker(scenario);
        var fanout = new Fanout([summary, checker, .. observers]);
        var world = new World(scenario, fanout, seed, choices, sampling);
        attach?.Invoke(world);
        world.Run();
        return new RunOutcome(scenario, world.Seed, summary, checker.Results(world), world.EventsExecuted);
    }

    private sealed class Fanout(IRunObserver[] all) : IRunObserver
    {
        public bool WantsTransitions { get; } = all.Any(o => o.WantsTransitions);
        public bool KeepsSamples { get; } = all.Any(o => o.KeepsSamples);
        public void OnRequest(RequestRecord r) { foreach (var o in all) o.OnRequest(r); }
        public void OnTransition(TransitionRecord t) { foreach (var o in all) o.OnTransition(t); }
        public void OnLifecycle(LifecycleRecord l) { foreach (var o in all) o.OnLifecycle(l); }
        public void OnNote(NoteRecord n) { foreach (var o in all) o.OnNote(n); }
        public void OnSample(Sample s) { foreach (var o in all) o.OnSample(s); }
    }

    /// <summary>Evaluates outcome expectations as requests stream by (no request list is kept).</summary>
    private sealed class ExpectationChecker(Scenario scenario) : IRunObserver
    {
        private readonly Dictionary<ExpectSpec, List<RequestRecord>> _at = new();
        private readonly Dictionary<ExpectSpec, int> _counts = new();

        public void OnRequest(RequestRecord r)
        {
            foreach (var x in scenario.Expect)
            {
                if (x.Kind != ExpectKind.Outcome || (x.Function is not null && x.Function != r.Function))
                    continue;
                if (x.At is { } at)
                {
                    if (r.T == at)
                        (_at.TryGetValue(x, out var l) ? l : _at[x] = new()).Add(r);
                }
                else if (Matches(x, r))
                {
                    _counts[x] = _counts.GetValueOrDefault(x) + 1;
                }
            }
        }

        private static bool Matches(ExpectSpec x, RequestRecord r) =>
            (x.AnyError ? !r.Ok : x.Outcome is null || x.Outcome == r.Outcome)
            && (x.Origin is null || x.Origin == r.Origin);

        public IReadOnlyList<ExpectationResult> Results(World world)
        {
            var results = new List<ExpectationResult>();
            foreach (var x in scenario.Expect)
            {
                switch (x.Kind)
                {
                    case ExpectKind.Outcome when x.At is not null:
                    {
                        var rs = _at.GetValueOrDefault(x) ?? [];
                        if (rs.Count == 0)
                        {
                            results.Add(new(x.Text, false, "no request started at that instant"));
                            break;
                        }
                        var r = rs[0];
                        string actual = $"{r.Outcome.Name()}{(r.Origin is null ? "" : $" ({r.Origin.Value.Name()})")}" + (rs.Count > 1 ? $" (first of {rs.Count} requests then)" : "");
                        results.Add(new(x.Text, Matches(x, r), actual));
                        break;
                    }
                    case ExpectKind.Outcome:
                    {
                        int n = _counts.GetValueOrDefault(x);
                        bool met = (x.Count is null || n == x.Count) && (x.AtLeast is null || n >= x.AtLeast) && (x.AtMost is null || n <= x.AtMost);
                        results.Add(new(x.Text, met, $"{n}"));
                        break;
                    }
                    default:
                    {
                        int? n = world.ProbeResult(x);
                        results.Add(new(x.Text, n == x.Count, n is null ? "not counted (after the horizon?)" : $"{n}"));
                        break;
                    }
                }
            }
            return results;
        }
    }
}
