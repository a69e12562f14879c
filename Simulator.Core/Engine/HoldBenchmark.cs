using System.Diagnostics;
using Zombiesim.Core.Random;

namespace Zombiesim.Core.Engine;

/// <summary>One row of the hold-model benchmark.</summary>
public sealed record HoldResult(
    int Pending,
    long Events,
    double EngineEventsPerSecond,
    double BaselineEventsPerSecond,
    double Ratio,
    double EngineBytesPerEvent,
    double BaselineBytesPerEvent);

/// <summary>
/// The classic hold model (Jones 1986): N events pending; repeatedly pop the earliest at t and
/// schedule one at t + Exp(1). The engine is measured against a bare
/// <see cref="PriorityQueue{TElement, TPriority}"/> hold loop in the same process, both fed the
/// same precomputed increments so the queue, not the random generator, is what is timed.
/// </summary>
public static class HoldBenchmark
{
    private const int IncrementCount = 1 << 16;

    public static HoldResult Run(int pending, long events, ulong seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pending, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(events, 1);
        var increments = new long[IncrementCount];
        var exp = new Exponential(1.0);
        var choices = new SeededChoices(seed).Stream("hold");
        for (int i = 0; i < increments.Length; i++)
            increments[i] = Math.Max(1, exp.SampleDuration(choices).Ticks);

        // Warm both loops up (JIT tiers, caches) on a short run before measuring.
        RunEngine(pending, Math.Min(events, 200_000), increments);
        RunBaseline(pending, Math.Min(events, 200_000), increments);

        (double engineSeconds, long engineBytes) = RunEngine(pending, events, increments);
        (double baseSeconds, long baseBytes) = RunBaseline(pending, events, increments);
        double engineRate = events / engineSeconds;
        double baseRate = events / baseSeconds;
        return new HoldResult(pending, events, engineRate, baseRate, engineRate / baseRate,
            (double)engineBytes / events, (double)baseBytes / events);
    }

    private sealed class Hold(Scheduler engine, long[] increments, long budget) : IEventHandler
    {
        private int _next;
        public long Remaining = budget;

        public void OnEvent(long arg)
        {
            if (--Remaining < 0)
                return;
            long dt = increments[_next++ & (IncrementCount - 1)];
            engine.Schedule(new TimeSpan(engine.Now.Ticks + dt), this, arg);
        }
    }

    private static (double Seconds, long Bytes) RunEngine(int pending, long events, long[] increments)
    {
        var engine = new Scheduler(pending + 16);
        var hold = new Hold(engine, increments, events);
        for (int i = 0; i < pending; i++)
            engine.Schedule(new TimeSpan(increments[(i * 7919) & (IncrementCount - 1)]), hold, i);
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        for (long e = 0; e < events; e++)
            engine.Step();
        long stop = Stopwatch.GetTimestamp();
        bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
        return (Stopwatch.GetElapsedTime(start, stop).TotalSeconds, bytes);
    }

    private static (double Seconds, long Bytes) RunBaseline(int pending, long events, long[] increments)
    {
        var queue = new PriorityQueue<int, long>(pending + 16);
        for (int i = 0; i < pending; i++)
            queue.Enqueue(i, increments[(i * 7919) & (IncrementCount - 1)]);
        int next = 0;
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        for (long e = 0; e < events; e++)
        {
            queue.TryDequeue(out int item, out long t);
            queue.Enqueue(item, t + increments[next++ & (IncrementCount - 1)]);
        }
        long stop = Stopwatch.GetTimestamp();
        bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
        return (Stopwatch.GetElapsedTime(start, stop).TotalSeconds, bytes);
    }
}
