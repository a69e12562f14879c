using Zombiesim.Cli.Runs;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Cli;

/// <summary>A bundled scenario run with the chart recorder, as `run --out` draws it.</summary>
internal static class ChartRuns
{
    public static RunData Of(string file)
    {
        var scenario = ScenarioLoader.LoadFile(Scenarios.File(file));
        var rec = new ChartRecorder(scenario);
        var outcome = Simulation.Run(scenario, null, rec);
        return RunData.From(outcome, rec);
    }
}
