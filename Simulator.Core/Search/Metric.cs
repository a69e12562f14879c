namespace Zombiesim.Core.Search;

/// <summary>What a search measures at each point, averaged over its runs.</summary>
public enum Metric
{
    /// <summary>The peak number of server sockets in a run.</summary>
    PeakServerConnections,
    /// <summary>Zombie connections integrated over time.</summary>
    ZombieSeconds,
    /// <summary>The 99th percentile of successful requests' latency.</summary>
    P99LatencyMs,
    /// <summary>The share of runs that failed the goal.</summary>
    ErrorRate,
}

/// <summary>The words metrics are written with in objectives, JSON and CSV.</summary>
public static class MetricNames
{
    /// <summary>Every metric, in the order of CSV columns and messages.</summary>
    public static readonly IReadOnlyList<Metric> All = Enum.GetValues<Metric>();

    /// <summary>Every metric, in the order of their names (as JSON objects list them).</summary>
    public static readonly IReadOnlyList<Metric> ByName = All.OrderBy(m => m.Name(), StringComparer.Ordinal).ToArray();

    public static string Name(this Metric m) => m switch
    {
        Metric.PeakServerConnections => "peakServerConnections",
        Metric.ZombieSeconds => "zombieSeconds",
        Metric.P99LatencyMs => "p99LatencyMs",
        _ => "errorRate",
    };

    public static bool TryParse(string text, out Metric metric)
    {
        foreach (var m in All)
        {
            if (m.Name() == text)
            {
                metric = m;
                return true;
            }
        }
        metric = default;
        return false;
    }

    /// <summary>"peakServerConnections, zombieSeconds, p99LatencyMs, errorRate".</summary>
    public static string List => string.Join(", ", All.Select(m => m.Name()));
}
