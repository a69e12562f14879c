namespace Zombiesim.Core.Explore;

/// <summary>A shard of an exploration: the consecutive iterations numbered from <paramref name="First"/> + 1 on.</summary>
public readonly record struct ExploreShard(int Index, int First, int Count)
{
    /// <summary>Coyote iterations the shard's engine runs: each runs <see cref="ExploreShards.Batch"/> of the
    /// exploration's iterations (the last one may run fewer).</summary>
    public int CoyoteIterations => (Count + ExploreShards.Batch - 1) / ExploreShards.Batch;

    /// <summary>The seed of the shard's own Coyote engine. Coyote gives iteration k of an engine seeded s the seed s + k,
    /// so Coyote iteration First / Batch + k of the exploration runs with the exploration's seed + First / Batch + k,
    /// whichever shard runs it.</summary>
    public uint Seed(uint explorationSeed) => unchecked(explorationSeed + (uint)(First / ExploreShards.Batch));
}

/// <summary>
/// The fixed split of an exploration's iterations into shards, which run on any number of threads: the split
/// depends on the number of iterations only, never on the machine, so the same options explore the same
/// iterations everywhere. Each Coyote iteration runs <see cref="Batch"/> of the exploration's iterations, and each
/// shard but the last holds whole rounds of Coyote's portfolio (<see cref="Portfolio"/> Coyote iterations), so that
/// a shard's engine gives each Coyote iteration the seed and the strategy one engine would.
/// </summary>
public static class ExploreShards
{
    /// <summary>Shards of an exploration: enough for 2, 4 or 8 threads to share them evenly.</summary>
    public const int Count = 16;

    /// <summary>The exploration's iterations (runs of the scenario, each with its own choices, trace and outcome class)
    /// in one Coyote iteration. Coyote's fixed cost per iteration (two threads started, a runtime built and torn
    /// down: about 0.25-0.5 ms on this 2-core machine, twice a run of the 2020 scenario) is paid once for all of them.
    /// A run has no concurrency of its own: every strategy draws its choices from the engine's seeded generator
    /// (RandomStrategy.NextInteger, inherited by the others: Source/Core/Testing/Interleaving/RandomStrategy.cs:40, 1.7.11).</summary>
    public const int Batch = 16;

    /// <summary>The strategies of Coyote's portfolio, taken in turn, one per Coyote iteration (random, probabilistic,
    /// prioritization, delay-bounding: OperationScheduler's constructor, Coyote 1.7.11).</summary>
    public const int Portfolio = 4;

    public static IReadOnlyList<ExploreShard> Of(int iterations)
    {
        const long round = Batch * Portfolio;
        long size = round * (((long)iterations + round * Count - 1) / (round * Count));
        var shards = new List<ExploreShard>(Count);
        for (int first = 0; first < iterations; first += (int)size)
            shards.Add(new ExploreShard(shards.Count, first, (int)Math.Min(size, iterations - first)));
        return shards;
    }
}
