using System.Globalization;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Search;

/// <summary>A varied scenario path and the values it takes, as YAML text (what --set would get).</summary>
public sealed record Parameter(string Path, IReadOnlyList<string> Values)
{
    /// <summary><c>PATH=FROM..TO[:STEP]</c> (durations or numbers) or <c>PATH=[a, b, c]</c> or <c>PATH=a,b,c</c>.</summary>
    public static Parameter Parse(string text, string where)
    {
        int eq = text.IndexOf('=');
        if (eq <= 0)
            throw new UsageException(where, $"'{text}' is not PATH=FROM..TO[:STEP] or PATH=[a,b,c], like server.idleTimeout=60s..400s:10s");
        string path = text[..eq].Trim(), spec = text[(eq + 1)..].Trim();
        return new Parameter(path, ParseValues(spec, $"{where} ({text})"));
    }

    public static IReadOnlyList<string> ParseValues(string spec, string where)
    {
        if (spec.StartsWith('[') && spec.EndsWith(']'))
            spec = spec[1..^1];
        int dots = spec.IndexOf("..", StringComparison.Ordinal);
        if (dots < 0)
        {
            var list = spec.Split(',').Select(v => v.Trim()).Where(v => v.Length > 0).ToArray();
            if (list.Length == 0)
                throw new UsageException(where, "no values: expected FROM..TO[:STEP] or a list a,b,c");
            return list;
        }
        string from = spec[..dots].Trim(), rest = spec[(dots + 2)..];
        int colon = rest.IndexOf(':');
        string to = (colon < 0 ? rest : rest[..colon]).Trim();
        string? step = colon < 0 ? null : rest[(colon + 1)..].Trim();
        if (DurationText.TryParse(from, out var f, out _) && DurationText.TryParse(to, out var t, out _))
        {
            TimeSpan s = step is null ? TimeSpan.FromSeconds(1)
                : DurationText.TryParse(step, out var st, out var err) ? st : throw new UsageException(where, $"step: {err}");
            if (s <= TimeSpan.Zero || t < f)
                throw new UsageException(where, $"a range needs FROM <= TO and a positive step, got {spec}");
            var values = new List<string>();
            for (TimeSpan v = f; v <= t; v += s)
            {
                values.Add(DurationText.Format(v));
                if (values.Count > 100_000)
                    throw new UsageException(where, $"{spec} has more than 100,000 values: use a larger step");
            }
            return values;
        }
        if (double.TryParse(from, NumberStyles.Float, CultureInfo.InvariantCulture, out double a)
            && double.TryParse(to, NumberStyles.Float, CultureInfo.InvariantCulture, out double b))
        {
            double s = step is null ? 1 : double.TryParse(step, NumberStyles.Float, CultureInfo.InvariantCulture, out double st) ? st
                : throw new UsageException(where, $"step '{step}' is not a number");
            if (!(s > 0) || b < a)
                throw new UsageException(where, $"a range needs FROM <= TO and a positive step, got {spec}");
            var values = new List<string>();
            for (int k = 0; a + k * s <= b + 1e-9 * Math.Abs(s); k++)
            {
                values.Add((a + k * s).ToString("0.##########", CultureInfo.InvariantCulture));
                if (values.Count > 100_000)
                    throw new UsageException(where, $"{spec} has more than 100,000 values: use a larger step");
            }
            return values;
        }
        throw new UsageException(where, $"'{spec}' is not a range of durations (60s..400s:10s) or numbers (1..10:1)");
    }
}

/// <summary>
/// What a safe point must satisfy: the share of runs in which a request ended in one of the
/// outcomes must be at most <see cref="MaxRate"/>, judged by the upper bound of its Wilson interval
/// at <see cref="Confidence"/>. A maximum of zero ("no EOF, ...") can only be judged by observing no
/// failure at all; the interval's upper bound is then reported as what the runs can vouch for.
/// </summary>
public sealed record Goal(IReadOnlySet<Outcome>? Outcomes, double MaxRate, double Confidence, string Text)
{
    /// <summary><c>no EOF,ECONNRESET</c>, <c>errors &lt;= 1%</c>, <c>EOF,EPIPE &lt;= 0.02 at 99%</c>.</summary>
    public static Goal Parse(string text, string where)
    {
        string s = text.Trim();
        double confidence = 0.95;
        int at = s.LastIndexOf(" at ", StringComparison.Ordinal);
        if (at > 0)
        {
            confidence = ParseRate(s[(at + 4)..], where, "confidence");
            if (!(confidence > 0 && confidence < 1))
                throw new UsageException(where, $"confidence must lie between 0% and 100%, got {s[(at + 4)..]}");
            s = s[..at].Trim();
        }
        string outcomes;
        double max;
        if (s.StartsWith("no ", StringComparison.Ordinal))
        {
            outcomes = s[3..];
            max = 0;
        }
        else
        {
            int le = s.IndexOf("<=", StringComparison.Ordinal);
            if (le < 0)
                throw new UsageException(where, $"'{text}' is not a goal: expected 'no OUTCOMES' or 'OUTCOMES <= RATE [at CONFIDENCE]', "
                    + "like 'no EOF,ECONNRESET,EPIPE,ETIMEDOUT' or 'errors <= 1% at 95%'");
            outcomes = s[..le];
            max = ParseRate(s[(le + 2)..], where, "rate");
            if (max is < 0 or >= 1)
                throw new UsageException(where, $"the rate must lie in [0%, 100%), got {s[(le + 2)..].Trim()}");
        }
        var names = outcomes.Split(',').Select(o => o.Trim()).Where(o => o.Length > 0).ToArray();
        if (names.Length == 0)
            throw new UsageException(where, $"'{text}' names no outcome");
        HashSet<Outcome>? set = null;
        if (!(names.Length == 1 && names[0] is "errors" or OutcomeNames.AnyError))
        {
            set = new();
            foreach (var n in names)
            {
                if (!OutcomeNames.TryParse(n, out Outcome o) || o == Outcome.Ok)
                    throw new UsageException(where,
                        $"'{n}' is not an error outcome: expected errors, or some of {string.Join(", ", OutcomeNames.ErrorWords)}");
                set.Add(o);
            }
        }
        return new Goal(set, max, confidence, text.Trim());
    }

    private static double ParseRate(string text, string where, string what)
    {
        string t = text.Trim();
        bool percent = t.EndsWith('%');
        if (percent) t = t[..^1];
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
            throw new UsageException(where, $"{what} '{text.Trim()}' is not a number or a percentage");
        return percent ? v / 100 : v;
    }

    public bool IsFailure(Outcome outcome) => outcome != Outcome.Ok && (Outcomes is null || Outcomes.Contains(outcome));

    /// <summary>Whether k failures in n runs meet the goal.</summary>
    public bool Met(int failures, int runs) =>
        MaxRate == 0 ? failures == 0 : Wilson.Interval(failures, runs, Confidence).High <= MaxRate;
}

/// <summary>What to optimise among safe points: a varied parameter (<see cref="Path"/>) or a run
/// metric (<see cref="Metric"/>), up or down.</summary>
public sealed record Objective(Metric? Metric, string? Path, bool Minimize, string Text)
{
    /// <summary>The varied path or the metric's name, as the objective names it.</summary>
    public string Target => Path ?? Metric!.Value.Name();

    public static Objective Parse(string text, IReadOnlyList<Parameter> vary, string where)
    {
        var parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string paths = string.Join(", ", vary.Select(v => v.Path));
        if (parts.Length != 2 || parts[0] is not ("min" or "max"))
            throw new UsageException(where, $"'{text}' is not an objective: expected 'min METRIC' or 'max METRIC', "
                + $"METRIC a varied path ({paths}) or one of {MetricNames.List}");
        string target = parts[1];
        bool minimize = parts[0] == "min";
        if (vary.Any(v => v.Path == target))
            return new Objective(null, target, minimize, text.Trim());
        if (MetricNames.TryParse(target, out Metric metric))
            return new Objective(metric, null, minimize, text.Trim());
        throw new UsageException(where, $"'{target}' is neither a varied path ({paths}) nor one of {MetricNames.List}");
    }
}

public enum SearchStrategy { Bisect, Grid }

/// <summary>A whole search: what varies, how often each point runs, what is safe and what is best.</summary>
public sealed record SearchSpec(IReadOnlyList<Parameter> Vary, int Replications, Goal Goal, Objective Objective, SearchStrategy Strategy,
    int MarginSteps)
{
    /// <summary>All points of the grid, in order (the first parameter varies slowest).</summary>
    public IReadOnlyList<IReadOnlyList<string>> GridPoints()
    {
        IEnumerable<IReadOnlyList<string>> points = [[]];
        foreach (var p in Vary)
            points = points.SelectMany(prefix => p.Values.Select(v => (IReadOnlyList<string>)[.. prefix, v]));
        return points.ToList();
    }

    /// <summary>Shard <paramref name="shard"/> (from 0) of <paramref name="shards"/>: every N-th point of the grid
    /// from the shard's own, so that neighbouring points, often alike in cost, spread over the shards.</summary>
    public IReadOnlyList<IReadOnlyList<string>> ShardPoints(int shard, int shards)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shard, shards);
        var all = GridPoints();
        return Enumerable.Range(0, all.Count).Where(i => i % shards == shard).Select(i => all[i]).ToList();
    }
}

/// <summary>Wilson score interval for a binomial proportion (Wilson 1927).</summary>
public static class Wilson
{
    public static (double Low, double High) Interval(int successes, int trials, double confidence)
    {
        if (trials <= 0)
            return (0, 1);
        double z = StandardNormal.InverseCdf(1 - (1 - confidence) / 2);
        double p = (double)successes / trials, n = trials, z2 = z * z;
        double denominator = 1 + z2 / n;
        double center = (p + z2 / (2 * n)) / denominator;
        double half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator;
        return (Math.Max(0, center - half), Math.Min(1, center + half));
    }
}
