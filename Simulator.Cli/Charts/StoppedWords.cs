using Zombiesim.Cli.Runs;
using Zombiesim.Core.Observation;

namespace Zombiesim.Cli.Charts;

/// <summary>The platform's own word for an environment that cannot answer from user space, read from
/// the run's lifecycle records: frozen (Lambda), throttled (Cloud Run), suspended (Vercel), snapshotted
/// (SnapStart), joined by "or" when a run has several; "stopped" when it recorded none (Azure and
/// Workers keep their processes running).</summary>
public static class StoppedWords
{
    public static string Of(RunData run)
    {
        var states = new SortedSet<EnvironmentState>();
        foreach (var l in run.Lifecycle)
        {
            var state = l.Event.After();
            if (state != EnvironmentState.Destroyed && state.Unanswering())
                states.Add(state);
        }
        return states.Count == 0 ? "stopped" : string.Join(" or ", states.Select(s => s.Name()));
    }
}
