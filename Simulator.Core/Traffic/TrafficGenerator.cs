using Zombiesim.Core.Engine;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Traffic;

/// <summary>
/// The scenario's invocations: instants listed or drawn, bursts spread evenly, arrivals every
/// drawn gap between two instants, and arrivals at a rate (<see cref="RateCurve"/>). Each traffic
/// entry draws from its own streams, so adding one does not change another's arrivals.
/// </summary>
internal static class TrafficGenerator
{
    /// <summary>Schedules every invocation of <paramref name="traffic"/> up to the horizon;
    /// <paramref name="invoke"/> starts one of the named function.</summary>
    public static void Schedule(IReadOnlyList<TrafficSpec> traffic, TimeSpan horizon, Clock clock, IChoices streams,
        Func<string, Action> invoke)
    {
        for (int i = 0; i < traffic.Count; i++)
        {
            var t = traffic[i];
            var start = invoke(t.Function);
            var choices = streams.Stream($"traffic/{i}");
            for (int j = 0; j < t.At.Count; j++)
            {
                TimeSpan at = t.At[j].SampleDuration(choices);
                if (at <= horizon)
                    clock.Schedule(at, start);
            }
            for (int k = 0; k < t.BurstCount; k++)
            {
                // Even spacing, rounded to the tick as TimeSpan's operators do, computed in double so that
                // a long spread times a large count cannot overflow.
                TimeSpan at = t.BurstAt + TimeSpan.FromTicks((long)Math.Round(Math.Round((double)t.BurstOver.Ticks * k) / t.BurstCount));
                if (at <= horizon)
                    clock.Schedule(at, start);
            }
            if (t.Every is { } every)
            {
                TimeSpan until = t.Until is { } u && u < horizon ? u : horizon;
                new EveryArrivals(every, until, clock, streams.Stream($"traffic/{i}/every"), start).Next(t.From);
            }
            if (t.Rate is { } rate)
            {
                TimeSpan until = t.Until is { } u && u < horizon ? u : horizon;
                ScheduleRate(rate, t.From, until, clock, streams.Stream($"traffic/{i}/rate"), start);
            }
        }
    }

    /// <summary>Arrivals where the expected count Λ reaches the next whole number (even) or grows by a unit
    /// exponential draw (Poisson), from <paramref name="from"/> to <paramref name="until"/>; one is scheduled at a time.</summary>
    public static void ScheduleRate(RateCurve rate, TimeSpan from, TimeSpan until, Clock clock, IChoices draws, Action start) =>
        new RateArrivals(rate, until, clock, draws, start).Next(rate.Cumulative(from.TotalSeconds));

    /// <summary>Arrivals every drawn gap: one scheduled at a time, the next drawn when it comes (no allocation per arrival).</summary>
    private sealed class EveryArrivals(Distribution every, TimeSpan until, Clock clock, IChoices gaps, Action start) : EventReceiver
    {
        private TimeSpan _at;

        public void Next(TimeSpan after)
        {
            TimeSpan at = after + every.SampleDuration(gaps);
            if (at > until)
                return;
            _at = at;
            clock.At(at, this);
        }

        public override void OnEvent(long arg)
        {
            Next(_at);
            start();
        }
    }

    /// <summary>Arrivals at a rate: the next where Λ reaches its next target, one scheduled at a time.</summary>
    private sealed class RateArrivals(RateCurve rate, TimeSpan until, Clock clock, IChoices draws, Action start) : EventReceiver
    {
        private double _target;

        public void Next(double lambda)
        {
            double target = lambda + (rate.Arrivals == Arrivals.Even ? 1 : -Math.Log(1 - draws.NextDouble()));
            double seconds = rate.InstantOf(target);
            if (double.IsInfinity(seconds) || seconds > until.TotalSeconds + 1)
                return;
            TimeSpan at = DurationText.FromSeconds(seconds);
            if (at > until)
                return;
            _target = target;
            clock.At(at, this); // a rounding to the tick never goes back in time: the clock clamps to now
        }

        public override void OnEvent(long arg)
        {
            Next(_target);
            start();
        }
    }
}
