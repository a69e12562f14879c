using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Traffic;

namespace Zombiesim.Cli.Runs.Sampling;

/// <summary>
/// Which requests requests.csv (and the default trace) keeps, decided as they stream by, so that its
/// size is bounded whatever the run's length: every failed request up to <see cref="MaxFailed"/>, and
/// of each function's successes one in <see cref="Stride"/> (from the invocations the scenario's
/// traffic asks for, <see cref="WorkEstimate"/>) up to <see cref="MaxSuccesses"/>. The choice depends
/// on the scenario alone, so the same run keeps the same requests.
/// </summary>
public sealed class RequestSample
{
    public const int MaxFailed = 10_000, MaxSuccesses = 2_000;

    private readonly Dictionary<string, Tally> _functions = new(StringComparer.Ordinal);

    public RequestSample(Scenario s)
    {
        double all = Math.Min(WorkEstimate.Invocations(s), 1e15);
        foreach (var f in s.Functions)
        {
            var own = s.Traffic.Where(t => t.Function == f.Name).ToList();
            // A function invoked only by another (a proxy) has no traffic of its own: at most every invocation.
            double expected = own.Count == 0 ? all : Math.Min(own.Sum(t => WorkEstimate.Invocations(t, s.Horizon)), 1e15);
            _functions[f.Name] = new Tally { Stride = (long)Math.Max(1, Math.Ceiling(expected / MaxSuccesses)) };
        }
    }

    public long Failed { get; private set; }
    public long FailedNotKept { get; private set; }
    public long Kept { get; private set; }

    /// <summary>One success in this many of <paramref name="function"/> is kept.</summary>
    public long Stride(string function) => _functions[function].Stride;

    /// <summary>Each function's successes in the run so far, kept or not (what a sample of them is a sample of).</summary>
    public IReadOnlyDictionary<string, long> Successes =>
        _functions.ToDictionary(kv => kv.Key, kv => kv.Value.Successes, StringComparer.Ordinal);

    /// <summary>Successes not kept beyond the cap (the stride aside), over all functions.</summary>
    public long SuccessesPastCap => _functions.Values.Sum(t => t.PastCap);

    /// <summary>Whether <paramref name="r"/> is kept; <paramref name="index"/> is its place among its function's
    /// kept successes (0 for the first), or -1 for a failure.</summary>
    public bool Take(RequestRecord r, out long index)
    {
        index = -1;
        if (!r.Ok)
        {
            Failed++;
            if (Failed > MaxFailed)
            {
                FailedNotKept++;
                return false;
            }
            Kept++;
            return true;
        }
        var t = _functions.TryGetValue(r.Function, out var known) ? known : _functions[r.Function] = new Tally { Stride = 1 };
        long n = t.Successes++;
        if (n % t.Stride != 0)
            return false;
        if (t.Kept >= MaxSuccesses)
        {
            t.PastCap++;
            return false;
        }
        index = t.Kept++;
        Kept++;
        return true;
    }

    private sealed class Tally
    {
        public long Stride, Successes, Kept, PastCap;
    }
}
