using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Tests.World;

/// <summary>Finds the repository's scenarios/ folder from the test binaries.</summary>
internal static class Scenarios
{
    public static string Root { get; } = FindRoot();

    public static string Dir => Path.Combine(Root, "scenarios");

    public static string File(string name) => Path.Combine(Dir, name);

    public static IEnumerable<object[]> All() =>
        Directory.GetFiles(FindRoot() is var r ? Path.Combine(r, "scenarios") : "", "*.yaml")
            .Order().Select(f => new object[] { Path.GetFileName(f) });

    public static (RunOutcome Outcome, RunRecorder Records) Run(string name, params string[] sets)
    {
        var scenario = ScenarioLoader.LoadFile(File(name), sets);
        var rec = new RunRecorder();
        return (Simulation.Run(scenario, null, rec), rec);
    }

    /// <summary>Runs a scenario written in the test (<paramref name="file"/> names it in errors), with every record kept.</summary>
    public static (RunOutcome Outcome, RunRecorder Records) RunYaml(string yaml, string file, params string[] sets)
    {
        var rec = new RunRecorder();
        return (Simulation.Run(ScenarioLoader.Load(yaml, file, sets), null, rec), rec);
    }

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(d.FullName, "Simulator.sln")))
                return d.FullName;
        }
        throw new InvalidOperationException("cannot find Simulator.sln above " + AppContext.BaseDirectory);
    }
}
