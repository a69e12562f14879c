using System.CommandLine;
using Zombiesim.Cli.Charts;
using Zombiesim.Cli.Runs;
using Zombiesim.Cli.Runs.Reports;
using Zombiesim.Cli.Runs.Sampling;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Traffic;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Cli.Commands;

/// <summary>`zombiesim run FILE`: the incidents, the timeline, the summary and the expectations of one run.</summary>
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
            Description = "Write summary.json, functions.csv, requests.csv (sampled), connections.csv, trace.jsonl (see --trace) "
                + "and the charts to this directory.",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON document instead of text (sampled records unless --full)." };
        var full = new Option<bool>("--full") { Description = "With --json: every record, however long the run." };
        var segments = new Option<bool>("--segments")
        {
            Description = "With --json: also the segments on the wire (\"segments\") of the connections the records keep.",
        };
        var trace = Trace();
        var limit = Flags.Int("--timeline-lines", "At most this many timeline lines in text output before it shows the lines "
            + "around the incidents instead", "a number of lines", 0, 10_000_000, 400);
        var timeline = Flags.Choice("--timeline", "auto (every line if they fit in --timeline-lines, else the lines around the "
            + "incidents), incidents or full (every line, kept in memory).", "a timeline", "auto", "auto", "incidents", "full");
        var progress = new Option<bool>("--progress") { Description = "Report progress on stderr even when it is not a terminal." };
        var command = new Command("run", "Run a scenario: what happened to every environment, socket and request, and why.")
        {
            file, seed, set, outDir, json, full, segments, trace, limit, timeline, progress,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            string path = parse.GetValue(file)!;
            string[] sets = parse.GetValue(set) ?? [];
            var scenario = ScenarioLoader.LoadFile(path, sets);
            string? dir = parse.GetValue(outDir);
            bool asJson = parse.GetValue(json);
            int lines = parse.GetValue(limit);
            var mode = parse.GetValue(timeline) switch
            {
                "full" => TimelineMode.Full,
                "incidents" => TimelineMode.Incidents,
                _ => TimelineMode.Auto,
            };
            var observers = new List<IRunObserver>();
            var report = new RunReport(scenario);
            observers.AddRange(report.Observers);
            // --json keeps the default trace's records (bounded) unless --full; the text keeps the first lines only.
            var recorder = asJson || mode == TimelineMode.Full ? new RunRecorder(segments: asJson && parse.GetValue(segments))
                : new RunRecorder(lines + 1);
            observers.Add(asJson && !parse.GetValue(full) ? new TraceSelection(scenario, TraceSpec.Sample, recorder) : recorder);
            var charted = dir is null ? null : new ChartRecorder(scenario);
            using var files = dir is null ? null : RunFiles.Create(dir, scenario, parse.GetValue(trace));
            if (charted is not null && files is not null)
                observers.AddRange([charted, files]);
            Announce(scenario, error);
            var shown = ProgressLine.Wanted(error, parse.GetValue(progress)) ? new ProgressLine(error, scenario.Horizon,
                ProgressLine.Terminal(error)) : null;
            RunOutcome outcome = shown is not null
                ? Simulation.RunWithProgress(scenario, parse.GetValue(seed), shown.Report, observers.ToArray())
                : Simulation.Run(scenario, parse.GetValue(seed), observers.ToArray());
            shown?.Done();
            string reproduce = Reproduce(path, outcome.Seed, sets);
            string? sizes = null;
            if (files is not null)
            {
                files.Complete(outcome, report);
                var data = RunData.From(outcome, charted!);
                var charts = RunCharts.Save([data], dir!, ChartFormat.Both, ChartStyle.DefaultWidth, ChartStyle.DefaultHeight);
                sizes = Sizes(dir!, [.. files.Written, .. charts]);
            }
            if (asJson)
            {
                var doc = RunJson.Write(outcome, recorder, reproduce);
                doc["summary"] = SummaryJson.Write(outcome, report);
                output.WriteLine(doc.ToJsonString(JsonOptions.Indented));
                if (sizes is not null)
                    error.WriteLine(sizes);
            }
            else
            {
                RunText.Write(output, outcome, recorder, report, mode, reproduce, lines);
                if (sizes is not null)
                    output.WriteLine(sizes);
            }
            return outcome.ExpectationsMet ? ExitCodes.Ok : ExitCodes.Violated;
        });
        return command;
    }

    /// <summary>--trace sample|all|errors|function=NAME|connection=cN.</summary>
    private static Option<TraceSpec> Trace() => new("--trace")
    {
        Description = "What trace.jsonl holds: sample (the default: the sampled requests and a bounded number of their connections' "
            + "records), all, errors (every failed request and its connection's records), function=NAME or connection=cN.",
        DefaultValueFactory = _ => TraceSpec.Sample,
        CustomParser = r =>
        {
            string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (TraceSpec.TryParse(text, out var spec))
                return spec;
            r.AddError($"--trace: '{text}' is not a trace level ({TraceSpec.Words})");
            return TraceSpec.Sample;
        },
    };

    /// <summary>"wrote 10 files, 1.2 MB, to DIR".</summary>
    private static string Sizes(string dir, IReadOnlyList<string> written)
    {
        long bytes = written.Sum(f => new FileInfo(f).Length);
        return $"wrote {written.Count} files, {Bytes(bytes)}, to {dir}";
    }

    internal static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} bytes",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.# KB", System.Globalization.CultureInfo.InvariantCulture),
        _ => (bytes / 1048576.0).ToString("0.# MB", System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>A run past <see cref="WorkEstimate.Announced"/> invocations is announced on stderr with how to
    /// try it small; returns whether it was.</summary>
    public static bool Announce(Scenario scenario, TextWriter error)
    {
        if (WorkEstimate.Warning(scenario) is not { } warning)
            return false;
        error.WriteLine($"warning: {warning}");
        return true;
    }

    internal static string Reproduce(string path, ulong seed, IEnumerable<string> sets) =>
        $"zombiesim run {Quote(path)} --seed {seed}" + string.Concat(sets.Select(s => $" --set {Quote(s)}"));

    private static string Quote(string s) => s.Any(c => char.IsWhiteSpace(c) || c is '[' or ']' or '{' or '}' or '*') ? $"'{s}'" : s;
}
