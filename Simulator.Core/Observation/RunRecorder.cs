namespace Zombiesim.Core.Observation;

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
