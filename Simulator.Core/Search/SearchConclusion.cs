using System.Globalization;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Search;

/// <summary>
/// What a search's points mean: which are safe, where safety switches (the boundary), what is
/// recommended with what margin, and what warns that the answer may not be monotone. A pure function
/// of the points, so that an unsharded search and its merged shards conclude the same.
/// </summary>
public static class SearchConclusion
{
    /// <summary>A pure function of the points: the unsharded run and merged shards agree.</summary>
    public static SearchResult Conclude(SearchSpec spec, IReadOnlyList<PointResult> points)
    {
        var ordered = OrderLikeGrid(spec, points);
        var safe = ordered.Select(p => spec.Goal.Met(p.Failures, p.Runs)).ToList();
        var warnings = new List<string>();
        PointResult? best = null;
        var safePoints = ordered.Where((p, i) => safe[i]).ToList();
        if (safePoints.Count > 0)
            best = spec.Objective.Minimize ? safePoints.MinBy(p => MetricOf(spec, p)) : safePoints.MaxBy(p => MetricOf(spec, p));

        PointResult? boundary = null, recommended = best;
        string text;
        if (spec.Vary.Count == 1)
        {
            // One parameter: where does safety switch, is it monotone, and how much margin is there?
            var values = spec.Vary[0].Values;
            var index = ordered.Select(p => IndexOf(values, p.Values[0])).ToList();
            int switches = 0;
            for (int i = 1; i < safe.Count; i++)
                if (safe[i] != safe[i - 1]) switches++;
            if (switches > 1)
                warnings.Add($"safety is not monotone in {spec.Vary[0].Path}: it switches {switches} times among the points run; "
                    + "use --strategy grid and read the table");
            // Failures should fall toward the safe side; a rise among the points run is a warning.
            int direction = safe.Count > 1 && safe[^1] && !safe[0] ? -1 : safe.Count > 1 && safe[0] && !safe[^1] ? 1 : 0;
            for (int i = 1; i < ordered.Count && direction != 0; i++)
            {
                double a = ordered[i - 1].Metrics[Metric.ErrorRate], b = ordered[i].Metrics[Metric.ErrorRate];
                if ((b - a) * direction < -1e-12)
                    warnings.Add($"the failure rate goes from {Pct(a)} at {ordered[i - 1].Values[0]} "
                        + $"to {Pct(b)} at {ordered[i].Values[0]}, "
                        + "against the trend: the answer may not be monotone");
            }
            int firstSafe = safe.IndexOf(true), lastSafe = safe.LastIndexOf(true);
            if (firstSafe == 0 && lastSafe < safe.Count - 1 && safe.Take(lastSafe + 1).All(x => x))
            {
                // Smaller is safer (a client's max idle behind a NAT gateway that forgets flows):
                // the boundary is the largest safe value and the margin lies below it.
                boundary = ordered[lastSafe];
                var firstUnsafe = ordered[lastSafe + 1];
                int b = index[lastSafe];
                var margin = ordered.Take(lastSafe).LastOrDefault(p => IndexOf(values, p.Values[0]) == b - spec.MarginSteps);
                recommended = spec.Objective.Path == spec.Vary[0].Path ? (margin ?? boundary) : best;
                text = $"{spec.Vary[0].Path}: safe up to {boundary.Values[0]} ({Rate(spec, boundary)}); "
                    + $"unsafe at {firstUnsafe.Values[0]} and above ({Rate(spec, firstUnsafe)}{Typically(firstUnsafe)}). "
                    + $"{boundary.Values[0]} is the boundary, with no margin"
                    + (recommended == margin && margin is not null
                        ? $"; recommended {margin.Values[0]}, {MarginText(values, b - spec.MarginSteps, b, spec.MarginSteps)} below it "
                            + $"({Rate(spec, margin)})."
                        : ".");
            }
            else if (firstSafe > 0 && safe.Skip(firstSafe).All(x => x))
            {
                boundary = ordered[firstSafe];
                var lastUnsafe = ordered[firstSafe - 1];
                int b = index[firstSafe];
                var margin = ordered.Skip(firstSafe + 1).FirstOrDefault(p => IndexOf(values, p.Values[0]) == b + spec.MarginSteps);
                recommended = spec.Objective.Path == spec.Vary[0].Path ? (margin ?? boundary) : best;
                text = $"{spec.Vary[0].Path}: unsafe at {lastUnsafe.Values[0]} and below "
                    + $"({Rate(spec, lastUnsafe)}{Typically(lastUnsafe)}); "
                    + $"safe from {boundary.Values[0]} ({Rate(spec, boundary)}). {boundary.Values[0]} is the boundary, with no margin"
                    + (recommended == margin && margin is not null
                        ? $"; recommended {margin.Values[0]}, {MarginText(values, b, b + spec.MarginSteps, spec.MarginSteps)} above it "
                            + $"({Rate(spec, margin)})."
                        : ".");
            }
            else if (firstSafe == 0 && safe.All(x => x))
            {
                text = $"every value of {spec.Vary[0].Path} run is safe; the {spec.Objective.Text} is {best!.Values[0]} "
                    + $"({Rate(spec, best)}).";
            }
            else if (firstSafe < 0)
            {
                var least = ordered.MinBy(p => p.Metrics[Metric.ErrorRate])!;
                text = $"no value of {spec.Vary[0].Path} run meets the goal '{spec.Goal.Text}'; the fewest failures were at "
                    + $"{least.Values[0]} ({Rate(spec, least)}{Typically(least)}).";
                recommended = null;
            }
            else
            {
                text = best is null
                    ? "no safe point."
                    : $"safe points are not contiguous; by {spec.Objective.Text}: {Describe(spec, best)} ({Rate(spec, best)}).";
            }
        }
        else if (spec.Vary.ToList().FindIndex(v => v.Path == spec.Objective.Path) is var k and >= 0)
        {
            // The objective is a varied parameter: a value counts only if it is safe whatever the
            // other parameters are (each value's worst point decides).
            var others = string.Join(", ", spec.Vary.Where((_, j) => j != k).Select(v => v.Path));
            var byValue = ordered.Select((p, i) => (p, safe: safe[i])).GroupBy(x => x.p.Values[k])
                .Select(g => (Value: g.Key, Safe: g.All(x => x.safe),
                    Worst: g.OrderByDescending(x => x.p.Failures).ThenBy(x => x.p.Key, StringComparer.Ordinal).First().p))
                .ToList();
            var robust = byValue.Where(v => v.Safe).ToList();
            var unsafeValues = byValue.Where(v => !v.Safe).ToList();
            if (robust.Count == 0)
            {
                recommended = null;
                text = $"no value of {spec.Vary[k].Path} is safe for every {others}.";
            }
            else
            {
                var chosen = spec.Objective.Minimize
                    ? robust.MinBy(v => MetricOf(spec, v.Worst))
                    : robust.MaxBy(v => MetricOf(spec, v.Worst));
                recommended = chosen.Worst;
                text = $"{spec.Vary[k].Path} = {chosen.Value} is safe for every {others} (worst: {Rate(spec, chosen.Worst)})"
                    + (unsafeValues.Count == 0 ? "." : UnsafeFor(spec, others, unsafeValues.Select(v => v.Value), unsafeValues[0].Worst));
            }
        }
        else
        {
            text = best is null
                ? $"no point meets the goal '{spec.Goal.Text}'."
                : $"by {spec.Objective.Text}, the best safe point is {Describe(spec, best)} ({Rate(spec, best)}).";
        }
        return new SearchResult(spec, ordered, safe, best, boundary, recommended, text, warnings.Distinct().ToList());
    }

    private static List<PointResult> OrderLikeGrid(SearchSpec spec, IReadOnlyList<PointResult> points) =>
        points.OrderBy(p => p, Comparer<PointResult>.Create((a, b) =>
        {
            for (int k = 0; k < spec.Vary.Count; k++)
            {
                int c = IndexOf(spec.Vary[k].Values, a.Values[k]).CompareTo(IndexOf(spec.Vary[k].Values, b.Values[k]));
                if (c != 0) return c;
            }
            return 0;
        })).ToList();

    private static int IndexOf(IReadOnlyList<string> values, string v)
    {
        for (int i = 0; i < values.Count; i++)
            if (values[i] == v) return i;
        return -1;
    }

    private static double MetricOf(SearchSpec spec, PointResult p)
    {
        int k = spec.Vary.ToList().FindIndex(v => v.Path == spec.Objective.Path);
        if (k < 0)
            return p.Metrics[spec.Objective.Metric!.Value];
        string v = p.Values[k];
        return DurationText.TryParse(v, out var d, out _) ? d.TotalSeconds
            : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) ? x : IndexOf(spec.Vary[k].Values, v);
    }

    /// <summary>The margin between two values (the lower index first), as a duration when they are durations.</summary>
    private static string MarginText(IReadOnlyList<string> values, int low, int high, int steps)
    {
        if (low < 0 || high >= values.Count) return $"{steps} step(s)";
        if (DurationText.TryParse(values[high], out var a, out _) && DurationText.TryParse(values[low], out var b, out _))
            return DurationText.Format(a - b);
        return $"{steps} step(s)";
    }

    private static string Typically(PointResult p) => p.Cause is null ? "" : $"; typically {p.Cause}";

    private static string UnsafeFor(SearchSpec spec, string others, IEnumerable<string> values, PointResult worst) =>
        $"; unsafe for some {others}: {string.Join(", ", values)} (worst: {Describe(spec, worst)}, {Rate(spec, worst)}{Typically(worst)}).";

    public static string Describe(SearchSpec spec, PointResult p) =>
        string.Join(", ", spec.Vary.Select((v, k) => $"{v.Path}={p.Values[k]}"));

    public static string Rate(SearchSpec spec, PointResult p)
    {
        var (lo, hi) = Wilson.Interval(p.Failures, p.Runs, spec.Goal.Confidence);
        return $"{p.Failures}/{p.Runs} runs failed, rate {Pct((double)p.Failures / p.Runs)} [{Pct(lo)}, {Pct(hi)}] "
            + $"at {Pct(spec.Goal.Confidence)}";
    }

    public static string Pct(double x) => (x * 100).ToString(x * 100 < 10 ? "0.##" : "0.#", CultureInfo.InvariantCulture) + "%";
}
