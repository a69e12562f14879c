using System.Globalization;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Cli.Runs;

/// <summary>
/// What charts draw a run from: its header, the samples as columns, and the typed records. Built
/// in memory from a run (<see cref="From"/>) or read back from a `run --out` directory
/// (<see cref="RunFiles.Read"/>); both give the same charts. Requests read back carry no
/// <see cref="Cause"/> (causes are text on disk), which no chart draws. <see cref="Successes"/>: each function's
/// successful requests in the whole run, of which <see cref="Requests"/> may hold a sample (null: not known).
/// </summary>
public sealed record RunData(
    RunHeader Header,
    SampleColumns Samples,
    IReadOnlyList<RequestRecord> Requests,
    IReadOnlyList<TransitionRecord> Transitions,
    IReadOnlyList<LifecycleRecord> Lifecycle,
    IReadOnlyList<NoteRecord> Notes,
    IReadOnlyDictionary<string, long>? Successes = null)
{
    public string Name => Header.Name;

    /// <summary>A run's records as a <see cref="ChartRecorder"/> kept them.</summary>
    public static RunData From(RunOutcome outcome, ChartRecorder recorder) =>
        new(SummaryJson.Header(outcome.Scenario), SampleColumns.From(recorder.Samples), recorder.Requests, recorder.Transitions,
            recorder.Lifecycle, recorder.Notes, recorder.Successes);
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
    double[] Throttles,
    IReadOnlyList<KeyValuePair<string, double[]>>? PerServer = null)
{
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
        samples.Select(s => (double)s.Throttles).ToArray(),
        samples.Count > 0 && samples[0].Servers is { } first
            ? first.Names.Select((name, i) => KeyValuePair.Create(name, samples.Select(s => (double)s.Servers!.Open[i]).ToArray())).ToList()
            : null);
}

/// <summary>A run's name, its server's limits and each function's strategy.</summary>
public sealed record RunHeader(string Name, int? SoftLimit, int? HardLimit, int? MaxClients,
    IReadOnlyDictionary<string, string> Strategies);
