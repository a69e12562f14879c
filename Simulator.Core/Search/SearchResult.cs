using Zombiesim.Core.Observation;

namespace Zombiesim.Core.Search;

/// <summary>The aggregate of one point's replications: requests by outcome (in the order of their
/// names) and every <see cref="Metric"/> averaged over the runs.</summary>
public sealed record PointResult(
    IReadOnlyList<string> Values,
    int Runs,
    int Failures,
    IReadOnlyDictionary<Outcome, long> Outcomes,
    IReadOnlyDictionary<Metric, double> Metrics,
    string? Cause)
{
    public string Key => string.Join('\u001f', Values);

    /// <summary>Outcomes in the order of their names, as tables and files list them.</summary>
    public static readonly IComparer<Outcome> OutcomeOrder = Comparer<Outcome>.Create((a, b) => string.CompareOrdinal(a.Name(), b.Name()));
}

/// <summary>What a search concluded.</summary>
public sealed record SearchResult(
    SearchSpec Spec,
    IReadOnlyList<PointResult> Points,
    IReadOnlyList<bool> Safe,
    PointResult? Best,
    PointResult? Boundary,
    PointResult? Recommended,
    string Recommendation,
    IReadOnlyList<string> Warnings);
