using Zombiesim.Core.Observation;

namespace Zombiesim.Cli.Runs.Reports;

/// <summary>
/// The timeline around the moments <see cref="Incidents"/> marks, kept as the run streams by: the last
/// <see cref="Before"/> timeline records before a moment and the <see cref="After"/> that follow it (in
/// the order the run emits them; a request is emitted when it ends), for at most <see cref="MaxWindows"/>
/// moments; a peak's window moves each time the peak rises. Overlapping windows are shown as one.
/// </summary>
public sealed class TimelineWindows : IRunObserver
{
    public const int Before = 6, After = 6, MaxWindows = 16;

    private readonly (object Record, long Order)[] _recent = new (object, long)[Before];
    private readonly List<Window> _windows = new();
    private int _next, _count;
    private long _order;

    public bool WantsTransitions => true;

    /// <summary>Starts (or, for a key already marked, moves) the window of a moment.</summary>
    public void Mark(string key, string title, TimeSpan at)
    {
        int existing = _windows.FindIndex(w => w.Key == key);
        if (existing < 0 && _windows.Count >= MaxWindows)
            return;
        var window = new Window(key, $"{title} at {Instant.Format(at)}");
        for (int i = 0; i < _count; i++)
            window.Lines.Add(_recent[(_next - _count + i + Before) % Before]);
        window.Capacity = window.Lines.Count + After;
        if (existing >= 0)
            _windows[existing] = window;
        else
            _windows.Add(window);
    }

    public void OnRequest(RequestRecord r) => Line(r);
    public void OnLifecycle(LifecycleRecord l) => Line(l);
    public void OnNote(NoteRecord n) => Line(n);

    public void OnTransition(TransitionRecord t)
    {
        if (TimelineLine.Shown(t))
            Line(t);
    }

    /// <summary>The windows in the order of their records, overlapping ones merged: each a title line per
    /// moment and its records, as timeline lines in the order of their instants.</summary>
    public IReadOnlyList<(IReadOnlyList<string> Titles, IReadOnlyList<string> Lines)> Windows()
    {
        var merged = new List<(List<string> Titles, SortedDictionary<long, object> Lines)>();
        foreach (var w in _windows.Where(w => w.Lines.Count > 0).OrderBy(w => w.Lines[0].Order))
        {
            if (merged.Count > 0 && merged[^1].Lines.Keys.Last() + 1 >= w.Lines[0].Order)
                merged[^1].Titles.Add(w.Title);
            else
                merged.Add(([w.Title], new SortedDictionary<long, object>()));
            foreach (var (record, order) in w.Lines)
                merged[^1].Lines[order] = record;
        }
        return merged.Select(m => ((IReadOnlyList<string>)m.Titles,
            (IReadOnlyList<string>)m.Lines.OrderBy(kv => TimelineLine.At(kv.Value)).ThenBy(kv => kv.Key)
                .Select(kv => TimelineLine.Of(kv.Value)).ToList())).ToList();
    }

    private void Line(object record)
    {
        long order = _order++;
        foreach (var w in _windows)
        {
            if (w.Lines.Count < w.Capacity)
                w.Lines.Add((record, order));
        }
        _recent[_next] = (record, order);
        _next = (_next + 1) % Before;
        _count = Math.Min(_count + 1, Before);
    }

    private sealed class Window(string key, string title)
    {
        public string Key { get; } = key;
        public string Title { get; } = title;
        public List<(object Record, long Order)> Lines { get; } = new();
        public int Capacity { get; set; }
    }
}
