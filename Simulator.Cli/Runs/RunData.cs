using System.Globalization;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Cli.Runs;

/// <summary>
/// What charts draw a run from: its header, the samples as columns, and the typed records. Built
/// in memory from a run (<see cref="From"/>) or read back from a `run --out` directory
/// (<see cref="RunFiles.Read"/>); both give the same charts. Requests read back carry no
/// <see cref="Cause"/> (causes are text on disk), which no chart draws.
/// </summary>
public sealed record RunData(
    RunHeader Header,
    SampleColumns Samples,
    IReadOnlyList<RequestRecord> Requests,
    IReadOnlyList<TransitionRecord> Transitions,
    IReadOnlyList<LifecycleRecord> Lifecycle,
    IReadOnlyList<NoteRecord> Notes)
{
    public string Name => Header.Name;

    /// <summary>A run's records as a <see cref="ChartRecorder"/> kept them.</summary>
    public static RunData From(RunOutcome outcome, ChartRecorder recorder) =>
        new(SummaryJson.Header(outcome.Scenario), SampleColumns.From(recorder.Samples), recorder.Requests, recorder.Transitions,
            recorder.Lifecycle, recorder.Notes);
}

/// <summary>The samples of a run as columns, one value per sample (what connections.csv holds).</summary>
public sealed record SampleColumns(
    double[] T,
    IReadOnlyDictionary<string, double[]> Server,
    IReadOnlyDictionary<string, double[]> Client,
    double[] EnvironmentsBusy,
    double[] EnvironmentsIdle,
    double[] EnvironmentsFrozen,
    double[] Rejections,
    double[] Evictions,
    double[] Throttles)
{
    /// <summary>Each server's connections and zombies when the run had several servers; empty otherwise.</summary>
    public IReadOnlyList<ServerColumns> Servers { get; init; } = [];

    public double[] Alive => EnvironmentsBusy.Zip(EnvironmentsIdle, (a, b) => a + b).Zip(EnvironmentsFrozen, (a, b) => a + b).ToArray();

    public static SampleColumns From(IReadOnlyList<Sample> samples) => new(
        samples.Select(s => double.Parse(RunFiles.Seconds(s.T), CultureInfo.InvariantCulture)).ToArray(), // as the CSV has it
        Sample.ServerCategories.ToDictionary(c => c, c => samples.Select(s => (double)s.Server[c]).ToArray()),
        Sample.ClientCategories.ToDictionary(c => c, c => samples.Select(s => (double)s.Client[c]).ToArray()),
        samples.Select(s => (double)s.EnvironmentsBusy).ToArray(),
        samples.Select(s => (double)s.EnvironmentsIdle).ToArray(),
        samples.Select(s => (double)s.EnvironmentsFrozen).ToArray(),
        samples.Select(s => (double)s.Rejections).ToArray(),
        samples.Select(s => (double)s.Evictions).ToArray(),
        samples.Select(s => (double)s.Throttles).ToArray())
    {
        Servers = samples.Count == 0 || samples[0].Servers is not { } first ? []
            : first.Select((x, i) => new ServerColumns(x.Name, samples.Select(s => (double)s.Servers![i].Counts.Total).ToArray(),
                samples.Select(s => (double)s.Servers![i].Counts["zombie"]).ToArray())).ToList(),
    };
}

/// <summary>One server's samples: its sockets (the listener left out) and its zombies.</summary>
public sealed record ServerColumns(string Name, double[] Connections, double[] Zombies);

/// <summary>A run's name, its server's limits and each function's strategy.</summary>
public sealed record RunHeader(string Name, int? SoftLimit, int? HardLimit, int? MaxClients,
    IReadOnlyDictionary<string, string> Strategies);
