using FluentAssertions;
using Xunit;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Traffic;

namespace Zombiesim.Tests.Core;

/// <summary>`rate:` traffic: arrivals at the stated rate, exactly for even arrivals, around it for Poisson ones,
/// the same for the same seed; piecewise and daily curves; bad rates refused with their place.</summary>
public class RateTrafficTests
{
    private static List<TimeSpan> Arrivals(string rate, string extra = "", string horizon = "60s", ulong seed = 1)
    {
        var s = ScenarioLoader.Load($"name: t\nseed: {seed}\nhorizon: {horizon}\nfunctions: [{{ name: f }}]\n"
            + $"traffic:\n  - function: f\n    rate: {rate}\n{extra}", "t.yaml");
        var engine = new Scheduler();
        var clock = new Clock(engine);
        var at = new List<TimeSpan>();
        TrafficGenerator.Schedule(s.Traffic, s.Horizon, clock, new SeededChoices(s.Seed), _ => () => at.Add(clock.Now));
        engine.RunToCompletion();
        return at;
    }

    [Fact]
    public void An_even_constant_rate_gives_exactly_rate_times_window_arrivals_one_gap_apart()
    {
        var at = Arrivals("{ perSecond: 50, arrivals: even }");
        at.Should().HaveCount(3000, "50 a second for 60 s");
        at[0].Should().Be(TimeSpan.FromMilliseconds(20), "the first comes one gap after 'from', like every: 20ms");
        at[^1].Should().Be(TimeSpan.FromSeconds(60));
        at.Zip(at.Skip(1), (a, b) => b - a).Distinct().Should().Equal(TimeSpan.FromMilliseconds(20));
    }

    [Fact]
    public void An_even_rate_counts_from_from_to_until_and_rounds_down()
    {
        var at = Arrivals("{ perSecond: 2.5, arrivals: even }", "    from: 10s\n    until: 13s\n");
        at.Should().Equal(TimeSpan.FromSeconds(10.4), TimeSpan.FromSeconds(10.8), TimeSpan.FromSeconds(11.2),
            TimeSpan.FromSeconds(11.6), TimeSpan.FromSeconds(12), TimeSpan.FromSeconds(12.4), TimeSpan.FromSeconds(12.8));
    }

    [Fact]
    public void Poisson_arrivals_average_the_rate_and_repeat_for_the_same_seed()
    {
        var at = Arrivals("{ perSecond: 100 }", horizon: "600s");
        // 60,000 expected; a Poisson count's standard deviation is sqrt(60,000) = 245: within 4 of them.
        at.Count.Should().BeInRange(60_000 - 980, 60_000 + 980);
        Arrivals("{ perSecond: 100 }", horizon: "600s").Should().Equal(at, "the same seed gives the same arrivals");
        Arrivals("{ perSecond: 100 }", horizon: "600s", seed: 2).Should().NotEqual(at);
        // The gaps are exponential: their mean is 1/rate and about 1 - 1/e = 63% are shorter than the mean.
        var gaps = at.Zip(at.Skip(1), (a, b) => (b - a).TotalSeconds).ToList();
        gaps.Average().Should().BeApproximately(0.01, 0.0003);
        (gaps.Count(g => g < 0.01) / (double)gaps.Count).Should().BeApproximately(1 - Math.Exp(-1), 0.01);
    }

    [Fact]
    public void Piecewise_steps_give_each_step_its_own_exact_count()
    {
        var at = Arrivals("{ steps: [{ from: 0s, perSecond: 10 }, { from: 20s, perSecond: 0 }, { from: 30s, perSecond: 100 }], "
            + "arrivals: even }");
        at.Count(t => t <= TimeSpan.FromSeconds(20)).Should().Be(200);
        at.Count(t => t > TimeSpan.FromSeconds(20) && t <= TimeSpan.FromSeconds(30)).Should().Be(0);
        at.Count(t => t > TimeSpan.FromSeconds(30)).Should().Be(3000);
        at.Should().HaveCount(3200);
    }

    [Fact]
    public void A_daily_curve_peaks_at_its_peak_and_holds_the_mean_of_min_and_max_over_a_day()
    {
        var curve = RateCurve.Daily(10, 100, TimeSpan.FromHours(14), TimeSpan.FromDays(1), Zombiesim.Core.Traffic.Arrivals.Even);
        curve.Expected(TimeSpan.Zero, TimeSpan.FromDays(1)).Should().BeApproximately(55 * 86_400, 1e-3, "the cosine's mean");
        double PerSecondAround(double hours) =>
            curve.Expected(TimeSpan.FromHours(hours), TimeSpan.FromHours(hours) + TimeSpan.FromMinutes(1)) / 60;
        PerSecondAround(14).Should().BeApproximately(100, 0.01);
        PerSecondAround(2).Should().BeApproximately(10, 0.01, "12 h from the peak");
        PerSecondAround(8).Should().BeApproximately(55, 0.2);
        var at = Arrivals("{ daily: { min: 10, max: 100, peakAt: 14h }, arrivals: even }", horizon: "1h");
        at.Should().HaveCount((int)Math.Floor(curve.Expected(TimeSpan.Zero, TimeSpan.FromHours(1))));
    }

    [Fact]
    public void The_work_estimate_counts_a_rate_and_a_huge_rate_is_refused_at_its_line()
    {
        var s = ScenarioLoader.Load("name: t\nhorizon: 1h\nfunctions: [{ name: f }]\ntraffic:\n  - function: f\n"
            + "    rate: { perSecond: 100 }\n    from: 10m\n", "t.yaml");
        WorkEstimate.Invocations(s).Should().Be(100 * 3000);
        var bad = () => ScenarioLoader.Load("name: t\nhorizon: 30d\nfunctions: [{ name: f }]\ntraffic:\n  - function: f\n"
            + "    rate: { perSecond: 1000 }\n", "t.yaml");
        bad.Should().Throw<BadInputException>().WithMessage("t.yaml:6:*'rate' asks for about 2,600,000,000 invocations*");
    }

    [Theory]
    [InlineData("{ perSecond: 5, daily: { min: 1, max: 2 } }", "exactly one of")]
    [InlineData("{ steps: [{ from: 10s, perSecond: 1 }, { from: 5s, perSecond: 2 }] }", "steps go in time order")]
    [InlineData("{ daily: { min: 10, max: 5 } }", "'max' (5) is below 'min' (10)")]
    [InlineData("{ perSecond: -1 }", "must be between 0")]
    [InlineData("{ perSecond: 5, arrivals: random }", "must be one of poisson, even")]
    [InlineData("{ perSecnd: 5 }", "unknown key 'perSecnd'")]
    public void A_bad_rate_is_bad_input_with_its_place(string rate, string message)
    {
        var load = () => ScenarioLoader.Load($"name: t\nfunctions: [{{ name: f }}]\ntraffic:\n  - function: f\n    rate: {rate}\n",
            "t.yaml");
        load.Should().Throw<BadInputException>().WithMessage($"t.yaml:5:*{message}*");
    }
}
