using System.Globalization;

namespace Zombiesim.Core.Scenarios;

/// <summary>
/// Human durations as scenarios write them: a number and a unit, <c>250ms</c>, <c>0.5ms</c>,
/// <c>310s</c>, <c>5m</c>, <c>1h</c>, <c>2d</c>, also <c>75us</c>. A unit is required: a bare
/// number is ambiguous and rejected. Results are exact to the engine's 100 ns tick.
/// </summary>
public static class DurationText
{
    private static readonly (string Unit, decimal Ticks)[] Units =
    [
        ("us", 10m), ("µs", 10m), ("ms", TimeSpan.TicksPerMillisecond), ("s", TimeSpan.TicksPerSecond),
        ("m", TimeSpan.TicksPerMinute), ("min", TimeSpan.TicksPerMinute), ("h", TimeSpan.TicksPerHour), ("d", TimeSpan.TicksPerDay),
    ];

    public const string Expected = "a number with a unit: us, ms, s, m (or min), h or d, for example 250ms, 310s, 5m, 1h";

    /// <summary>The longest duration the simulator takes, 100 years: instants stay sums of a few such
    /// durations, far from <see cref="TimeSpan.MaxValue"/> (about 29,000 years), so they cannot overflow.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(36500);

    /// <summary>A duration in seconds as the engine's ticks, rounded, within [0, <see cref="Longest"/>]
    /// (a draw from a long tail saturates instead of overflowing).</summary>
    public static TimeSpan FromSeconds(double seconds) =>
        seconds >= Longest.TotalSeconds ? Longest
            : seconds > 0 ? TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond)) : TimeSpan.Zero;

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says what was wrong and what would be right.</summary>
    public static bool TryParse(string? text, out TimeSpan value, out string? error)
    {
        value = default;
        string s = (text ?? "").Trim();
        int split = 0;
        while (split < s.Length && (char.IsAsciiDigit(s[split]) || s[split] is '.' or '-' or '+'))
            split++;
        string number = s[..split], unit = s[split..].Trim();
        if (number.Length == 0)
        {
            error = $"'{text}' is not a duration: expected {Expected}";
            return false;
        }
        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture,
            out decimal amount))
        {
            error = $"'{number}' in '{text}' is not a number: expected {Expected}";
            return false;
        }
        if (unit.Length == 0)
        {
            error = $"'{text}' has no unit: expected {Expected} (did you mean {number}s?)";
            return false;
        }
        decimal perUnit = 0;
        foreach (var (u, ticks) in Units)
        {
            if (u == unit)
                perUnit = ticks;
        }
        if (perUnit == 0)
        {
            error = $"'{unit}' in '{text}' is not a unit of time: expected {Expected}";
            return false;
        }
        if (amount < 0)
        {
            error = $"'{text}' is negative: a duration is zero or more";
            return false;
        }
        if (amount > Longest.Ticks / perUnit)
        {
            error = $"'{text}' is longer than the longest duration the simulator takes, 100 years (36500d)";
            return false;
        }
        decimal total = amount * perUnit;
        if (total != decimal.Truncate(total))
        {
            error = $"'{text}' is finer than the simulator's resolution of 100 ns (0.1us)";
            return false;
        }
        value = TimeSpan.FromTicks((long)total);
        error = null;
        return true;
    }

    /// <summary>An exact short form: seconds below an hour (310s, 300s), else the
    /// largest whole unit (2h, 90m); 250ms, 0.5ms below a second.</summary>
    public static string Format(TimeSpan value)
    {
        long t = value.Ticks;
        if (t == 0) return "0s";
        if (t < TimeSpan.TicksPerHour && t % TimeSpan.TicksPerSecond == 0)
            return $"{t / TimeSpan.TicksPerSecond}s"; // 300s, not 5m: the unit people write timeouts in
        foreach (var (unit, ticks) in new (string, long)[] { ("d", TimeSpan.TicksPerDay), ("h", TimeSpan.TicksPerHour),
            ("m", TimeSpan.TicksPerMinute), ("s", TimeSpan.TicksPerSecond) })
        {
            if (t % ticks == 0)
                return $"{t / ticks}{unit}";
        }
        if (t < TimeSpan.TicksPerSecond)
            return ((decimal)t / TimeSpan.TicksPerMillisecond).ToString(CultureInfo.InvariantCulture) + "ms";
        return ((decimal)t / TimeSpan.TicksPerSecond).ToString(CultureInfo.InvariantCulture) + "s";
    }
}
