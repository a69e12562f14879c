using Zombiesim.Core.Observation;

namespace Zombiesim.Cli.Runs;

/// <summary>
/// Keeps what the charts of a run draw, as the run goes: every sample, request, lifecycle event and
/// note, and the transitions of the first <see cref="Connections"/> client connections only (the
/// lifecycle chart's lanes), so that a long run does not hold every transition in memory.
/// </summary>
public sealed class ChartRecorder : IRunObserver
{
    /// <summary>How many connections the lifecycle chart draws.</summary>
    public const int Connections = 3;

    private readonly HashSet<string> _charted = new(StringComparer.Ordinal);

    public List<Sample> Samples { get; } = new();
    public List<RequestRecord> Requests { get; } = new();
    public List<TransitionRecord> Transitions { get; } = new();
    public List<LifecycleRecord> Lifecycle { get; } = new();
    public List<NoteRecord> Notes { get; } = new();

    public bool WantsTransitions => true;
    public bool KeepsSamples => true;

    public void OnSample(Sample s) => Samples.Add(s);
    public void OnRequest(RequestRecord r) => Requests.Add(r);
    public void OnLifecycle(LifecycleRecord l) => Lifecycle.Add(l);
    public void OnNote(NoteRecord n) => Notes.Add(n);

    public void OnTransition(TransitionRecord t)
    {
        // A connection is charted from its first client-side transition (its active open comes first).
        if (_charted.Count < Connections && t.Host != "server" && t.Connection.StartsWith('c'))
            _charted.Add(t.Connection);
        if (_charted.Contains(t.Connection))
            Transitions.Add(t);
    }
}
