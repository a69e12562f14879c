namespace Zombiesim.Core.Observation;

/// <summary>Keeps records in memory: for --json, the text timeline and tests. With a limit, each
/// list keeps only its first records (memory stays bounded on long runs) and counts the rest. With
/// <paramref name="segments"/> it asks for the segments on the wire too and keeps them (not timeline records).</summary>
public sealed class RunRecorder(int limit = int.MaxValue, bool segments = false) : IRunObserver
{
    public List<RequestRecord> Requests { get; } = new();
    public List<TransitionRecord> Transitions { get; } = new();
    public List<LifecycleRecord> Lifecycle { get; } = new();
    public List<NoteRecord> Notes { get; } = new();
    public List<Sample> Samples { get; } = new();
    public List<SegmentRecord> Segments { get; } = new();

    /// <summary>Timeline records (requests, transitions, lifecycle, notes) not kept because of the limit.</summary>
    public long Dropped { get; private set; }

    /// <summary>Which list each kept timeline record went to, in the order the run emitted them.</summary>
    private readonly List<byte> _emitted = new();

    public void OnRequest(RequestRecord r) => Keep(Requests, r, 0);
    public bool WantsTransitions => true;
    public void OnTransition(TransitionRecord t) => Keep(Transitions, t, 1);
    public void OnLifecycle(LifecycleRecord l) => Keep(Lifecycle, l, 2);
    public bool WantsSegments => segments;

    public void OnSegment(SegmentRecord s)
    {
        if (Segments.Count < limit)
            Segments.Add(s); // not a timeline line: not counted as dropped
    }
    public void OnNote(NoteRecord n) => Keep(Notes, n, 3);

    /// <summary>The kept timeline records (requests, transitions, lifecycle records, notes) in the order the run emitted
    /// them: at one instant, causes before what they caused (a request is emitted when it ends).</summary>
    public IEnumerable<object> Emitted()
    {
        int r = 0, t = 0, l = 0, n = 0;
        foreach (byte list in _emitted)
        {
            yield return list switch
            {
                0 => Requests[r++],
                1 => Transitions[t++],
                2 => Lifecycle[l++],
                _ => Notes[n++],
            };
        }
    }
    public bool KeepsSamples => true;

    public void OnSample(Sample s)
    {
        if (Samples.Count < limit)
            Samples.Add(s); // samples are not timeline lines: not counted as dropped
    }

    private void Keep<T>(List<T> list, T item, byte which)
    {
        if (list.Count < limit)
        {
            list.Add(item);
            _emitted.Add(which);
        }
        else
            Dropped++;
    }
}
