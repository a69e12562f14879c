using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Zombiesim.Cli.Charts;

namespace Zombiesim.Cli.Commands;

/// <summary>
/// Flags whose values are checked as they are parsed: a bad value is reported by the flag's name
/// alone, with what would be right (<c>error: --format: 'gif' is not a format (png, svg or both)</c>),
/// never as a file position or a .NET type name, and gives exit code 2.
/// </summary>
internal static class Flags
{
    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>], with a default;
    /// <paramref name="what"/> names it in errors ("a number of workers").</summary>
    public static Option<int> Int(string name, string description, string what, int min, int max, int fallback) =>
        new(name)
        {
            Description = $"{description} ({min} to {max}).",
            DefaultValueFactory = _ => fallback,
            CustomParser = r => Whole(r, r.Tokens.Count > 0 ? r.Tokens[0].Value : "", name, what, min, max) is { } v ? (int)v : fallback,
        };

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>], absent when not given (then
    /// <paramref name="fallback"/> says what applies).</summary>
    public static Option<int?> OptionalInt(string name, string description, string what, int min, int max, string fallback) =>
        new(name)
        {
            Description = $"{description} ({min} to {max}; default {fallback}).",
            CustomParser = r => Whole(r, r.Tokens.Count > 0 ? r.Tokens[0].Value : "", name, what, min, max) is { } v ? (int)v : null,
        };

    /// <summary>A large whole number in [<paramref name="min"/>, <paramref name="max"/>], with a default.</summary>
    public static Option<long> Long(string name, string description, string what, long min, long max, long fallback) =>
        new(name)
        {
            Description = $"{description} ({min} to {max}).",
            DefaultValueFactory = _ => fallback,
            CustomParser = r => Whole(r, r.Tokens.Count > 0 ? r.Tokens[0].Value : "", name, what, min, max) ?? fallback,
        };

    /// <summary>Whole numbers in [<paramref name="min"/>, <paramref name="max"/>], repeatable.</summary>
    public static Option<int[]> Ints(string name, string description, string what, int min, int max, int[] fallback) =>
        new(name)
        {
            Description = $"{description} ({min} to {max}; repeatable).",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => fallback,
            CustomParser = r => r.Tokens.Select(t => (int)(Whole(r, t.Value, name, what, min, max) ?? min)).ToArray(),
        };

    /// <summary>A number above 0 and at most <paramref name="max"/>, with a default.</summary>
    public static Option<double> Positive(string name, string description, string what, double max, double fallback) =>
        new(name)
        {
            Description = $"{description} (above 0, at most {max}).",
            DefaultValueFactory = _ => fallback,
            CustomParser = r => PositiveNumber(r, r.Tokens.Count > 0 ? r.Tokens[0].Value : "", name, what, max) ?? fallback,
        };

    /// <summary>Numbers above 0 and at most <paramref name="max"/>, repeatable.</summary>
    public static Option<double[]> Positives(string name, string description, string what, double max, double[] fallback) =>
        new(name)
        {
            Description = $"{description} (above 0, at most {max}; repeatable).",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => fallback,
            CustomParser = r => r.Tokens.Select(t => PositiveNumber(r, t.Value, name, what, max) ?? 1).ToArray(),
        };

    /// <summary>A seed: a whole number from 0 to <paramref name="max"/>.</summary>
    public static Option<ulong?> Seed(string name, string description, ulong max) =>
        new(name)
        {
            Description = description,
            CustomParser = r =>
            {
                string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
                if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong v) && v <= max)
                    return v;
                r.AddError($"{name}: '{text}' is not a seed (a whole number from 0 to {max})");
                return null;
            },
        };

    /// <summary>One of <paramref name="allowed"/>, named <paramref name="what"/> in errors.</summary>
    public static Option<string> Choice(string name, string description, string what, string fallback, params string[] allowed) =>
        new(name)
        {
            Description = description,
            DefaultValueFactory = _ => fallback,
            CustomParser = r =>
            {
                string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
                if (allowed.Contains(text))
                    return text;
                r.AddError($"{name}: '{text}' is not {what} ({Or(allowed)})");
                return fallback;
            },
        };

    /// <summary>--format png|svg|both.</summary>
    public static Option<ChartFormat> Format() =>
        new("--format")
        {
            Description = "png, svg or both.",
            DefaultValueFactory = _ => ChartFormat.Both,
            CustomParser = r =>
            {
                string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
                switch (text)
                {
                    case "png": return ChartFormat.Png;
                    case "svg": return ChartFormat.Svg;
                    case "both": return ChartFormat.Both;
                    default:
                        r.AddError($"--format: '{text}' is not a format (png, svg or both)");
                        return ChartFormat.Both;
                }
            },
        };

    /// <summary>"a, b or c".</summary>
    public static string Or(IReadOnlyList<string> words) =>
        words.Count == 1 ? words[0] : string.Join(", ", words.Take(words.Count - 1)) + " or " + words[^1];

    private static long? Whole(ArgumentResult r, string text, string name, string what, long min, long max)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) && v >= min && v <= max)
            return v;
        r.AddError($"{name}: '{text}' is not {what} (a whole number from {min} to {max})");
        return null;
    }

    private static double? PositiveNumber(ArgumentResult r, string text, string name, string what, double max)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && v <= max)
            return v;
        r.AddError($"{name}: '{text}' is not {what} (a number above 0 and at most {max.ToString(CultureInfo.InvariantCulture)})");
        return null;
    }
}
