namespace Zombiesim.Core.Explore;

/// <summary>A shard of an exploration: the consecutive iterations numbered from <paramref name="First"/> + 1 on.</summary>
public readonly record struct ExploreShard(int Index, int First, int Count)
{
    /// <summary>The seed of the shard's own Coyote engine. Coyote gives iteration k of an engine seeded s the seed s + k,
    /// so iteration First + k of the exploration runs with the exploration's seed + First + k, whichever shard runs it.</summary>
    public uint Seed(uint explorationSeed) => unchecked(explorationSeed + (uint)First);
}

/// <summary>
/// The fixed split of an exploration's iterations into shards, which run on any number of threads: the split
/// depends on the number of iterations only, never on the machine, so the same options explore the same
/// iterations everywhere. Each shard but the last holds a multiple of <see cref="Portfolio"/> iterations, so that
/// Coyote's portfolio gives each iteration the strategy it gives it in one engine.
/// </summary>
public static class ExploreShards
{
    /// <summary>Shards of an exploration: enough for 2, 4 or 8 threads to share them evenly.</summary>
    public const int Count = 16;

    /// <summary>The strategies of Coyote's portfolio, taken in turn (random, probabilistic, prioritization, delay-bounding:
    /// OperationScheduler's constructor, Coyote 1.7.11).</summary>
    public const int Portfolio = 4;

    public static IReadOnlyList<ExploreShard> Of(int iterations)
    {
        long size = Portfolio * (((long)iterations + Portfolio * Count - 1) / (Portfolio * Count));
        var shards = new List<ExploreShard>(Count);
        for (int first = 0; first < iterations; first += (int)size)
            shards.Add(new ExploreShard(shards.Count, first, (int)Math.Min(size, iterations - first)));
        return shards;
    }
}
