using System.Runtime.ExceptionServices;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Core.Search;

/// <summary>
/// Runs the replications of a bisection's points on a fixed set of workers. The points the bisection
/// needs (<see cref="Need"/>) go first; a worker that would otherwise wait runs the points it may need
/// next (<see cref="Speculate"/>). A run's result depends only on its point and replication, so
/// speculation changes when a point is ready, never what it holds: a point is handed back only whole,
/// and a speculated point that the bisection never needs is never handed back. Each worker keeps its own
/// <see cref="RunStorage"/> for the runs it makes, one after another.
/// </summary>
internal sealed class SpeculativeRuns<T> : IDisposable
{
    private sealed class Point(int index, Func<int, RunStorage, T> run, int replications)
    {
        public readonly int Index = index;
        public readonly Func<int, RunStorage, T> Run = run;
        public readonly T[] Runs = new T[replications];
        public int Next;
        public int Done;
        public bool Needed;
    }

    private readonly object _gate = new();
    private readonly int _replications;
    private readonly Func<int, Func<int, RunStorage, T>> _prepare;
    private readonly Dictionary<int, Point> _points = new();
    private readonly List<Point> _needed = new();
    private readonly List<Point> _speculated = new();
    private readonly Thread[] _threads;
    private ExceptionDispatchInfo? _failure;
    private bool _stopping;
    private long _speculativeRuns;

    /// <param name="replications">Runs per point.</param>
    /// <param name="workers">Threads running runs; with one, nothing is speculated.</param>
    /// <param name="prepare">For a point, the function that makes its run of a replication on a worker's storage (called on
    /// the caller's thread).</param>
    public SpeculativeRuns(int replications, int workers, Func<int, Func<int, RunStorage, T>> prepare)
    {
        _replications = replications;
        _prepare = prepare;
        _threads = new Thread[Math.Max(1, workers)];
        for (int i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(Work) { IsBackground = true, Name = $"zombiesim search worker {i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Runs started for a point before the bisection needed it (0 with one worker).</summary>
    public long SpeculativeRunsStarted => Interlocked.Read(ref _speculativeRuns);

    /// <summary>The bisection needs these points: their runs go before any speculated one, in this order.</summary>
    public void Need(params int[] indices)
    {
        lock (_gate)
        {
            foreach (int i in indices)
            {
                var p = PointAt(i);
                if (p.Needed)
                    continue;
                p.Needed = true;
                _speculated.Remove(p);
                _needed.Add(p);
            }
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>The points the bisection may need next, most likely first: they replace the previous
    /// guesses. A guess dropped is forgotten (its runs in flight end unread): the bisection went the other way.</summary>
    public void Speculate(IReadOnlyList<int> indices)
    {
        if (_threads.Length == 1)
            return;
        lock (_gate)
        {
            foreach (var dropped in _speculated.Where(p => !indices.Contains(p.Index)))
                _points.Remove(dropped.Index);
            _speculated.Clear();
            foreach (int i in indices)
            {
                Point p;
                try
                {
                    p = PointAt(i);
                }
                catch (BadInputException)
                {
                    continue; // a guess whose value does not load fails when it is needed, if ever, as without guesses
                }
                if (!p.Needed && !_speculated.Contains(p))
                    _speculated.Add(p);
            }
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Waits until every run of a needed point is done and returns them in replication order (the
    /// point is then forgotten: it is asked for once).</summary>
    public T[] Wait(int index)
    {
        lock (_gate)
        {
            var p = _points[index];
            if (!p.Needed)
                throw new InvalidOperationException($"point {index} was not needed before it was waited for");
            while (p.Done < _replications && _failure is null)
                Monitor.Wait(_gate);
            _failure?.Throw();
            _needed.Remove(p);
            _points.Remove(index);
            return p.Runs;
        }
    }

    private Point PointAt(int index)
    {
        if (!_points.TryGetValue(index, out var p))
            _points[index] = p = new Point(index, _prepare(index), _replications);
        return p;
    }

    /// <summary>The next run to start, needed points first; false when there is none.</summary>
    private bool TryTake(out Point point, out int replication)
    {
        point = _needed.Find(p => p.Next < _replications) ?? _speculated.Find(p => p.Next < _replications)!;
        replication = point is null ? -1 : point.Next++;
        if (point is not null && !point.Needed)
            Interlocked.Increment(ref _speculativeRuns);
        return point is not null;
    }

    private void Work()
    {
        var storage = new RunStorage();
        while (true)
        {
            Point p;
            int replication;
            lock (_gate)
            {
                while (true)
                {
                    if (_stopping)
                        return;
                    if (TryTake(out p, out replication))
                        break;
                    Monitor.Wait(_gate);
                }
            }
            T result;
            try
            {
                result = p.Run(replication, storage);
            }
            catch (Exception e)
            {
                lock (_gate)
                {
                    _failure ??= ExceptionDispatchInfo.Capture(e);
                    _stopping = true;
                    Monitor.PulseAll(_gate);
                }
                return;
            }
            lock (_gate)
            {
                p.Runs[replication] = result;
                if (++p.Done == _replications && p.Needed)
                    Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Stops the workers: each ends after the run it is in (a guess's run that nobody will read
    /// is not waited for).</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
    }
}
