namespace Zombiesim.Tcp;

/// <summary>Where a kernel timer fires relative to its expiry.</summary>
public enum TimerSlack
{
    /// <summary>Exactly its whole jiffies after it was armed (the tick's phase is not modelled).</summary>
    Off,
    /// <summary>On the timer wheel's bucket, as Linux does: late by up to 1/8 of the timer's length
    /// (kernel/time/timer.c calc_wheel_index, calc_index; Linux 6.18).</summary>
    Linux,
}

/// <summary>
/// A kernel's time base: HZ ticks a second (CONFIG_HZ), conversions that round as the kernel's do
/// (include/linux/jiffies.h: usecs_to_jiffies and msecs_to_jiffies round up, jiffies_to_msecs rounds
/// down) and where a timer of some jiffies fires. Jiffy 0 starts at the run's instant 0.
/// </summary>
public sealed record Jiffies
{
    /// <summary>The HZ values Linux can be built with (kernel/Kconfig.hz).</summary>
    public static readonly IReadOnlyList<int> AllowedHz = [100, 250, 300, 1000];

    // kernel/time/timer.c: 64 buckets a level, each level 8 times coarser than the one below; 9 levels
    // for HZ > 100, 8 for HZ = 100.
    private const int LvlClkShift = 3, LvlBits = 6;

    public Jiffies(int hz, TimerSlack slack = TimerSlack.Off)
    {
        if (!AllowedHz.Contains(hz))
            throw new ArgumentOutOfRangeException(nameof(hz), hz, "HZ must be 100, 250, 300 or 1000 (kernel/Kconfig.hz)");
        Hz = hz;
        Slack = slack;
    }

    public int Hz { get; }
    public TimerSlack Slack { get; }

    /// <summary>usecs_to_jiffies / msecs_to_jiffies: a duration in whole jiffies, rounded up.</summary>
    public long From(TimeSpan d)
    {
        if (d <= TimeSpan.Zero)
            return 0;
        if (d.Ticks <= Exact64)
            return (d.Ticks * Hz + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond;
        Int128 scaled = (Int128)d.Ticks * Hz;
        return (long)((scaled + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond);
    }

    /// <summary>A number of jiffies as a duration (rounded up to the 100 ns tick when HZ is 300).</summary>
    public TimeSpan ToTime(long jiffies) => TimeSpan.FromTicks(Start(jiffies));

    /// <summary>jiffies_to_msecs: whole milliseconds, rounded down.</summary>
    public long ToMilliseconds(long jiffies) => jiffies * 1000 / Hz;

    /// <summary>The jiffies counter at <paramref name="now"/> (the jiffy it is in), as <c>tcp_jiffies32</c> reads it.</summary>
    public long Clock(TimeSpan now) => now.Ticks <= Exact64
        ? now.Ticks * Hz / TimeSpan.TicksPerSecond
        : (long)((Int128)now.Ticks * Hz / TimeSpan.TicksPerSecond);

    /// <summary>The instant a timer armed at <paramref name="now"/> for <paramref name="jiffies"/> fires.</summary>
    public TimeSpan Fire(TimeSpan now, long jiffies)
    {
        if (Slack == TimerSlack.Off)
            return now + ToTime(jiffies);
        long clk = Clock(now);
        return TimeSpan.FromTicks(Math.Max(Start(WheelBucket(clk, clk + jiffies)), now.Ticks));
    }

    /// <summary>
    /// kernel/time/timer.c (Linux 6.18) calc_wheel_index and calc_index: a timer expiring
    /// <c>delta = expires - clk</c> jiffies ahead goes to the first level whose range holds delta
    /// (level n holds deltas below 63 x 8^n), and its expiry is rounded up to that level's
    /// granularity (8^n jiffies) so that it never fires early: <c>((expires &gt;&gt; 3n) + 1) &lt;&lt; 3n</c>.
    /// </summary>
    public long WheelBucket(long clk, long expires)
    {
        int depth = Hz > 100 ? 9 : 8;
        long delta = expires - clk;
        int level = 0;
        while (level < depth - 1 && delta >= LevelStart(level + 1))
            level++;
        int shift = level * LvlClkShift;
        return ((expires >> shift) + 1) << shift;
    }

    /// <summary>LVL_START(n) = (LVL_SIZE - 1) &lt;&lt; ((n - 1) * LVL_CLK_SHIFT).</summary>
    private static long LevelStart(int n) => ((1L << LvlBits) - 1) << ((n - 1) * LvlClkShift);

    private long Start(long jiffies) => jiffies <= long.MaxValue / TimeSpan.TicksPerSecond - 1
        ? (jiffies * TimeSpan.TicksPerSecond + Hz - 1) / Hz
        : (long)(((Int128)jiffies * TimeSpan.TicksPerSecond + Hz - 1) / Hz);

    /// <summary>Ticks up to which a tick count times HZ fits in 64 bits at any HZ (about 29 years): the common case
    /// skips 128-bit division.</summary>
    private const long Exact64 = long.MaxValue / 1000 - TimeSpan.TicksPerSecond;
}
