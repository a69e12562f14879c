using System.CommandLine;
using Zombiesim.Cli.Charts;
using Zombiesim.Cli.Runs;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Traffic;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Cli.Commands;

/// <summary>`zombiesim run FILE`: the timeline, the summary and the expectations of one run.</summary>
public static class RunCommand
{
    public static Command Build()
    {
        var file = new Argument<string>("FILE") { Description = "The scenario (YAML)." };
        var seed = Flags.Seed("--seed", "Override the scenario's seed.", ulong.MaxValue);
        var set = new Option<string[]>("--set")
        {
            Description = "Override a value: path=value (dots for nesting, numbers for list items), e.g. server.idleTimeout=310s. "
                + "Repeatable.",
        };
        var outDir = new Option<string?>("--out")
        {
            Description = "Write summary.json, requests.csv, connections.csv, trace.jsonl and the charts to this directory.",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON document instead of text." };
        var limit = Flags.Int("--timeline-lines", "At most this many timeline lines in text output", "a number of lines",
            0, 10_000_000, 400);
        var command = new Command("run", "Run a scenario: what happened to every environment, socket and request, and why.")
        {
            file, seed, set, outDir, json, limit,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            string path = parse.GetValue(file)!;
            string[] sets = parse.GetValue(set) ?? [];
            var scenario = ScenarioLoader.LoadFile(path, sets);
            string? dir = parse.GetValue(outDir);
            bool asJson = parse.GetValue(json);
            int lines = parse.GetValue(limit);
            var recorder = asJson ? new RunRecorder() : new RunRecorder(lines + 1);
            // Charts take the records in memory, whatever the timeline shows.
            var charted = dir is null ? null : new ChartRecorder();
            using var files = dir is null ? null : RunFiles.Create(dir);
            var observers = new List<IRunObserver> { recorder };
            if (charted is not null && files is not null)
                observers.AddRange([charted, files]);
            RunOutcome outcome = Announced(scenario, parse.InvocationConfiguration.Error) is { } progress
                ? Simulation.RunWithProgress(scenario, parse.GetValue(seed), progress, observers.ToArray())
                : Simulation.Run(scenario, parse.GetValue(seed), observers.ToArray());
            string reproduce = Reproduce(path, outcome.Seed, sets);
            if (files is not null)
            {
                files.Complete(outcome);
                var data = RunData.From(outcome, charted!);
                RunCharts.Save([data], dir!, ChartFormat.Both, ChartStyle.DefaultWidth, ChartStyle.DefaultHeight);
            }
            if (asJson)
                output.WriteLine(RunJson.Write(outcome, recorder, reproduce).ToJsonString(JsonOptions.Indented));
            else
                RunText.Write(output, outcome, recorder, reproduce, lines);
            return outcome.ExpectationsMet ? ExitCodes.Ok : ExitCodes.Violated;
        });
        return command;
    }

    /// <summary>A run past <see cref="WorkEstimate.Announced"/> invocations is announced on stderr with how to
    /// try it small, and reports its progress there; stdout stays the same.</summary>
    public static Action<double>? Announced(Scenario scenario, TextWriter error)
    {
        if (WorkEstimate.Warning(scenario) is not { } warning)
            return null;
        error.WriteLine($"warning: {warning}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        return done => error.WriteLine($"progress: {done * 100:F0}% of {DurationText.Format(scenario.Horizon)} simulated, "
            + $"{clock.Elapsed.TotalSeconds:F1} s so far");
    }

    internal static string Reproduce(string path, ulong seed, IEnumerable<string> sets) =>
        $"zombiesim run {Quote(path)} --seed {seed}" + string.Concat(sets.Select(s => $" --set {Quote(s)}"));

    private static string Quote(string s) => s.Any(c => char.IsWhiteSpace(c) || c is '[' or ']' or '{' or '}' or '*') ? $"'{s}'" : s;
}
