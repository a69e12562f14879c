using Zombiesim.Core.Engine;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;
using CoyoteGenerator = Microsoft.Coyote.Random.Generator;

namespace Zombiesim.Core.Explore;

/// <summary>The candidates of each distribution on a grid of <paramref name="resolution"/> seconds, computed
/// on first use and kept (an exploration's iterations share one menu: they all ask for the same).</summary>
public sealed class CandidateMenu(double resolution)
{
    private readonly Dictionary<Distribution, IReadOnlyList<double>> _candidates = new(ReferenceEqualityComparer.Instance);

    public IReadOnlyList<double> Of(Distribution distribution)
    {
        if (!_candidates.TryGetValue(distribution, out var values))
            _candidates[distribution] = values = distribution.Candidates(resolution);
        return values;
    }
}

/// <summary>
/// Choices made from a finite menu: each duration is one of its distribution's candidates, each
/// same-instant order one of the events due, each other draw a small integer. Every choice is an
/// integer below a bound, so a run is reproduced by its list of integers.
/// </summary>
public abstract class DiscreteChoices(CandidateMenu menu) : IDiscreteChoices, ISameInstantOrder
{
    /// <summary>An integer in [0, bound); never asked when there is only one possibility.</summary>
    protected abstract int Choose(int bound);

    private int Pick(int bound) => bound <= 1 ? 0 : Choose(bound);

    public TimeSpan ChooseDuration(Distribution distribution)
    {
        var values = menu.Of(distribution);
        return DurationText.FromSeconds(values[Pick(values.Count)]);
    }

    /// <summary>Observation events run first and are no choice, so that sampling or not does not
    /// change the schedule (explore runs without samples, replay with them).</summary>
    public int ChooseNext(ReadOnlySpan<ScheduledEvent> candidates)
    {
        for (int i = 0; i < candidates.Length; i++)
            if (candidates[i].Handler is ObservationEvent) return i;
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

/// <summary>Choices from Coyote's controlled generator, recorded so that a run can be replayed without Coyote; a run
/// that asks for more than <paramref name="maxChoices"/> is cut short (<see cref="StepBoundReached"/>).</summary>
public sealed class CoyoteChoices(CandidateMenu menu, int maxChoices) : DiscreteChoices(menu)
{
    private readonly CoyoteGenerator _generator = CoyoteGenerator.Create();
    public List<int> Log { get; } = new();

    protected override int Choose(int bound)
    {
        if (Log.Count >= maxChoices)
            throw new StepBoundReached();
        int v = _generator.NextInteger(bound);
        Log.Add(v);
        return v;
    }
}

/// <summary>A run under exploration asked for more choices than its bound (explore --max-steps).</summary>
public sealed class StepBoundReached() : Exception("the run asked for more choices than its bound");

/// <summary>Choices read back from a recorded list.</summary>
public sealed class ReplayChoices(double resolution, IReadOnlyList<int> log) : DiscreteChoices(new CandidateMenu(resolution))
{
    private int _next;

    protected override int Choose(int bound)
    {
        if (_next >= log.Count)
            throw new UsageException("the trace",
                $"it ends after {log.Count} choices but the run asks for more: it was recorded by another version of zombiesim, or edited");
        int v = log[_next++];
        if (v < 0 || v >= bound)
            throw new UsageException("the trace",
                $"its choice {_next} is {v}, but this run offers {bound} possibilities: "
                    + "it was recorded by another version of zombiesim, or edited");
        return v;
    }
}
