using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Random;

/// <summary>
/// A distribution for a scenario value that may vary. Values are plain doubles in the unit of the
/// value they describe (seconds for durations). Every draw goes through <see cref="IChoices"/>, one
/// uniform per draw where possible, so that exploration can steer it.
/// </summary>
public abstract record Distribution
{
    public abstract double Mean { get; }
    public abstract double Variance { get; }

    /// <summary>The smallest and largest values a draw can take (infinite where unbounded).</summary>
    public abstract (double Min, double Max) Support { get; }

    /// <summary>Probability that a draw is negative.</summary>
    public abstract double ProbabilityNegative { get; }

    public abstract double Sample(IChoices choices);

    /// <summary>A draw conditioned on being non-negative (the distribution truncated at zero).</summary>
    public abstract double SampleNonNegative(IChoices choices);

    /// <summary>A duration in seconds, truncated at zero, rounded to the engine's 100 ns tick. Under
    /// systematic exploration the choices pick one of <see cref="Candidates"/> instead.</summary>
    public TimeSpan SampleDuration(IChoices choices) => choices is IDiscreteChoices discrete
        ? discrete.ChooseDuration(this)
        : DurationText.FromSeconds(SampleNonNegative(choices));

    /// <summary>
    /// The values exploration tries for a duration: the non-negative support on a grid of
    /// <paramref name="resolution"/>, both ends always included (unbounded supports are cut at
    /// their 0.1% and 99.9% quantiles, or mean +- 3 sd for the normal). At most 10,001 values.
    /// </summary>
    public abstract IReadOnlyList<double> Candidates(double resolution);

    protected static double[] Grid(double low, double high, double resolution)
    {
        low = Math.Max(0, low);
        if (high <= low)
            return [low];
        double step = Math.Max(resolution, (high - low) / 10_000);
        int n = (int)Math.Floor((high - low) / step + 1e-9);
        var values = new List<double>(n + 2);
        for (int i = 0; i <= n; i++)
            values.Add(low + i * step);
        if (values[^1] < high - 1e-12)
            values.Add(high);
        return values.ToArray();
    }

    /// <summary>A uniform in the open interval (0, 1): never exactly 0 or 1, so inverse CDFs stay finite.</summary>
    protected static double OpenUnit(IChoices choices) => choices.NextDouble() + 0.5 / (1UL << 53);
}

public sealed record Constant(double Value) : Distribution
{
    public override double Mean => Value;
    public override double Variance => 0;
    public override (double Min, double Max) Support => (Value, Value);
    public override double ProbabilityNegative => Value < 0 ? 1 : 0;
    public override double Sample(IChoices choices) => Value;

    public override double SampleNonNegative(IChoices choices) =>
        Value >= 0 ? Value : throw new InvalidOperationException($"constant {Value} has no non-negative values");

    public override IReadOnlyList<double> Candidates(double resolution) => [Math.Max(0, Value)];
}

/// <summary>Uniform on [Low, High].</summary>
public sealed record Uniform : Distribution
{
    public Uniform(double low, double high)
    {
        if (!(high >= low))
            throw new ArgumentOutOfRangeException(nameof(high), $"uniform needs low <= high, got [{low}, {high}]");
        Low = low;
        High = high;
    }

    public double Low { get; }
    public double High { get; }
    public override double Mean => (Low + High) / 2;
    public override double Variance => (High - Low) * (High - Low) / 12;
    public override (double Min, double Max) Support => (Low, High);
    public override double ProbabilityNegative => High <= 0 ? (Low < 0 ? 1 : 0) : Low >= 0 ? 0 : -Low / (High - Low);
    public override double Sample(IChoices choices) => Low + (High - Low) * choices.NextDouble();

    public override double SampleNonNegative(IChoices choices)
    {
        if (High < 0)
            throw new InvalidOperationException($"uniform [{Low}, {High}] has no non-negative values");
        double low = Math.Max(0, Low);
        return low + (High - low) * choices.NextDouble();
    }

    public override IReadOnlyList<double> Candidates(double resolution) => Grid(Low, High, resolution);
}

public sealed record Exponential : Distribution
{
    public Exponential(double mean)
    {
        if (!(mean > 0) || double.IsInfinity(mean))
            throw new ArgumentOutOfRangeException(nameof(mean), $"exponential needs a positive finite mean, got {mean}");
        MeanValue = mean;
    }

    public double MeanValue { get; }
    public override double Mean => MeanValue;
    public override double Variance => MeanValue * MeanValue;
    public override (double Min, double Max) Support => (0, double.PositiveInfinity);
    public override double ProbabilityNegative => 0;
    public override double Sample(IChoices choices) => -MeanValue * Math.Log(OpenUnit(choices));
    public override double SampleNonNegative(IChoices choices) => Sample(choices);
    public override IReadOnlyList<double> Candidates(double resolution) => Grid(0, -MeanValue * Math.Log(0.001), resolution);
}

public sealed record Normal : Distribution
{
    public Normal(double mu, double sigma)
    {
        if (!(sigma > 0) || double.IsInfinity(sigma))
            throw new ArgumentOutOfRangeException(nameof(sigma), $"normal needs a positive standard deviation, got {sigma}");
        Mu = mu;
        Sigma = sigma;
    }

    public double Mu { get; }
    public double Sigma { get; }
    public override double Mean => Mu;
    public override double Variance => Sigma * Sigma;
    public override (double Min, double Max) Support => (double.NegativeInfinity, double.PositiveInfinity);
    public override double ProbabilityNegative => StandardNormal.Cdf(-Mu / Sigma);
    public override double Sample(IChoices choices) => Mu + Sigma * StandardNormal.InverseCdf(OpenUnit(choices));

    /// <summary>Exact truncation by inversion: u is mapped into [P(X &lt; 0), 1).</summary>
    public override double SampleNonNegative(IChoices choices)
    {
        double p0 = ProbabilityNegative;
        double u = p0 + (1 - p0) * OpenUnit(choices);
        return Math.Max(0, Mu + Sigma * StandardNormal.InverseCdf(u));
    }

    public override IReadOnlyList<double> Candidates(double resolution) => Grid(Mu - 3 * Sigma, Mu + 3 * Sigma, resolution);
}

/// <summary>exp(N(Mu, Sigma²)): Mu and Sigma are those of the logarithm; the median is exp(Mu).</summary>
public sealed record LogNormal : Distribution
{
    public LogNormal(double mu, double sigma)
    {
        if (!(sigma > 0) || double.IsInfinity(sigma))
            throw new ArgumentOutOfRangeException(nameof(sigma), $"log-normal needs a positive sigma, got {sigma}");
        Mu = mu;
        Sigma = sigma;
    }

    public double Mu { get; }
    public double Sigma { get; }
    public override double Mean => Math.Exp(Mu + Sigma * Sigma / 2);
    public override double Variance => (Math.Exp(Sigma * Sigma) - 1) * Math.Exp(2 * Mu + Sigma * Sigma);
    public override (double Min, double Max) Support => (0, double.PositiveInfinity);
    public override double ProbabilityNegative => 0;
    public override double Sample(IChoices choices) => Math.Exp(Mu + Sigma * StandardNormal.InverseCdf(OpenUnit(choices)));
    public override double SampleNonNegative(IChoices choices) => Sample(choices);

    public override IReadOnlyList<double> Candidates(double resolution) =>
        Grid(Math.Exp(Mu + Sigma * StandardNormal.InverseCdf(0.001)), Math.Exp(Mu + Sigma * StandardNormal.InverseCdf(0.999)), resolution);
}

/// <summary>Listed values drawn with the given (not necessarily normalised) weights.</summary>
public sealed record Empirical : Distribution
{
    private readonly double[] _values;
    private readonly double[] _cumulative;

    public Empirical(IReadOnlyList<double> values, IReadOnlyList<double> weights)
    {
        if (values.Count == 0 || values.Count != weights.Count)
            throw new ArgumentException("empirical needs as many weights as values and at least "
                + $"one (got {values.Count} values, {weights.Count} weights)");
        _values = values.ToArray();
        _cumulative = new double[values.Count];
        double sum = 0;
        for (int i = 0; i < weights.Count; i++)
        {
            if (!(weights[i] >= 0) || double.IsInfinity(weights[i]))
                throw new ArgumentOutOfRangeException(nameof(weights), $"weight {i} is {weights[i]}; weights must be finite and >= 0");
            sum += weights[i];
            _cumulative[i] = sum;
        }
        if (!(sum > 0))
            throw new ArgumentOutOfRangeException(nameof(weights), "empirical weights sum to zero");
        for (int i = 0; i < _cumulative.Length; i++)
            _cumulative[i] /= sum;
        _cumulative[^1] = 1;
    }

    public IReadOnlyList<double> Values => _values;
    public double Weight(int i) => _cumulative[i] - (i == 0 ? 0 : _cumulative[i - 1]);

    public override double Mean
    {
        get
        {
            double m = 0;
            for (int i = 0; i < _values.Length; i++) m += Weight(i) * _values[i];
            return m;
        }
    }

    public override double Variance
    {
        get
        {
            double m = Mean, v = 0;
            for (int i = 0; i < _values.Length; i++) v += Weight(i) * (_values[i] - m) * (_values[i] - m);
            return v;
        }
    }

    public override (double Min, double Max) Support => (_values.Min(), _values.Max());

    public override double ProbabilityNegative
    {
        get
        {
            double p = 0;
            for (int i = 0; i < _values.Length; i++) if (_values[i] < 0) p += Weight(i);
            return p;
        }
    }

    public override double Sample(IChoices choices) => _values[Pick(choices.NextDouble())];

    public override double SampleNonNegative(IChoices choices)
    {
        double p0 = ProbabilityNegative;
        if (p0 >= 1)
            throw new InvalidOperationException("empirical distribution has no non-negative values");
        // Walk the non-negative values' own cumulative weights.
        double target = choices.NextDouble() * (1 - p0), acc = 0;
        int last = -1;
        for (int i = 0; i < _values.Length; i++)
        {
            if (_values[i] < 0) continue;
            acc += Weight(i);
            last = i;
            if (target < acc) return _values[i];
        }
        return _values[last];
    }

    public override IReadOnlyList<double> Candidates(double resolution) =>
        _values.Where((v, i) => v >= 0 && Weight(i) > 0).Distinct().Order().ToArray();

    private int Pick(double u)
    {
        int i = Array.BinarySearch(_cumulative, u);
        i = i < 0 ? ~i : i + 1; // first cumulative strictly above u
        return Math.Min(i, _values.Length - 1);
    }

    public bool Equals(Empirical? other) =>
        other is not null && _values.AsSpan().SequenceEqual(other._values) && _cumulative.AsSpan().SequenceEqual(other._cumulative);

    public override int GetHashCode() => HashCode.Combine(_values.Length, _values[0], _cumulative[^1]);
}

/// <summary>With probability proportional to its weight, a draw from one of the components.</summary>
public sealed record Mixture : Distribution
{
    private readonly Distribution[] _components;
    private readonly Empirical _pick;

    public Mixture(IReadOnlyList<Distribution> components, IReadOnlyList<double> weights)
    {
        if (components.Count == 0)
            throw new ArgumentException("mixture needs at least one component");
        _components = components.ToArray();
        _pick = new Empirical(Enumerable.Range(0, components.Count).Select(i => (double)i).ToArray(), weights);
    }

    public IReadOnlyList<Distribution> Components => _components;
    private double W(int i) => _pick.Weight(i);

    /// <summary>The probability of component <paramref name="i"/>.</summary>
    public double Weight(int i) => W(i);

    public override double Mean => Enumerable.Range(0, _components.Length).Sum(i => W(i) * _components[i].Mean);

    public override double Variance
    {
        get
        {
            double m = Mean;
            return Enumerable.Range(0, _components.Length)
                .Sum(i => W(i) * (_components[i].Variance + (_components[i].Mean - m) * (_components[i].Mean - m)));
        }
    }

    public override (double Min, double Max) Support =>
        (_components.Min(c => c.Support.Min), _components.Max(c => c.Support.Max));

    public override double ProbabilityNegative =>
        Enumerable.Range(0, _components.Length).Sum(i => W(i) * _components[i].ProbabilityNegative);

    public override double Sample(IChoices choices) => _components[(int)_pick.Sample(choices)].Sample(choices);

    /// <summary>Truncating a mixture reweights each component by its own mass at or above zero.</summary>
    public override double SampleNonNegative(IChoices choices)
    {
        var weights = new double[_components.Length];
        for (int i = 0; i < weights.Length; i++)
            weights[i] = W(i) * (1 - _components[i].ProbabilityNegative);
        double sum = weights.Sum();
        if (!(sum > 0))
            throw new InvalidOperationException("mixture has no non-negative values");
        double target = choices.NextDouble() * sum, acc = 0;
        int k = weights.Length - 1;
        for (int i = 0; i < weights.Length; i++)
        {
            acc += weights[i];
            if (target < acc && weights[i] > 0) { k = i; break; }
        }
        return _components[k].SampleNonNegative(choices);
    }

    public override IReadOnlyList<double> Candidates(double resolution) =>
        _components.Where((c, i) => W(i) > 0).SelectMany(c => c.Candidates(resolution)).Distinct().Order().ToArray();

    public bool Equals(Mixture? other) =>
        other is not null && _components.AsSpan().SequenceEqual(other._components) && _pick.Equals(other._pick);

    public override int GetHashCode() => HashCode.Combine(_components.Length, _components[0]);
}

/// <summary>The standard normal CDF and its inverse, written out so results never depend on a library.</summary>
public static class StandardNormal
{
    /// <summary>Φ(x) by Marsaglia's series (J. Stat. Software 11(4), 2004): absolute error about 1e-15.</summary>
    public static double Cdf(double x)
    {
        if (x < -9) return 0; // Φ(-9) is about 1e-19
        if (x > 9) return 1;
        double s = x, t = 0, b = x, q = x * x;
        for (int i = 1; s != t && i < 2000; i += 2)
        {
            t = s;
            b *= q / (i + 2);
            s = t + b;
        }
        return 0.5 + s * Math.Exp(-0.5 * q - 0.91893853320467274178);
    }

    /// <summary>Φ⁻¹(p) by Acklam's rational approximation, refined by one Halley step.</summary>
    public static double InverseCdf(double p)
    {
        if (!(p > 0 && p < 1))
            throw new ArgumentOutOfRangeException(nameof(p), $"p must lie in (0, 1), got {p}");
        const double pLow = 0.02425;
        double x;
        if (p < pLow)
        {
            double q = Math.Sqrt(-2 * Math.Log(p));
            x = (((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5) / ((((D0 * q + D1) * q + D2) * q + D3) * q + 1);
        }
        else if (p <= 1 - pLow)
        {
            double q = p - 0.5, r = q * q;
            x = (((((A0 * r + A1) * r + A2) * r + A3) * r + A4) * r + A5) * q
                / (((((B0 * r + B1) * r + B2) * r + B3) * r + B4) * r + 1);
        }
        else
        {
            double q = Math.Sqrt(-2 * Math.Log(1 - p));
            x = -(((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5) / ((((D0 * q + D1) * q + D2) * q + D3) * q + 1);
        }
        double e = Cdf(x) - p;
        double u = e * Math.Sqrt(2 * Math.PI) * Math.Exp(x * x / 2);
        return x - u / (1 + x * u / 2);
    }

    private const double A0 = -3.969683028665376e+01, A1 = 2.209460984245205e+02, A2 = -2.759285104469687e+02,
        A3 = 1.383577518672690e+02, A4 = -3.066479806614716e+01, A5 = 2.506628277459239e+00;
    private const double B0 = -5.447609879822406e+01, B1 = 1.615858368580409e+02, B2 = -1.556989798598866e+02,
        B3 = 6.680131188771972e+01, B4 = -1.328068155288572e+01;
    private const double C0 = -7.784894002430293e-03, C1 = -3.223964580411365e-01, C2 = -2.400758277161838e+00,
        C3 = -2.549732539343734e+00, C4 = 4.374664141464968e+00, C5 = 2.938163982698783e+00;
    private const double D0 = 7.784695709041462e-03, D1 = 3.224671290700398e-01, D2 = 2.445134137142996e+00,
        D3 = 3.754408661907416e+00;
}
