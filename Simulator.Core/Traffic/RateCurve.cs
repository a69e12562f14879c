namespace Zombiesim.Core.Traffic;

/// <summary>How arrivals follow a rate: as a Poisson process (independent callers) or evenly spaced.</summary>
public enum Arrivals { Poisson, Even }

/// <summary>
/// Requests per second over simulated time, as steps: each segment's rate holds from its start to the
/// next segment's start (the last one for ever); before the first segment the rate is 0. The
/// expected count of arrivals up to an instant is <see cref="Cumulative"/> (Λ); arrivals are the
/// instants where Λ reaches 1, 2, 3, ... (even) or grows by unit exponential draws (Poisson: the
/// time-rescaling of a non-homogeneous Poisson process, Çinlar 1975, so any curve is exact).
/// </summary>
public sealed class RateCurve
{
    /// <summary>A daily curve is made of steps this long, each with the curve's mean over it.</summary>
    public static readonly TimeSpan DailyStep = TimeSpan.FromMinutes(1);

    private readonly double[] _start, _rate, _before; // seconds; per second; Λ at each start

    public RateCurve(IReadOnlyList<(TimeSpan From, double PerSecond)> steps, Arrivals arrivals, string text)
    {
        if (steps.Count == 0)
            throw new ArgumentException("a rate needs at least one step", nameof(steps));
        _start = steps.Select(s => s.From.TotalSeconds).ToArray();
        _rate = steps.Select(s => s.PerSecond).ToArray();
        _before = new double[steps.Count];
        for (int i = 1; i < steps.Count; i++)
        {
            if (_start[i] <= _start[i - 1])
                throw new ArgumentException("steps must start at increasing instants", nameof(steps));
            _before[i] = _before[i - 1] + _rate[i - 1] * (_start[i] - _start[i - 1]);
        }
        foreach (var r in _rate)
            ArgumentOutOfRangeException.ThrowIfNegative(r, nameof(steps));
        Arrivals = arrivals;
        Text = text;
    }

    public Arrivals Arrivals { get; }

    /// <summary>The rate as the scenario wrote it (for messages).</summary>
    public string Text { get; }

    /// <summary>The largest rate of any step, per second.</summary>
    public double Peak => _rate.Max();

    /// <summary>A constant rate from 0 s.</summary>
    public static RateCurve Constant(double perSecond, Arrivals arrivals) =>
        new([(TimeSpan.Zero, perSecond)], arrivals, $"{perSecond} per second");

    /// <summary>
    /// A day's curve repeated from 0 s (the run starts at midnight): lowest <paramref name="min"/>, highest
    /// <paramref name="max"/> per second at <paramref name="peakAt"/> (time of day), a cosine between them,
    /// as <see cref="DailyStep"/> steps each holding the curve's exact mean over it, up to <paramref name="until"/>.
    /// </summary>
    public static RateCurve Daily(double min, double max, TimeSpan peakAt, TimeSpan until, Arrivals arrivals)
    {
        const double day = 86_400;
        double step = DailyStep.TotalSeconds, amplitude = (max - min) / 2, peak = peakAt.TotalSeconds;
        // ∫ (1 + cos(2π(t - peak)/day)) dt = t + day/(2π) sin(2π(t - peak)/day)
        double Integral(double t) => t + day / (2 * Math.PI) * Math.Sin(2 * Math.PI * (t - peak) / day);
        int count = Math.Max(1, (int)Math.Ceiling(until.TotalSeconds / step));
        var steps = new (TimeSpan, double)[count];
        for (int i = 0; i < count; i++)
        {
            double a = i * step, b = a + step;
            steps[i] = (TimeSpan.FromSeconds(a), min + amplitude * (Integral(b) - Integral(a)) / step);
        }
        return new RateCurve(steps, arrivals, $"daily from {min} to {max} per second, peak at {peakAt}");
    }

    /// <summary>Λ(t): the expected arrivals from 0 s to <paramref name="seconds"/>.</summary>
    public double Cumulative(double seconds)
    {
        int i = Array.BinarySearch(_start, seconds);
        i = i >= 0 ? i : ~i - 1;
        return i < 0 ? 0 : _before[i] + _rate[i] * (seconds - _start[i]);
    }

    /// <summary>The first instant (s) at which Λ reaches <paramref name="target"/>; infinity when it never does.</summary>
    public double InstantOf(double target)
    {
        int lo = 0, hi = _start.Length - 1;
        while (lo < hi) // the last step whose Λ at its start is below the target
        {
            int mid = (lo + hi + 1) / 2;
            if (_before[mid] < target)
                lo = mid;
            else
                hi = mid - 1;
        }
        if (target <= _before[lo])
            return _start[lo];
        return _rate[lo] > 0 ? _start[lo] + (target - _before[lo]) / _rate[lo] : double.PositiveInfinity;
    }

    /// <summary>The expected arrivals between two instants.</summary>
    public double Expected(TimeSpan from, TimeSpan until) =>
        until <= from ? 0 : Cumulative(until.TotalSeconds) - Cumulative(from.TotalSeconds);
}
