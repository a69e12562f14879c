using Zombiesim.Cli.Runs;
using Zombiesim.Core.Observation;

namespace Zombiesim.Cli.Charts;

/// <summary>
/// What went wrong in each sample interval of a run: connections the server refused, idle
/// connections it evicted, and failed requests by outcome. A refusal counts in the first sample at
/// or after its instant, a failed request in the first at or after the instant it failed (its arrival
/// plus its latency: a request that waited 30 s for a server fails 30 s after it arrived); a sample
/// holds the counts up to and including its instant.
/// </summary>
public static class Failures
{
    /// <summary>Each non-empty kind with its count per interval, in a stable order (server first, then outcomes).</summary>
    public static IReadOnlyList<(string Name, double[] PerInterval)> PerInterval(RunData run)
    {
        var s = run.Samples;
        var list = new List<(string, double[])>();
        Add("connections refused", Differences(s.Rejections));
        Add("idle connections evicted", Differences(s.Evictions));
        foreach (var outcome in OutcomeNames.Errors)
        {
            var counts = new double[s.T.Length];
            foreach (var r in run.Requests)
            {
                if (r.Outcome == outcome && SampleAt(s.T, r.End.TotalSeconds) is { } i)
                    counts[i]++;
            }
            Add($"requests {outcome.Name()}", counts);
        }
        return list;

        void Add(string name, double[] values)
        {
            if (values.Any(v => v > 0))
                list.Add((name, values));
        }
    }

    /// <summary>Counts per interval from a column of running totals (the first sample counts from 0).</summary>
    public static double[] Differences(double[] cumulative)
    {
        var d = new double[cumulative.Length];
        for (int i = 0; i < d.Length; i++)
            d[i] = cumulative[i] - (i == 0 ? 0 : cumulative[i - 1]);
        return d;
    }

    /// <summary>The first sample at or after <paramref name="seconds"/>; none past the last.</summary>
    private static int? SampleAt(double[] t, double seconds)
    {
        int i = Array.BinarySearch(t, seconds);
        i = i >= 0 ? i : ~i;
        return i < t.Length ? i : null;
    }
}
