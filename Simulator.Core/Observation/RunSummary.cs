namespace Zombiesim.Core.Observation;

/// <summary>The run's summary, aggregated as records stream by.</summary>
public sealed class RunSummary : IRunObserver
{
    private readonly SortedDictionary<Outcome, long> _outcomes = new(ByName);
    private readonly SortedDictionary<(Outcome, Origin?), long> _errorsByErrnoOrigin = new(ErrorByName);
    private readonly CategoryCounts _peakServer = new(Sample.ServerCategories);
    private readonly CategoryCounts _peakClient = new(Sample.ClientCategories);
    private readonly CategoryCounts _finalServer = new(Sample.ServerCategories);
    private readonly CategoryCounts _finalClient = new(Sample.ClientCategories);
    private static readonly int ZombieCategory = Array.IndexOf(Sample.ServerCategories, "zombie");
    private Sample? _final;
    private int _lastZombies;
    private TimeSpan _lastSampleAt;

    public long Requests { get; private set; }
    public long Errors { get; private set; }
    public LatencyHistogram Latency { get; }

    public RunSummary() : this(new LatencyHistogram())
    {
    }

    /// <summary>A summary that counts latencies into <paramref name="latency"/> (a thread's, emptied and reused run after run).</summary>
    internal RunSummary(LatencyHistogram latency) => Latency = latency;
    /// <summary>Requests by outcome, in the order of the outcomes' names.</summary>
    public IReadOnlyDictionary<Outcome, long> Outcomes => _outcomes;
    /// <summary>Failed requests by outcome and origin, in the order of "OUTCOME (origin)".</summary>
    public IReadOnlyDictionary<(Outcome Outcome, Origin? Origin), long> ErrorsByErrnoAndOrigin => _errorsByErrnoOrigin;

    /// <summary>"ETIMEDOUT (library-timeout)": how an error and its origin are named together.</summary>
    public static string ErrorName(Outcome outcome, Origin? origin) => $"{outcome.Name()} ({origin?.Name()})";

    private static readonly Comparer<Outcome> ByName = Comparer<Outcome>.Create((a, b) => string.CompareOrdinal(a.Name(), b.Name()));
    private static readonly Comparer<(Outcome, Origin?)> ErrorByName =
        Comparer<(Outcome O, Origin? G)>.Create((a, b) => string.CompareOrdinal(ErrorName(a.O, a.G), ErrorName(b.O, b.G)));
    public IReadOnlyDictionary<string, int> PeakServer => _peakServer;
    public IReadOnlyDictionary<string, int> PeakClient => _peakClient;
    /// <summary>The last sample (a copy: the world may reuse what it handed out).</summary>
    public Sample? Final => _final is not { } last ? null : last with
    {
        T = _lastSampleAt,
        Repeated = false,
        Server = Copy(_finalServer, Sample.ServerCategories),
        Client = Copy(_finalClient, Sample.ClientCategories)
    };

    private static CategoryCounts Copy(CategoryCounts from, string[] keys)
    {
        var c = new CategoryCounts(keys);
        c.CopyFrom(from);
        return c;
    }

    public double ZombieSeconds { get; private set; }
    public int PeakZombies { get; private set; }
    public int PeakServerConnections { get; private set; }
    /// <summary>With several servers, each one's peak and final open connections, in the scenario's order; empty with one.</summary>
    public IReadOnlyList<(string Name, int Peak, int Final)> PerServer => _perServer;
    private (string Name, int Peak, int Final)[] _perServer = [];
    public long ColdStarts { get; private set; }
    public long Destroyed { get; private set; }

    public void OnRequest(RequestRecord r)
    {
        Requests++;
        _outcomes[r.Outcome] = _outcomes.GetValueOrDefault(r.Outcome) + 1;
        if (!r.Ok)
        {
            Errors++;
            var key = (r.Outcome, r.Origin);
            _errorsByErrnoOrigin[key] = _errorsByErrnoOrigin.GetValueOrDefault(key) + 1;
        }
        if (r.Ok)
            Latency.Add(r.LatencyMs);
    }

    public void OnLifecycle(LifecycleRecord l)
    {
        if (l.Event == LifecycleEvent.ColdStart) ColdStarts++;
        else if (l.Event == LifecycleEvent.Destroyed) Destroyed++;
        else _between[l.Event] = _between.GetValueOrDefault(l.Event) + 1;
    }

    private readonly SortedDictionary<LifecycleEvent, long> _between = new();

    /// <summary>How often each event between a cold start and destruction happened, in the platform's
    /// words (frozen and thawed on Lambda, throttled and unthrottled on Cloud Run, suspended and resumed
    /// on Vercel, snapshotted and restored with SnapStart, shutdown), in the enum's order.</summary>
    public IReadOnlyDictionary<LifecycleEvent, long> Between => _between;

    public void OnSample(Sample s)
    {
        if (_final is not null)
            ZombieSeconds += _lastZombies * (s.T - _lastSampleAt).TotalSeconds;
        _lastSampleAt = s.T;
        if (s.Repeated && _final is not null)
            return; // the counts of the sample before: peaks and finals stand
        _final = s;
        _finalServer.CopyFrom(s.Server);
        _finalClient.CopyFrom(s.Client);
        _lastZombies = s.Server.Counts[ZombieCategory];
        _peakServer.Max(s.Server);
        _peakClient.Max(s.Client);
        PeakZombies = Math.Max(PeakZombies, _lastZombies);
        PeakServerConnections = Math.Max(PeakServerConnections, s.Server.Total);
        if (s.Servers is { } per)
        {
            if (_perServer.Length == 0)
                _perServer = per.Names.Select(n => (n, 0, 0)).ToArray();
            for (int i = 0; i < _perServer.Length; i++)
                _perServer[i] = (_perServer[i].Name, Math.Max(_perServer[i].Peak, per.Open[i]), per.Open[i]);
        }
    }
}
