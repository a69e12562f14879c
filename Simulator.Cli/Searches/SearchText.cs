using System.Globalization;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Search;

namespace Zombiesim.Cli.Searches;

/// <summary>A search as people read it: the table of points, the warnings and the recommendation.</summary>
public static class SearchText
{
    public static void Write(SearchResult r, string name, TextWriter o)
    {
        var spec = r.Spec;
        var metric = spec.Objective.Metric;
        o.WriteLine($"{name}: {spec.Strategy.ToString().ToLowerInvariant()} over "
            + $"{string.Join(", ", spec.Vary.Select(v => $"{v.Path} ({v.Values.Count} values)"))}; "
            + $"{spec.Replications} replications per point; goal '{spec.Goal.Text}' at {SearchConclusion.Pct(spec.Goal.Confidence)}; "
            + $"objective '{spec.Objective.Text}'");
        o.WriteLine();
        var header = spec.Vary.Select(v => v.Path).Concat(["runs", "failed", "failure rate [interval]", "safe", "errors"]).ToList();
        if (metric is { } m)
            header.Add(m.Name());
        header.Add("typical cause");
        var rows = new List<List<string>>();
        for (int i = 0; i < r.Points.Count; i++)
        {
            var p = r.Points[i];
            var (lo, hi) = Wilson.Interval(p.Failures, p.Runs, spec.Goal.Confidence);
            var row = p.Values.ToList();
            row.Add(p.Runs.ToString(CultureInfo.InvariantCulture));
            row.Add(p.Failures.ToString(CultureInfo.InvariantCulture));
            row.Add($"{SearchConclusion.Pct((double)p.Failures / p.Runs)} [{SearchConclusion.Pct(lo)}, {SearchConclusion.Pct(hi)}]");
            row.Add(r.Safe[i] ? "yes" : "no");
            row.Add(string.Join(" ", p.Outcomes.Where(kv => kv.Key != Outcome.Ok)
                .Select(kv => $"{kv.Key.Name()}:{kv.Value}")));
            if (metric is { } mm)
                row.Add(Math.Round(p.Metrics[mm], 6).ToString("0.######", CultureInfo.InvariantCulture));
            row.Add(p.Cause is null ? "" : p.Cause.Length > 90 ? p.Cause[..87] + "..." : p.Cause);
            rows.Add(row);
        }
        var widths = header.Select((h, k) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(rw => rw[k].Length))).ToList();
        o.WriteLine(string.Join("  ", header.Select((h, k) => h.PadRight(widths[k]))).TrimEnd());
        foreach (var row in rows)
            o.WriteLine(string.Join("  ", row.Select((c, k) => c.PadRight(widths[k]))).TrimEnd());
        o.WriteLine();
        foreach (var w in r.Warnings)
            o.WriteLine($"warning: {w}");
        o.WriteLine($"recommendation: {r.Recommendation}");
    }
}
