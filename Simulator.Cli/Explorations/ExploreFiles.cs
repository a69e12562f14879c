using Zombiesim.Cli.Runs;
using Zombiesim.Core.Explore;
using Zombiesim.Core.Files;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Cli.Explorations;

/// <summary>An outcome class saved by `explore`: its first example, its trace, its replayed timeline and the command that
/// replays it.</summary>
public sealed record SavedExample(Example Example, string Trace, string Timeline, string Replay);

/// <summary>
/// The files `explore --out DIR` writes for each outcome class (violating ones first): the trace of
/// its first iteration (<see cref="ExploreTrace"/>'s format, read back by <see cref="ExploreTrace.Read"/>)
/// and the timeline of its replay, each atomically. The first violation's trace also carries Coyote's trace.
/// </summary>
public static class ExploreFiles
{
    private const int MaxSaved = 20;

    public static List<SavedExample> Save(ExploreResult result, Scenario scenario, string[] sets, ExploreOptions options, string dir,
        string file)
    {
        var saved = new List<SavedExample>();
        OutputDirectory.Ensure(dir);
        int violations = 0, others = 0;
        foreach (var v in result.Examples.OrderBy(e => e.Breach is null).ThenBy(e => e.Iteration).Take(MaxSaved))
        {
            string name = v.Breach is null ? $"outcome-{++others}" : $"violation-{++violations}";
            var invariants = options.Invariants.Select(i => i.Text).ToList();
            string? coyote = violations == 1 && v.Breach is not null ? result.CoyoteTrace : null;
            var trace = new ExploreTrace(scenario.Name, scenario.Identity, sets, options.Resolution, invariants, v.Choices, v.Breach ?? "",
                coyote);
            string tracePath = Path.Combine(dir, $"{name}.trace");
            AtomicFile.WriteAllText(tracePath, trace.ToJson() + "\n");
            string replay = $"zombiesim replay {file} {tracePath}";
            var recorder = new RunRecorder();
            var (outcome, breaches) = Explorer.Replay(scenario, trace, recorder);
            var text = new StringWriter { NewLine = "\n" };
            RunText.Write(text, outcome, recorder, replay, int.MaxValue);
            text.WriteLine();
            foreach (var b in breaches)
                text.WriteLine($"violation: {b}");
            string timelinePath = Path.Combine(dir, $"{name}.timeline.txt");
            AtomicFile.WriteAllText(timelinePath, text.ToString());
            saved.Add(new SavedExample(v, tracePath, timelinePath, replay));
        }
        return saved;
    }
}
