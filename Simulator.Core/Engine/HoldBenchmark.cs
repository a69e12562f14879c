using Zombiesim.Core.Random;

namespace Zombiesim.Core.Engine;

/// <summary>One row of the hold-model benchmark: per repetition, the rates (events per CPU second)
/// and their ratio; the most bytes any measured loop allocated per event.</summary>
public sealed record HoldResult(
    int Pending,
    long Events,
    IReadOnlyList<double> EngineEventsPerSecond,
    IReadOnlyList<double> BaselineEventsPerSecond,
    IReadOnlyList<double> Ratio,
    double EngineBytesPerEvent,
    double BaselineBytesPerEvent);

/// <summary>
/// The classic hold model (Jones 1986): N events pending; repeatedly pop the earliest at t and
/// schedule one at t + Exp(1). The engine is measured against a bare
/// <see cref="PriorityQueue{TElement, TPriority}"/> hold loop in the same process, both fed the
/// same precomputed increments so the queue, not the random generator, is what is timed, from the
/// steady state (each of the N events filled in has run once, and at least 200,000 events, before the clock starts). Each
/// repetition runs both loops, in alternating order, and times them by the process's CPU time, so
/// that other processes sharing the machine disturb the comparison less than they would wall time.
/// </summary>
public static class HoldBenchmark
{
    private const int IncrementCount = 1 << 16;

    public static HoldResult Run(int pending, long events, int repetitions = 1, ulong seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pending, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(events, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(repetitions, 1);
        var increments = new long[IncrementCount];
        var exp = new Exponential(1.0);
        var choices = new SeededChoices(seed).Stream("hold");
        for (int i = 0; i < increments.Length; i++)
            increments[i] = Math.Max(1, exp.SampleDuration(choices).Ticks);

        // Warm both loops up (JIT tiers, caches) on a short run before measuring.
        RunEngine(pending, Math.Min(events, 200_000), increments);
        RunBaseline(pending, Math.Min(events, 200_000), increments);

        var engineRates = new double[repetitions];
        var baseRates = new double[repetitions];
        var ratios = new double[repetitions];
        long engineBytes = 0, baseBytes = 0;
        for (int r = 0; r < repetitions; r++)
        {
            (double Seconds, long Bytes) engine, baseline;
            if (r % 2 == 0)
            {
                engine = RunEngine(pending, events, increments);
                baseline = RunBaseline(pending, events, increments);
            }
            else
            {
                baseline = RunBaseline(pending, events, increments);
                engine = RunEngine(pending, events, increments);
            }
            engineRates[r] = events / engine.Seconds;
            baseRates[r] = events / baseline.Seconds;
            ratios[r] = engineRates[r] / baseRates[r];
            engineBytes = Math.Max(engineBytes, engine.Bytes);
            baseBytes = Math.Max(baseBytes, baseline.Bytes);
        }
        return new HoldResult(pending, events, engineRates, baseRates, ratios, (double)engineBytes / events, (double)baseBytes / events);
    }

    private static TimeSpan CpuTime()
    {
        var usage = Environment.CpuUsage;
        return usage.UserTime + usage.PrivilegedTime;
    }

    private sealed class Hold(Scheduler engine, long[] increments, long budget) : EventReceiver
    {
        private int _next;
        public long Remaining = budget;

        public override void OnEvent(long arg)
        {
            if (--Remaining < 0)
                return;
            long dt = increments[_next++ & (IncrementCount - 1)];
            engine.Schedule(new TimeSpan(engine.Now.Ticks + dt), this, arg);
        }
    }

    /// <summary>Events run before the clock starts: each pending one at least once, and enough for the
    /// queue's memory to reach its steady size.</summary>
    private static long Warm(int pending) => Math.Max(pending, 200_000);

    private static (double Seconds, long Bytes) RunEngine(int pending, long events, long[] increments)
    {
        var engine = new Scheduler(pending + 16);
        long warm = Warm(pending);
        var hold = new Hold(engine, increments, warm + events);
        for (int i = 0; i < pending; i++)
            engine.Schedule(new TimeSpan(increments[(i * 7919) & (IncrementCount - 1)]), hold, i);
        for (long e = 0; e < warm; e++)
            engine.Step(); // into the steady state: every event filled in has run once
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        TimeSpan start = CpuTime();
        for (long e = 0; e < events; e++)
            engine.Step();
        TimeSpan stop = CpuTime();
        bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
        return ((stop - start).TotalSeconds, bytes);
    }

    private static (double Seconds, long Bytes) RunBaseline(int pending, long events, long[] increments)
    {
        var queue = new PriorityQueue<int, long>(pending + 16);
        for (int i = 0; i < pending; i++)
            queue.Enqueue(i, increments[(i * 7919) & (IncrementCount - 1)]);
        int next = 0;
        for (long e = Warm(pending); e > 0; e--)
        {
            queue.TryDequeue(out int item, out long t);
            queue.Enqueue(item, t + increments[next++ & (IncrementCount - 1)]);
        }
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        TimeSpan start = CpuTime();
        for (long e = 0; e < events; e++)
        {
            queue.TryDequeue(out int item, out long t);
            queue.Enqueue(item, t + increments[next++ & (IncrementCount - 1)]);
        }
        TimeSpan stop = CpuTime();
        bytes = GC.GetAllocatedBytesForCurrentThread() - bytes;
        return ((stop - start).TotalSeconds, bytes);
    }
}
