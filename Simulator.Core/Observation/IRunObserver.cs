namespace Zombiesim.Core.Observation;

/// <summary>Receives everything a run produces, as it happens (so long runs can stream).</summary>
public interface IRunObserver
{
    /// <summary>False when the observer ignores transitions: the world then does not build the
    /// records (a search runs millions of runs and needs none).</summary>
    bool WantsTransitions => false;

    /// <summary>False when the observer ignores segments: the network then does not make their records (most runs
    /// want none; `run --json --segments` and verify do).</summary>
    bool WantsSegments => false;

    /// <summary>False when the observer does not hold on to samples after <see cref="OnSample"/>
    /// returns: the world may then reuse their counts for the next sample.</summary>
    bool KeepsSamples => false;

    void OnRequest(RequestRecord r) { }
    void OnTransition(TransitionRecord t) { }
    void OnSegment(SegmentRecord s) { }
    void OnLifecycle(LifecycleRecord l) { }
    void OnNote(NoteRecord n) { }
    void OnSample(Sample s) { }

    /// <summary>Something happened to <paramref name="connection"/> that may explain a later error (an idle
    /// close, an eviction, a refusal, a middlebox's drop): the instant each limit was first hit.</summary>
    void OnIncident(string connection, Incident incident) { }
}
