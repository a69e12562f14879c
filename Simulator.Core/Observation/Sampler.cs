using Zombiesim.Core.Engine;

namespace Zombiesim.Core.Observation;

/// <summary>
/// Takes the counts over time: at 0, every interval (a whole number of seconds, at most 2,000
/// samples a run) and at the horizon. One handler serves every sample; when no observer keeps
/// samples, the counts are reused, and a sample after which no other event ran repeats the last one's
/// counts without counting again (a small run of a search idles through most of its samples).
/// </summary>
internal sealed class Sampler : ObservationEvent
{
    private readonly Clock _clock;
    private readonly Census _census;
    private readonly IRunObserver _observer;
    private readonly TimeSpan _horizon, _interval;
    private CategoryCounts? _serverCounts, _clientCounts;
    private FunctionCounts? _functionCounts;
    private Sample? _previous;
    private long _eventsAfterPrevious = -1;
    private TimeSpan _last = TimeSpan.MinValue;

    public Sampler(Clock clock, Census census, IRunObserver observer, TimeSpan horizon)
    {
        _clock = clock;
        _census = census;
        _observer = observer;
        _horizon = horizon;
        _interval = Sample.Interval(horizon);
    }

    public void Start() => _clock.Observe(TimeSpan.Zero, this);

    /// <summary>The final counts, at the horizon, unless a sample was taken there.</summary>
    public void Finish()
    {
        if (_last != _horizon)
            Take();
    }

    public override void OnEvent(long arg) => Take(ownEvents: 1);

    private void Take(int ownEvents = 0)
    {
        TimeSpan now = _clock.Now;
        _last = now;
        bool unchanged = _clock.EventsRun - ownEvents == _eventsAfterPrevious && !_observer.KeepsSamples;
        var sample = unchanged && _previous is { } previous ? previous with { T = now, Repeated = true } : Count(now);
        _previous = sample;
        _observer.OnSample(sample);
        _eventsAfterPrevious = _clock.EventsRun;
        if (now + _interval <= _horizon && now < _horizon)
            _clock.Observe(now + _interval, this);
    }

    private Sample Count(TimeSpan now)
    {
        var server = NextCounts(ref _serverCounts, Sample.ServerCategories);
        var functions = NextFunctionCounts(_census.Platform.FunctionCount);
        _census.CountServer(server, functions);
        var client = NextCounts(ref _clientCounts, Sample.ClientCategories);
        var (busy, idle, frozen) = _census.CountClients(client);
        return new Sample(now, server, client, busy, idle, frozen, _census.Rejections, _census.Evictions, _census.Platform.Throttles,
            functions, _census.PerServer());
    }

    private FunctionCounts NextFunctionCounts(int n)
    {
        if (_observer.KeepsSamples || _functionCounts is null)
            return _functionCounts = new FunctionCounts(new int[n], new int[n]);
        Array.Clear(_functionCounts.Held);
        Array.Clear(_functionCounts.Zombies);
        return _functionCounts;
    }

    /// <summary>Fresh counts for a sample, or the last ones cleared when no observer keeps samples.</summary>
    private CategoryCounts NextCounts(ref CategoryCounts? reused, string[] keys)
    {
        if (_observer.KeepsSamples || reused is null)
            return reused = new CategoryCounts(keys);
        reused.Clear();
        return reused;
    }
}
