using Zombiesim.Tcp;

namespace Zombiesim.Core.World;

/// <summary>The outcome of one invocation, as the caller saw it.</summary>
public sealed record RequestRecord(
    TimeSpan T,
    string Function,
    string Environment,
    string? Connection,
    string Outcome,
    string? Errno,
    string? Origin,
    double LatencyMs,
    int Retries,
    string? Cause)
{
    public bool Ok => Outcome == "ok";
}

/// <summary>A socket changed state. Host is "server" or the environment's name.</summary>
public sealed record TransitionRecord(TimeSpan T, string Host, string Connection, TcpState From, TcpState To, TcpCause Cause);

/// <summary>An execution environment's life: cold-start, frozen, thawed, destroyed.</summary>
public sealed record LifecycleRecord(TimeSpan T, string Environment, string Event, string? Detail);

/// <summary>Something a server or the world did that explains later errors (idle close, eviction, rejection, restart, partition).</summary>
public sealed record NoteRecord(TimeSpan T, string Who, string Text);

/// <summary>Counts at one instant.</summary>
public sealed record Sample(
    TimeSpan T,
    CategoryCounts Server,
    CategoryCounts Client,
    int EnvironmentsBusy,
    int EnvironmentsIdle,
    int EnvironmentsFrozen,
    long Rejections,
    long Evictions,
    long Throttles)
{
    /// <summary>Server-side categories, in stacking order: ESTABLISHED split into in use, idle and zombie.</summary>
    public static readonly string[] ServerCategories =
        ["established-in-use", "established-idle", "zombie", "SYN_RECEIVED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"];

    public static readonly string[] ClientCategories =
        ["SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"];
}

/// <summary>Counts by category over a fixed list of category names: a dictionary's view, an array's cost.</summary>
public sealed class CategoryCounts(string[] keys) : IReadOnlyDictionary<string, int>
{
    private readonly int[] _counts = new int[keys.Length];

    /// <summary>Counts one in the category at <paramref name="index"/>; a negative index (a state with
    /// no category on that side, such as LISTEN) is not counted.</summary>
    internal void Add(int index)
    {
        if (index >= 0)
            _counts[index]++;
    }

    public int this[string key] => _counts[IndexOf(key)];

    /// <summary>The counts in category order.</summary>
    public ReadOnlySpan<int> Counts => _counts;

    internal void Clear() => Array.Clear(_counts);

    internal void CopyFrom(CategoryCounts other) => other._counts.CopyTo(_counts, 0);

    /// <summary>Each count becomes the larger of itself and <paramref name="other"/>'s.</summary>
    internal void Max(CategoryCounts other)
    {
        for (int i = 0; i < _counts.Length; i++)
            _counts[i] = Math.Max(_counts[i], other._counts[i]);
    }
    public IEnumerable<string> Keys => keys;
    public IEnumerable<int> Values => _counts;
    public int Count => keys.Length;
    public int Total
    {
        get
        {
            int t = 0;
            foreach (int c in _counts) t += c;
            return t;
        }
    }
    public bool ContainsKey(string key) => Array.IndexOf(keys, key) >= 0;

    public bool TryGetValue(string key, out int value)
    {
        int i = Array.IndexOf(keys, key);
        value = i >= 0 ? _counts[i] : 0;
        return i >= 0;
    }

    public IEnumerator<KeyValuePair<string, int>> GetEnumerator()
    {
        for (int i = 0; i < keys.Length; i++)
            yield return new(keys[i], _counts[i]);
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private int IndexOf(string key) =>
        Array.IndexOf(keys, key) is var i and >= 0 ? i : throw new KeyNotFoundException($"no category '{key}'");
}

/// <summary>Receives everything a run produces, as it happens (so long runs can stream).</summary>
public interface IRunObserver
{
    /// <summary>False when the observer ignores transitions: the world then does not build the
    /// records (a search runs millions of runs and needs none).</summary>
    bool WantsTransitions => false;

    /// <summary>False when the observer does not hold on to samples after <see cref="OnSample"/>
    /// returns: the world may then reuse their counts for the next sample.</summary>
    bool KeepsSamples => false;

    void OnRequest(RequestRecord r) { }
    void OnTransition(TransitionRecord t) { }
    void OnLifecycle(LifecycleRecord l) { }
    void OnNote(NoteRecord n) { }
    void OnSample(Sample s) { }
}

/// <summary>Keeps records in memory: for --json, the text timeline and tests. With a limit, each
/// list keeps only its first records (memory stays bounded on long runs) and counts the rest.</summary>
public sealed class RunRecorder(int limit = int.MaxValue) : IRunObserver
{
    public List<RequestRecord> Requests { get; } = new();
    public List<TransitionRecord> Transitions { get; } = new();
    public List<LifecycleRecord> Lifecycle { get; } = new();
    public List<NoteRecord> Notes { get; } = new();
    public List<Sample> Samples { get; } = new();

    /// <summary>Timeline records (requests, transitions, lifecycle, notes) not kept because of the limit.</summary>
    public long Dropped { get; private set; }

    public void OnRequest(RequestRecord r) => Keep(Requests, r);
    public bool WantsTransitions => true;
    public void OnTransition(TransitionRecord t) => Keep(Transitions, t);
    public void OnLifecycle(LifecycleRecord l) => Keep(Lifecycle, l);
    public void OnNote(NoteRecord n) => Keep(Notes, n);
    public bool KeepsSamples => true;

    public void OnSample(Sample s)
    {
        if (Samples.Count < limit)
            Samples.Add(s); // samples are not timeline lines: not counted as dropped
    }

    private void Keep<T>(List<T> list, T item)
    {
        if (list.Count < limit)
            list.Add(item);
        else
            Dropped++;
    }
}

/// <summary>Latency percentiles in constant memory: log-spaced buckets 1% wide from 1 us to about 3 h.</summary>
public sealed class LatencyHistogram
{
    private const double Min = 0.001; // ms
    private const double Growth = 1.01;
    private readonly long[] _counts = new long[2400];
    private long _total;
    private double _max;

    public void Add(double ms)
    {
        int i = ms <= Min ? 0 : Math.Min(_counts.Length - 1, (int)Math.Ceiling(Math.Log(ms / Min) / Math.Log(Growth)));
        _counts[i]++;
        _total++;
        _max = Math.Max(_max, ms);
    }

    public long Count => _total;

    /// <summary>The upper edge of the bucket holding the q-quantile (within 1%), or 0 when empty.</summary>
    public double Quantile(double q)
    {
        if (_total == 0)
            return 0;
        long rank = (long)Math.Ceiling(q * _total);
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= Math.Max(rank, 1))
                return Math.Min(_max, Min * Math.Pow(Growth, i));
        }
        return _max;
    }
}

/// <summary>The run's summary, aggregated as records stream by.</summary>
public sealed class RunSummary : IRunObserver
{
    private readonly SortedDictionary<string, long> _outcomes = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, long> _errorsByErrnoOrigin = new(StringComparer.Ordinal);
    private readonly CategoryCounts _peakServer = new(Sample.ServerCategories);
    private readonly CategoryCounts _peakClient = new(Sample.ClientCategories);
    private readonly CategoryCounts _finalServer = new(Sample.ServerCategories);
    private readonly CategoryCounts _finalClient = new(Sample.ClientCategories);
    private Sample? _final;
    private int _lastZombies;
    private TimeSpan _lastSampleAt;

    public long Requests { get; private set; }
    public long Errors { get; private set; }
    public LatencyHistogram Latency { get; } = new();
    public IReadOnlyDictionary<string, long> Outcomes => _outcomes;
    public IReadOnlyDictionary<string, long> ErrorsByErrnoAndOrigin => _errorsByErrnoOrigin;
    public IReadOnlyDictionary<string, int> PeakServer => _peakServer;
    public IReadOnlyDictionary<string, int> PeakClient => _peakClient;
    /// <summary>The last sample (a copy: the world may reuse what it handed out).</summary>
    public Sample? Final => _final is null ? null : _final with { Server = Copy(_finalServer, Sample.ServerCategories), Client = Copy(_finalClient, Sample.ClientCategories) };

    private static CategoryCounts Copy(CategoryCounts from, string[] keys)
    {
        var c = new CategoryCounts(keys);
        c.CopyFrom(from);
        return c;
    }
    public double ZombieSeconds { get; private set; }
    public int PeakZombies { get; private set; }
    public int PeakServerConnections { get; private set; }
    public long ColdStarts { get; private set; }
    public long Destroyed { get; private set; }

    public void OnRequest(RequestRecord r)
    {
        Requests++;
        _outcomes[r.Outcome] = _outcomes.GetValueOrDefault(r.Outcome) + 1;
        if (!r.Ok)
        {
            Errors++;
            string key = $"{r.Outcome} ({r.Origin})";
            _errorsByErrnoOrigin[key] = _errorsByErrnoOrigin.GetValueOrDefault(key) + 1;
        }
        if (r.Ok)
            Latency.Add(r.LatencyMs);
    }

    public void OnLifecycle(LifecycleRecord l)
    {
        if (l.Event == "cold-start") ColdStarts++;
        if (l.Event == "destroyed") Destroyed++;
    }

    public void OnSample(Sample s)
    {
        if (_final is not null)
            ZombieSeconds += _lastZombies * (s.T - _lastSampleAt).TotalSeconds;
        _lastSampleAt = s.T;
        _final = s;
        _finalServer.CopyFrom(s.Server);
        _finalClient.CopyFrom(s.Client);
        _lastZombies = s.Server.Counts[Array.IndexOf(Sample.ServerCategories, "zombie")];
        _peakServer.Max(s.Server);
        _peakClient.Max(s.Client);
        PeakZombies = Math.Max(PeakZombies, _lastZombies);
        PeakServerConnections = Math.Max(PeakServerConnections, s.Server.Total);
    }
}
