using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Cli.Runs.Reports;

/// <summary>What the text, summary.json and functions.csv report of a run beyond its summary: the
/// incidents, the timeline around them and the breakdowns, each gathered in bounded memory.</summary>
public sealed class RunReport
{
    public RunReport(Scenario scenario)
    {
        Windows = new TimelineWindows();
        Incidents = new Incidents(Windows.Mark);
        Breakdown = new Breakdown(scenario);
    }

    public Incidents Incidents { get; }
    public TimelineWindows Windows { get; }
    public Breakdown Breakdown { get; }

    /// <summary>The observers to run with, in this order (a moment is marked before its record reaches the windows).</summary>
    public IRunObserver[] Observers => [Incidents, Windows, Breakdown];
}
