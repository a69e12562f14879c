using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Cli.Runs.Reports;

/// <summary>One row of a breakdown: a function, or the functions of one strategy together.</summary>
public sealed class BreakdownRow(string name, string strategy)
{
    private readonly SortedDictionary<string, long> _outcomes = new(StringComparer.Ordinal);

    public string Name { get; } = name;
    public string Strategy { get; } = strategy;
    public long Requests { get; private set; }
    public long Errors { get; private set; }
    /// <summary>Requests by outcome ("ok", "EOF (fin)", "REJECTED (server)": errors named with their origin).</summary>
    public IReadOnlyDictionary<string, long> Outcomes => _outcomes;
    public LatencyHistogram Latency { get; } = new();
    /// <summary>The most server connections its environments held at a sample, and the first sample with that many.</summary>
    public (int Value, TimeSpan At) PeakHeld { get; private set; }
    public (int Value, TimeSpan At) PeakZombies { get; private set; }

    internal void Add(RequestRecord r)
    {
        Requests++;
        string key = r.Ok ? "ok" : RunSummary.ErrorName(r.Outcome, r.Origin);
        _outcomes[key] = _outcomes.GetValueOrDefault(key) + 1;
        if (r.Ok)
            Latency.Add(r.LatencyMs);
        else
            Errors++;
    }

    internal void Counted(int held, int zombies, TimeSpan at)
    {
        if (held > PeakHeld.Value)
            PeakHeld = (held, at);
        if (zombies > PeakZombies.Value)
            PeakZombies = (zombies, at);
    }
}

/// <summary>
/// Requests, outcomes, latency percentiles and the peaks of server connections held and of zombies,
/// per function and per strategy, aggregated as the run streams by (constant memory per function).
/// A server connection belongs to the function whose environment holds its other end.
/// </summary>
public sealed class Breakdown : IRunObserver
{
    private readonly List<BreakdownRow> _functions = new();
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<BreakdownRow> _strategies = new();
    private readonly int[] _strategyOf;

    public Breakdown(Scenario s)
    {
        foreach (var f in s.Functions)
        {
            _index[f.Name] = _functions.Count;
            _functions.Add(new BreakdownRow(f.Name, SummaryJson.StrategyName(f.Strategy)));
        }
        var names = _functions.Select(f => f.Strategy).Distinct().Order(StringComparer.Ordinal).ToList();
        _strategies.AddRange(names.Select(n => new BreakdownRow(n, n)));
        _strategyOf = _functions.Select(f => names.IndexOf(f.Strategy)).ToArray();
    }

    /// <summary>One row per function, in the scenario's order.</summary>
    public IReadOnlyList<BreakdownRow> Functions => _functions;
    /// <summary>One row per strategy, in the order of their names.</summary>
    public IReadOnlyList<BreakdownRow> Strategies => _strategies;

    public void OnRequest(RequestRecord r)
    {
        if (!_index.TryGetValue(r.Function, out int i))
            return;
        _functions[i].Add(r);
        _strategies[_strategyOf[i]].Add(r);
    }

    public void OnSample(Sample s)
    {
        if (s.Functions is not { } f)
            return;
        Span<int> held = stackalloc int[_strategies.Count], zombies = stackalloc int[_strategies.Count];
        for (int i = 0; i < _functions.Count && i < f.Held.Length; i++)
        {
            _functions[i].Counted(f.Held[i], f.Zombies[i], s.T);
            held[_strategyOf[i]] += f.Held[i];
            zombies[_strategyOf[i]] += f.Zombies[i];
        }
        for (int i = 0; i < _strategies.Count; i++)
            _strategies[i].Counted(held[i], zombies[i], s.T);
    }
}
