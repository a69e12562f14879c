using System.Diagnostics;

namespace Zombiesim.Core.Explore;

/// <summary>An exploration's progress line every thousand iterations, counted over every shard running at once.</summary>
internal sealed class ExploreProgress(Action<string>? report)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly HashSet<string> _classes = new(StringComparer.Ordinal);
    private int _iterations, _violating;

    public void Iterated(string signature, bool violating)
    {
        if (report is null)
            return;
        lock (_classes)
        {
            _classes.Add(signature);
            _iterations++;
            if (violating)
                _violating++;
            if (_iterations % 1000 == 0)
                report($"explore: {_iterations} iterations, {_classes.Count} outcome classes, "
                    + $"{_violating} violating, {_iterations / _clock.Elapsed.TotalSeconds:0} iterations/s");
        }
    }
}
