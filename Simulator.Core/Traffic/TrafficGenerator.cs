using Zombiesim.Core.Engine;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Traffic;

/// <summary>
/// The scenario's invocations: instants listed or drawn, bursts spread evenly, and arrivals every
/// drawn gap between two instants. Each traffic entry draws from its own streams, so adding one
/// does not change another's arrivals.
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
                var gaps = streams.Stream($"traffic/{i}/every");
                void Next(TimeSpan after)
                {
                    TimeSpan at = after + every.SampleDuration(gaps);
                    if (at > until)
                        return;
                    clock.Schedule(at, () =>
                    {
                        Next(at);
                        start();
                    });
                }
                Next(t.From);
            }
        }
    }
}
