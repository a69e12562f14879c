using FluentAssertions;
using Xunit;
using Zombiesim.Core.Random;

namespace Zombiesim.Tests.Core;

public class DistributionTests
{
    private const int N = 100_000;

    private static double[] Draw(Distribution d, Func<IChoices, double>? sample = null, ulong seed = 11)
    {
        var c = new SeededChoices(seed).Stream("dist");
        sample ??= d.Sample;
        var xs = new double[N];
        for (int i = 0; i < N; i++) xs[i] = sample(c);
        return xs;
    }

    /// <summary>Sample mean within 5 standard errors of <paramref name="mean"/>, sample variance
    /// within 5 of its own standard errors of <paramref name="variance"/> (computed from the
    /// sample's fourth central moment).</summary>
    private static void ShouldMatch(double[] xs, double mean, double variance)
    {
        double m = xs.Average();
        double v = xs.Sum(x => (x - m) * (x - m)) / (xs.Length - 1);
        double m4 = xs.Sum(x => Math.Pow(x - m, 4)) / xs.Length;
        m.Should().BeApproximately(mean, 5 * Math.Sqrt(variance / xs.Length) + 1e-12, "the sample mean");
        double seVar = Math.Sqrt(Math.Max(m4 - v * v, 0) / xs.Length);
        v.Should().BeApproximately(variance, 5 * seVar + 1e-12, "the sample variance");
    }

    [Fact]
    public void Constant_always_gives_its_value() =>
        Draw(new Constant(3.5)).Should().OnlyContain(x => x == 3.5);

    [Fact]
    public void Uniform_has_mean_and_variance_of_its_interval()
    {
        var d = new Uniform(280, 320);
        var xs = Draw(d);
        xs.Should().OnlyContain(x => x >= 280 && x <= 320);
        ShouldMatch(xs, 300, 40.0 * 40 / 12);
    }

    [Fact]
    public void Exponential_has_mean_m_and_variance_m_squared()
    {
        var xs = Draw(new Exponential(200));
        xs.Should().OnlyContain(x => x > 0);
        ShouldMatch(xs, 200, 200.0 * 200);
    }

    [Fact]
    public void Normal_has_mean_mu_and_variance_sigma_squared()
    {
        ShouldMatch(Draw(new Normal(10, 3)), 10, 9);
    }

    [Fact]
    public void Log_normal_has_the_textbook_moments()
    {
        var d = new LogNormal(Math.Log(600), 0.25);
        d.Mean.Should().BeApproximately(600 * Math.Exp(0.25 * 0.25 / 2), 1e-9);
        var xs = Draw(d);
        xs.Should().OnlyContain(x => x > 0);
        ShouldMatch(xs, d.Mean, d.Variance);
        xs.OrderBy(x => x).ElementAt(N / 2).Should().BeApproximately(600, 3, "the median is exp(mu)");
    }

    [Fact]
    public void Empirical_draws_values_in_proportion_to_weights()
    {
        var d = new Empirical([300, 600, 7200], [1, 2, 1]);
        var xs = Draw(d);
        xs.Count(x => x == 300).Should().BeCloseTo(25_000, 700);
        xs.Count(x => x == 600).Should().BeCloseTo(50_000, 800);
        xs.Count(x => x == 7200).Should().BeCloseTo(25_000, 700);
        ShouldMatch(xs, d.Mean, d.Variance);
        d.Mean.Should().Be((300 + 1200 + 7200) / 4.0);
    }

    [Fact]
    public void Mixture_of_ten_minutes_with_a_tail_has_the_combined_moments()
    {
        // The measured reaping: mostly 10 minutes, sometimes much later.
        var d = new Mixture([new Normal(600, 5), new Exponential(1800)], [0.9, 0.1]);
        d.Mean.Should().BeApproximately(0.9 * 600 + 0.1 * 1800, 1e-9);
        ShouldMatch(Draw(d), d.Mean, d.Variance);
    }

    [Fact]
    public void Normal_truncated_at_zero_has_the_truncated_normal_mean()
    {
        // mu = 1, sigma = 2: alpha = -0.5; E[X | X >= 0] = mu + sigma * phi(alpha) / (1 - Phi(alpha)).
        var d = new Normal(1, 2);
        double alpha = -0.5;
        double phi = Math.Exp(-alpha * alpha / 2) / Math.Sqrt(2 * Math.PI);
        double z = 1 - StandardNormal.Cdf(alpha);
        double mean = 1 + 2 * phi / z;
        double variance = 4 * (1 + alpha * phi / z - (phi / z) * (phi / z));
        var xs = Draw(d, d.SampleNonNegative);
        xs.Should().OnlyContain(x => x >= 0);
        ShouldMatch(xs, mean, variance);
    }

    [Fact]
    public void Uniform_truncated_at_zero_is_uniform_over_the_non_negative_part()
    {
        var d = new Uniform(-1, 3);
        d.ProbabilityNegative.Should().Be(0.25);
        var xs = Draw(d, d.SampleNonNegative);
        xs.Should().OnlyContain(x => x >= 0 && x <= 3);
        ShouldMatch(xs, 1.5, 9.0 / 12);
    }

    [Fact]
    public void Mixture_truncation_reweights_components_by_their_non_negative_mass()
    {
        // Component A is entirely negative, so all draws come from B.
        var d = new Mixture([new Uniform(-5, -1), new Uniform(10, 20)], [0.5, 0.5]);
        var xs = Draw(d, d.SampleNonNegative);
        xs.Should().OnlyContain(x => x >= 10 && x <= 20);
    }

    [Fact]
    public void Durations_are_truncated_at_zero_and_rounded_to_ticks()
    {
        var d = new Normal(0.000_000_5, 1);
        var c = new SeededChoices(2);
        for (int i = 0; i < 10_000; i++)
            d.SampleDuration(c).Should().BeGreaterThanOrEqualTo(TimeSpan.Zero);
        new Constant(0.000_000_26).SampleDuration(c).Ticks.Should().Be(3);
    }

    [Theory]
    [InlineData(0.0, 0.5)]
    [InlineData(1.959963984540054, 0.975)]
    [InlineData(-1.0, 0.15865525393145707)]
    [InlineData(3.0, 0.9986501019683699)]
    public void Standard_normal_cdf_matches_tables(double x, double p)
    {
        StandardNormal.Cdf(x).Should().BeApproximately(p, 1e-14);
        StandardNormal.InverseCdf(p).Should().BeApproximately(x, 1e-9);
    }

    [Fact]
    public void Invalid_parameters_are_rejected()
    {
        ((Action)(() => _ = new Uniform(2, 1))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => _ = new Exponential(0))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => _ = new Normal(0, -1))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => _ = new Empirical([1, 2], [1]))).Should().Throw<ArgumentException>();
        ((Action)(() => _ = new Empirical([1], [0]))).Should().Throw<ArgumentOutOfRangeException>();
    }
}
