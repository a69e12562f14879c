using Zombiesim.Core.Checks;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Worlds;

/// <summary>What a run produced besides its records.</summary>
public sealed record RunOutcome(
    Scenario Scenario, ulong Seed, RunSummary Summary, IReadOnlyList<ExpectationResult> Expectations, long Events)
{
    public bool ExpectationsMet => Expectations.All(e => e.Met);
}

/// <summary>Runs a scenario and checks its expectations.</summary>
public static class Simulation
{
    public static RunOutcome Run(Scenario scenario, ulong? seed = null, params IRunObserver[] observers) =>
        Run(scenario, seed, null, null, observers);

    /// <summary>A run on a thread's <paramref name="storage"/>, emptied first, whose records and outcome are those of
    /// <see cref="Run(Scenario, ulong?, IRunObserver[])"/>; the summary's latencies are the storage's, so read them
    /// before its next run.</summary>
    public static RunOutcome Run(Scenario scenario, ulong? seed, RunStorage storage, params IRunObserver[] observers) =>
        Run(scenario, seed, null, null, observers, storage: storage);

    /// <summary>A run that reports, after each thousandth of its simulated time, the instant reached and the
    /// events run so far (for a progress line); its records are those of <see cref="Run(Scenario, ulong?, IRunObserver[])"/>.</summary>
    public static RunOutcome RunWithProgress(Scenario scenario, ulong? seed, Action<TimeSpan, long> progress,
        params IRunObserver[] observers) =>
        Run(scenario, seed, null, null, observers, progress: progress);

    /// <summary>A run whose draws come from <paramref name="choices"/> (exploration, replay);
    /// <paramref name="attach"/> sees the world before it starts. Without <paramref name="sampling"/>
    /// the summary has no counts over time (peaks, zombie-seconds).</summary>
    internal static RunOutcome Run(Scenario scenario, ulong? seed, IChoices? choices, Action<World>? attach, IRunObserver[] observers,
        bool sampling = true, Action<TimeSpan, long>? progress = null, RunStorage? storage = null)
    {
        storage?.Begin();
        try
        {
            var summary = storage is null ? new RunSummary() : new RunSummary(storage.Latency);
            var expectations = new Expectations(scenario);
            var fanout = new Fanout([summary, expectations, .. observers]);
            var world = new World(scenario, fanout, expectations, seed, choices, sampling, storage);
            attach?.Invoke(world);
            world.Run(progress);
            return new RunOutcome(scenario, world.Seed, summary, expectations.Results(), world.EventsExecuted);
        }
        finally
        {
            storage?.End();
        }
    }

    private sealed class Fanout(IRunObserver[] all) : IRunObserver
    {
        public bool WantsTransitions { get; } = all.Any(o => o.WantsTransitions);
        public bool KeepsSamples { get; } = all.Any(o => o.KeepsSamples);
        public bool WantsSegments { get; } = all.Any(o => o.WantsSegments);
        public void OnRequest(RequestRecord r) { foreach (var o in all) o.OnRequest(r); }
        public void OnTransition(TransitionRecord t) { foreach (var o in all) o.OnTransition(t); }
        public void OnSegment(SegmentRecord s) { foreach (var o in all) o.OnSegment(s); }
        public void OnLifecycle(LifecycleRecord l) { foreach (var o in all) o.OnLifecycle(l); }
        public void OnNote(NoteRecord n) { foreach (var o in all) o.OnNote(n); }
        public void OnSample(Sample s) { foreach (var o in all) o.OnSample(s); }
        public void OnIncident(string c, Incident i) { foreach (var o in all) o.OnIncident(c, i); }
    }
}
