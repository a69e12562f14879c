using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Traffic;

/// <summary>
/// How many invocations a scenario's traffic asks for, known before the run: listed instants and
/// bursts count themselves; arrivals at a <c>rate</c> are the rate's expected count (Λ over the window);
/// arrivals <c>every</c> a drawn gap are estimated as the window over the
/// mean gap cut at the window (a renewal count), the mean taken over a fixed sample of draws so
/// that a mixture that almost always draws 0 s is seen for what it is. Measured (Release, 2 cores,
/// 2026-12-02): a day of a fleet at 100 requests/s, 8.8 million invocations, ran in 186 s, about
/// 21 us an invocation; so a million take about 20 s, and a billion about 6 hours.
/// </summary>
public static class WorkEstimate
{
    /// <summary>Past this many invocations a run is announced with a warning.</summary>
    public const double Announced = 1e6;

    /// <summary>Past this many invocations a scenario is refused.</summary>
    public const double Refused = 1e9;

    /// <summary>Past this many invocations over all its runs a search or an exploration is announced (its
    /// runs share the cores).</summary>
    public const double AnnouncedOverRuns = 1e7;

    /// <summary>Draws of a continuous gap the estimate averages (from a fixed seed, so the estimate is the same every time).</summary>
    public const int Draws = 4096;

    /// <summary>The invocations one traffic entry asks for within <paramref name="horizon"/>.</summary>
    public static double Invocations(TrafficSpec t, TimeSpan horizon) =>
        t.At.Count + BurstInvocations(t, horizon) + (t.Every is { } every ? EveryInvocations(every, Window(t, horizon)) : 0)
        + (t.Rate is { } rate ? rate.Expected(t.From, t.From + Window(t, horizon)) : 0);

    /// <summary>The part of a burst that falls within <paramref name="horizon"/>.</summary>
    public static double BurstInvocations(TrafficSpec t, TimeSpan horizon)
    {
        if (t.BurstCount == 0 || t.BurstAt > horizon)
            return 0;
        return t.BurstOver <= TimeSpan.Zero ? t.BurstCount : t.BurstCount * Math.Min(1, (horizon - t.BurstAt) / t.BurstOver);
    }

    /// <summary>The invocations of the whole scenario.</summary>
    public static double Invocations(Scenario s) => s.Traffic.Sum(t => Invocations(t, s.Horizon));

    /// <summary>The expected arrivals in <paramref name="window"/> of gaps drawn from <paramref name="every"/>;
    /// infinite when every trial draw is 0 s (simulated time would stand still).</summary>
    public static double EveryInvocations(Distribution every, TimeSpan window)
    {
        if (window <= TimeSpan.Zero)
            return 0;
        double cap = window.TotalSeconds;
        double mean = CutMean(every, cap, new SeededChoices(1).Stream("work-estimate"));
        return mean == 0 ? double.PositiveInfinity : cap / mean;
    }

    /// <summary>The mean of a gap cut at <paramref name="cap"/> seconds, as the engine draws it (negative
    /// draws are 0, durations are whole ticks): exact for constants, weighted values and mixtures of
    /// them, where a rare long gap matters most; from a fixed sample for continuous ones.</summary>
    private static double CutMean(Distribution d, double cap, IChoices draws)
    {
        static double Cut(double v, double cap) => Math.Min(DurationText.FromSeconds(v).TotalSeconds, cap);
        switch (d)
        {
            case Constant c:
                return Cut(c.Value, cap);
            case Empirical e:
                return Enumerable.Range(0, e.Values.Count).Sum(i => e.Weight(i) * Cut(e.Values[i], cap));
            case Mixture m:
                return Enumerable.Range(0, m.Components.Count).Sum(i => m.Weight(i) * CutMean(m.Components[i], cap, draws));
            default:
                double sum = 0;
                for (int i = 0; i < Draws; i++)
                    sum += Math.Min(d.SampleDuration(draws).TotalSeconds, cap);
                return sum / Draws;
        }
    }

    /// <summary>The span <c>every</c> traffic runs over: from its start to its end or the horizon.</summary>
    public static TimeSpan Window(TrafficSpec t, TimeSpan horizon) =>
        (t.Until is { } u && u < horizon ? u : horizon) - t.From;

    /// <summary>A warning for a command that runs the scenario <paramref name="runs"/> times (a search's points
    /// times replications, an exploration's iterations), past <see cref="AnnouncedOverRuns"/> invocations in
    /// all; <paramref name="smaller"/> says how to try it small. Null below it.</summary>
    public static string? Warning(Scenario s, double runs, string what, string smaller)
    {
        double each = Invocations(s), total = each * runs;
        if (total <= AnnouncedOverRuns)
            return null;
        return $"this {what} simulates about {About(total)} invocations ({About(each)} a run, {runs:N0} runs); "
            + $"it may take minutes. To try it small first: {smaller}";
    }

    /// <summary>An estimate as people write it: two significant digits, with thousands separators.</summary>
    public static string About(double n)
    {
        if (n < 100)
            return Math.Round(n).ToString("N0");
        double scale = Math.Pow(10, Math.Floor(Math.Log10(n)) - 1);
        return (Math.Round(n / scale) * scale).ToString("N0");
    }

    /// <summary>A warning for a run past <see cref="Announced"/> invocations, naming the largest
    /// traffic entry and how to try the scenario small first; null below it.</summary>
    public static string? Warning(Scenario s)
    {
        var each = s.Traffic.Select((t, i) => (t, i, n: Invocations(t, s.Horizon))).ToList();
        double total = each.Sum(x => x.n);
        if (total <= Announced)
            return null;
        var largest = each.MaxBy(x => x.n);
        return $"this run simulates about {About(total)} invocations "
            + $"(traffic.{largest.i}, of '{largest.t.Function}': about {About(largest.n)}) "
            + $"over {DurationText.Format(s.Horizon)}; it may take minutes. To try it small first: --set horizon=10m";
    }
}
