using Zombiesim.Core.Traffic;

namespace Zombiesim.Core.Scenarios;

/// <summary>
/// A traffic entry's <c>rate</c>: requests per second, constant (<c>perSecond</c>), piecewise
/// (<c>steps</c>) or a day's curve (<c>daily</c>), with <c>arrivals</c> Poisson (default) or even.
/// </summary>
internal static class RateSection
{
    /// <summary>The most requests per second a rate may ask for (a billion: far past any one server).</summary>
    public const double MaxPerSecond = 1e9;

    private static readonly Dictionary<string, Arrivals> ArrivalWords = new()
    {
        ["poisson"] = Arrivals.Poisson, ["even"] = Arrivals.Even,
    };

    internal sealed record Raw(
        bool Present, bool Constant, double PerSecond, IReadOnlyList<(TimeSpan From, double PerSecond)> Steps, bool Daily,
        (double Min, double Max, TimeSpan PeakAt) Day, Arrivals Arrivals);

    internal static Raw Read(Reader r)
    {
        var perSecond = r.Double("perSecond", 0, "a constant rate: requests per second", 0, MaxPerSecond);
        var steps = r.List("steps", "a piecewise rate: each step's rate holds from its 'from' to the next step's", s => (
            s.Duration("from", TimeSpan.Zero, "when this step's rate begins (time since the start of the run)"),
            s.Double("perSecond", 0, "requests per second from then on", 0, MaxPerSecond)));
        var day = r.Section("daily", "a day's curve, repeated (the run starts at midnight): a cosine from 'min' to 'max' "
            + "requests per second, highest at 'peakAt'", d => (
            d.Double("min", 0, "the lowest rate of the day, requests per second (12 h from the peak)", 0, MaxPerSecond),
            d.Double("max", 0, "the highest rate of the day, requests per second", 0, MaxPerSecond),
            d.Duration("peakAt", TimeSpan.FromHours(12), "the time of day of the highest rate")));
        var arrivals = r.Choice("arrivals", Arrivals.Poisson,
            "poisson: independent callers (gaps drawn, the count varies around the rate); even: evenly spaced "
                + "(exactly the rate's count)", ArrivalWords);
        r.ExactlyOneOf("perSecond", "steps", "daily");
        return new Raw(r.Has("perSecond") || r.Has("steps") || r.Has("daily") || r.Has("arrivals"), r.Has("perSecond"), perSecond,
            steps, r.Has("daily"), day, arrivals);
    }

    /// <summary>The curve <paramref name="raw"/> describes, checked; null when the entry has no rate.</summary>
    internal static RateCurve? Curve(Reader traffic, Raw raw, TimeSpan horizon)
    {
        if (!traffic.Has("rate"))
            return null;
        int kinds = (raw.Constant ? 1 : 0) + (raw.Steps.Count > 0 ? 1 : 0) + (raw.Daily ? 1 : 0);
        if (kinds != 1)
            throw traffic.ErrorAt("rate", "a rate is exactly one of: { perSecond: 50 }, "
                + "{ steps: [{ from: 0s, perSecond: 10 }, { from: 1h, perSecond: 50 }] }, { daily: { min: 5, max: 100, peakAt: 14h } }");
        if (raw.Daily && raw.Day.Max < raw.Day.Min)
            throw traffic.ErrorAt("rate", $"daily 'max' ({raw.Day.Max}) is below 'min' ({raw.Day.Min})");
        if (raw.Daily && raw.Day.PeakAt >= TimeSpan.FromDays(1))
            throw traffic.ErrorAt("rate", $"daily 'peakAt' is a time of day, below 24h; got {DurationText.Format(raw.Day.PeakAt)}");
        for (int i = 1; i < raw.Steps.Count; i++)
        {
            if (raw.Steps[i].From <= raw.Steps[i - 1].From)
                throw traffic.ErrorAt("rate", $"rate step {i} starts at {DurationText.Format(raw.Steps[i].From)}, not after "
                    + $"step {i - 1} ({DurationText.Format(raw.Steps[i - 1].From)}): steps go in time order");
        }
        return raw.Constant ? RateCurve.Constant(raw.PerSecond, raw.Arrivals)
            : raw.Daily ? RateCurve.Daily(raw.Day.Min, raw.Day.Max, raw.Day.PeakAt, horizon, raw.Arrivals)
            : new RateCurve(raw.Steps, raw.Arrivals, "steps");
    }
}
