using Zombiesim.Cli.Runs.Sampling;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Cli.Runs;

/// <summary>
/// Keeps what the charts of a run draw, as the run goes, bounded whatever its length: every sample
/// (at most about 2,000 a run), the requests requests.csv keeps (<see cref="RequestSample"/>, with their
/// instants and latencies as the file has them) and the records of the default trace
/// (<see cref="TraceSelection"/>: the first <see cref="Connections"/> client connections, the lifecycle
/// chart's lanes, among others). A directory written by `run --out` reads back as the same records.
/// </summary>
public sealed class ChartRecorder : IRunObserver
{
    /// <summary>How many connections the lifecycle chart draws.</summary>
    public const int Connections = TraceSelection.ChartConnections;

    private readonly TraceSelection _selection;

    public ChartRecorder(Scenario scenario)
    {
        _selection = new TraceSelection(scenario, TraceSpec.Sample, new Kept(this), r => Requests.Add(AsWritten(r)));
    }

    public List<Sample> Samples { get; } = new();
    public List<RequestRecord> Requests { get; } = new();
    public List<TransitionRecord> Transitions { get; } = new();
    public List<LifecycleRecord> Lifecycle { get; } = new();
    public List<NoteRecord> Notes { get; } = new();

    /// <summary>Each function's successful requests in the whole run (<see cref="Requests"/> keeps a sample of them).</summary>
    public IReadOnlyDictionary<string, long> Successes => _selection.Requests.Successes;

    public bool WantsTransitions => true;
    public bool KeepsSamples => true;

    public void OnSample(Sample s) => Samples.Add(s);
    public void OnRequest(RequestRecord r) => _selection.OnRequest(r);
    public void OnTransition(TransitionRecord t) => _selection.OnTransition(t);
    public void OnLifecycle(LifecycleRecord l) => _selection.OnLifecycle(l);
    public void OnNote(NoteRecord n) => _selection.OnNote(n);

    /// <summary>A request as requests.csv keeps it: its instant to the microsecond, its latency to the
    /// nanosecond, its cause as text only (so none here).</summary>
    public static RequestRecord AsWritten(RequestRecord r) => r with
    {
        T = RecordJson.Instant(double.Parse(RunFiles.Seconds(r.T), System.Globalization.CultureInfo.InvariantCulture)),
        LatencyMs = Math.Round(r.LatencyMs, 6),
        Cause = null,
    };

    /// <summary>The trace's records (its requests are the sampled ones, kept above).</summary>
    private sealed class Kept(ChartRecorder into) : IRunObserver
    {
        public void OnTransition(TransitionRecord t) => into.Transitions.Add(t);
        public void OnLifecycle(LifecycleRecord l) => into.Lifecycle.Add(l);
        public void OnNote(NoteRecord n) => into.Notes.Add(n);
    }
}
