using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tcp;

namespace Zombiesim.Cli.Commands;

/// <summary>`zombiesim run FILE`: the timeline, the summary and the expectations of one run.</summary>
public static class RunCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static Command Build()
    {
        var file = new Argument<string>("FILE") { Description = "The scenario (YAML)." };
        var seed = new Option<ulong?>("--seed") { Description = "Override the scenario's seed." };
        var set = new Option<string[]>("--set") { Description = "Override a value: path=value (dots for nesting, numbers for list items), e.g. server.idleTimeout=310s. Repeatable." };
        var outDir = new Option<string?>("--out") { Description = "Write summary.json, requests.csv, connections.csv and trace.jsonl to this directory." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document instead of text." };
        var limit = new Option<int>("--timeline-lines") { Description = "At most this many timeline lines in text output.", DefaultValueFactory = _ => 400 };
        var command = new Command("run", "Run a scenario: what happened to every environment, socket and request, and why.")
        {
            file, seed, set, outDir, json, limit,
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
            var recorder = asJson ? new RunRecorder() : new RunRecorder(Math.Max(lines, 0) + 1);
            using var files = dir is null ? null : OutputFiles.Create(dir);
            if (dir is not null && files is null)
            {
                error.WriteLine($"error: cannot write to '{dir}': it exists and is not a directory, or is not writable");
                return ExitCodes.BadInput;
            }
            var observers = files is null ? new IRunObserver[] { recorder } : [recorder, files];
            RunOutcome outcome = Simulation.Run(scenario, parse.GetValue(seed), observers);
            string reproduce = Reproduce(path, outcome.Seed, sets);
            files?.Complete(outcome, recorder);
            if (dir is not null)
                PlotCommand.Draw([dir], dir, "both", PlotCommand.DefaultWidth, PlotCommand.DefaultHeight);
            if (asJson)
                output.WriteLine(ToJson(outcome, recorder, reproduce).ToJsonString(JsonOptions.Indented));
            else
                WriteText(output, outcome, recorder, reproduce, lines);
            return outcome.ExpectationsMet ? ExitCodes.Ok : ExitCodes.Violated;
        });
        return command;
    }

    internal static string Reproduce(string path, ulong seed, IEnumerable<string> sets) =>
        $"zombiesim run {Quote(path)} --seed {seed}" + string.Concat(sets.Select(s => $" --set {Quote(s)}"));

    private static string Quote(string s) => s.Any(c => char.IsWhiteSpace(c) || c is '[' or ']' or '{' or '}' or '*') ? $"'{s}'" : s;

    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.000000", Inv) + "s";

    // ---------------------------------------------------------------- text

    internal static void WriteText(TextWriter o, RunOutcome outcome, RunRecorder rec, string reproduce, int limit)
    {
        var s = outcome.Scenario;
        o.WriteLine($"{s.Name}: seed {outcome.Seed}, horizon {DurationText.Format(s.Horizon)}, {outcome.Events:N0} events");
        if (s.Description is { } d)
            o.WriteLine(d.Trim());
        o.WriteLine();
        var lines = Timeline(rec).ToList();
        o.WriteLine("timeline");
        foreach (var line in lines.Take(limit))
            o.WriteLine("  " + line);
        if (lines.Count > limit || rec.Dropped > 0)
            o.WriteLine($"  ... more lines not shown (--timeline-lines N shows more; --out DIR writes trace.jsonl)");
        o.WriteLine();
        WriteSummary(o, outcome.Summary);
        if (outcome.Expectations.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("expectations");
            foreach (var e in outcome.Expectations)
                o.WriteLine($"  {(e.Met ? "ok    " : "FAILED")} {e.Text}{(e.Met ? "" : $": got {e.Actual}")}");
        }
        o.WriteLine();
        o.WriteLine($"reproduce: {reproduce}");
    }

    private static IEnumerable<string> Timeline(RunRecorder rec)
    {
        var items = new List<(TimeSpan T, int Order, string Who, string What)>();
        int n = 0;
        foreach (var l in rec.Lifecycle)
            items.Add((l.T, n++, l.Environment, l.Event.Name() + (l.Detail is null ? "" : $" ({l.Detail})")));
        foreach (var x in rec.Notes)
            items.Add((x.T, n++, x.Who, x.Text));
        foreach (var t in rec.Transitions)
        {
            if (t.Cause is TcpCause.ActiveOpen or TcpCause.PassiveOpen or TcpCause.RcvSyn or TcpCause.RcvSynAck or TcpCause.RcvAckOfSyn)
                continue; // handshakes are routine; the trace has them
            items.Add((t.T, n++, t.Host, $"{t.Connection} {t.From.Name()} -> {t.To.Name()} ({t.Cause.Name()})"));
        }
        foreach (var r in rec.Requests)
        {
            string on = r.Connection is null ? "" : $" on {r.Connection}";
            string what = r.Ok
                ? $"request ok in {r.LatencyMs.ToString("0.###", Inv)} ms{on} ({r.Environment})"
                : $"request FAILED {r.Outcome.Name()} ({r.Origin?.Name()}) after {r.LatencyMs.ToString("0.###", Inv)} ms{on} ({r.Environment}){(r.Cause is null ? "" : ": " + r.Cause.Text())}";
            if (r.Retries > 0)
                what += $", after {r.Retries} retries";
            items.Add((r.T, n++, r.Function, what));
        }
        return items.OrderBy(i => i.T).ThenBy(i => i.Order).Select(i => $"{Seconds(i.T),16}  {i.Who,-12} {i.What}");
    }

    private static void WriteSummary(TextWriter o, RunSummary s)
    {
        o.WriteLine("summary");
        o.WriteLine($"  requests     {s.Requests:N0}: {string.Join(", ", s.Outcomes.Select(kv => $"{kv.Key.Name()} {kv.Value:N0}"))}");
        o.WriteLine($"  errors       {(s.Errors == 0 ? "none" : string.Join(", ", s.ErrorsByErrnoAndOrigin.Select(kv => $"{RunSummary.ErrorName(kv.Key.Outcome, kv.Key.Origin)} {kv.Value:N0}")))}");
        if (s.Latency.Count > 0)
            o.WriteLine($"  latency ok   p50 {s.Latency.Quantile(0.5).ToString("0.###", Inv)} ms, p99 {s.Latency.Quantile(0.99).ToString("0.###", Inv)} ms");
        o.WriteLine($"  environments {s.ColdStarts:N0} cold starts, {s.Destroyed:N0} destroyed");
        if (s.Final is { } f)
        {
            o.WriteLine($"  server peak  {Counts(s.PeakServer)}");
            o.WriteLine($"  server final {Counts(f.Server)}");
            o.WriteLine($"  client final {Counts(f.Client)}");
            o.WriteLine($"  zombies      peak {s.PeakZombies}, {s.ZombieSeconds.ToString("0.#", Inv)} zombie-seconds; rejections {f.Rejections}, evictions {f.Evictions}, throttles {f.Throttles}");
        }
    }

    private static string Counts(IReadOnlyDictionary<string, int> counts)
    {
        var nonZero = counts.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value}").ToList();
        return nonZero.Count == 0 ? "none" : string.Join(", ", nonZero);
    }

    // ---------------------------------------------------------------- json

    internal static JsonObject SummaryJson(RunOutcome outcome)
    {
        var s = outcome.Summary;
        var o = new JsonObject
        {
            ["scenario"] = outcome.Scenario.Name,
            ["seed"] = outcome.Seed,
            ["horizonSeconds"] = outcome.Scenario.Horizon.TotalSeconds,
            ["limits"] = new JsonObject
            {
                ["soft"] = outcome.Scenario.Server.SoftLimit, ["hard"] = outcome.Scenario.Server.HardLimit, ["maxClients"] = outcome.Scenario.Server.MaxClients,
            },
            ["strategies"] = Obj(outcome.Scenario.Functions.Select(f => (f.Name, (JsonNode)StrategyName(f.Strategy)))),
            ["events"] = outcome.Events,
            ["requests"] = s.Requests,
            ["errors"] = s.Errors,
            ["outcomes"] = Obj(s.Outcomes.Select(kv => (kv.Key.Name(), (JsonNode)kv.Value))),
            ["errorsByErrnoAndOrigin"] = Obj(s.ErrorsByErrnoAndOrigin.Select(kv => (RunSummary.ErrorName(kv.Key.Outcome, kv.Key.Origin), (JsonNode)kv.Value))),
            ["latencyMs"] = new JsonObject { ["p50"] = s.Latency.Quantile(0.5), ["p99"] = s.Latency.Quantile(0.99) },
            ["coldStarts"] = s.ColdStarts,
            ["environmentsDestroyed"] = s.Destroyed,
            ["peakServer"] = Obj(s.PeakServer.Select(kv => (kv.Key, (JsonNode)kv.Value))),
            ["peakClient"] = Obj(s.PeakClient.Select(kv => (kv.Key, (JsonNode)kv.Value))),
            ["finalServer"] = s.Final is null ? null : Obj(s.Final.Server.Select(kv => (kv.Key, (JsonNode)kv.Value))),
            ["finalClient"] = s.Final is null ? null : Obj(s.Final.Client.Select(kv => (kv.Key, (JsonNode)kv.Value))),
            ["peakZombies"] = s.PeakZombies,
            ["zombieSeconds"] = Math.Round(s.ZombieSeconds, 3),
            ["rejections"] = s.Final?.Rejections ?? 0,
            ["evictions"] = s.Final?.Evictions ?? 0,
            ["throttles"] = s.Final?.Throttles ?? 0,
            ["expectations"] = new JsonArray(outcome.Expectations.Select(e => (JsonNode)new JsonObject
            {
                ["expectation"] = e.Text, ["met"] = e.Met, ["actual"] = e.Actual,
            }).ToArray()),
        };
        return o;
    }

    private static string StrategyName(Strategy s) => s switch
    {
        Strategy.Reuse => "reuse",
        Strategy.PerInvocation => "per-invocation",
        _ => "proxy",
    };

    private static JsonObject Obj(IEnumerable<(string Key, JsonNode Value)> items)
    {
        var o = new JsonObject();
        foreach (var (k, v) in items) o[k] = v;
        return o;
    }

    internal static JsonObject RequestJson(RequestRecord r) => new()
    {
        ["t"] = r.T.TotalSeconds, ["function"] = r.Function, ["environment"] = r.Environment, ["connection"] = r.Connection,
        ["outcome"] = r.Outcome.Name(), ["errno"] = r.Errno, ["origin"] = r.Origin?.Name(), ["latencyMs"] = Math.Round(r.LatencyMs, 6),
        ["retries"] = r.Retries, ["cause"] = r.Cause?.Text(),
    };

    internal static JsonObject TransitionJson(TransitionRecord t) => new()
    {
        ["t"] = t.T.TotalSeconds, ["host"] = t.Host, ["connection"] = t.Connection, ["from"] = t.From.Name(), ["to"] = t.To.Name(), ["cause"] = t.Cause.Name(),
    };

    internal static JsonObject LifecycleJson(LifecycleRecord l) => new()
    {
        ["t"] = l.T.TotalSeconds, ["environment"] = l.Environment, ["event"] = l.Event.Name(), ["detail"] = l.Detail,
    };

    internal static JsonObject NoteJson(NoteRecord n) => new() { ["t"] = n.T.TotalSeconds, ["who"] = n.Who, ["text"] = n.Text };

    internal static JsonObject ToJson(RunOutcome outcome, RunRecorder rec, string reproduce) => new()
    {
        ["scenario"] = outcome.Scenario.Name,
        ["seed"] = outcome.Seed,
        ["reproduce"] = reproduce,
        ["requests"] = new JsonArray(rec.Requests.Select(r => (JsonNode)RequestJson(r)).ToArray()),
        ["transitions"] = new JsonArray(rec.Transitions.Select(t => (JsonNode)TransitionJson(t)).ToArray()),
        ["lifecycle"] = new JsonArray(rec.Lifecycle.Select(l => (JsonNode)LifecycleJson(l)).ToArray()),
        ["notes"] = new JsonArray(rec.Notes.Select(n => (JsonNode)NoteJson(n)).ToArray()),
        ["summary"] = SummaryJson(outcome),
    };

    // ---------------------------------------------------------------- files

    /// <summary>Streams trace.jsonl, requests.csv and connections.csv into temporary files in the
    /// directory, and renames them (with summary.json) only when the run completed: a failed run
    /// leaves nothing half-written.</summary>
    private sealed class OutputFiles : IRunObserver, IDisposable
    {
        private readonly string _dir;
        private readonly StreamWriter _trace, _requests, _connections;
        private bool _completed;

        private OutputFiles(string dir)
        {
            _dir = dir;
            _trace = Open("trace.jsonl");
            _requests = Open("requests.csv");
            _connections = Open("connections.csv");
            _requests.WriteLine("t,function,environment,connection,outcome,errno,origin,latency_ms,retries,cause");
            _connections.WriteLine("t," + string.Join(',', Sample.ServerCategories.Select(c => "server_" + c))
                + "," + string.Join(',', Sample.ClientCategories.Select(c => "client_" + c))
                + ",environments_busy,environments_idle,environments_frozen,rejections,evictions,throttles");
        }

        public static OutputFiles? Create(string dir)
        {
            try
            {
                if (File.Exists(dir))
                    return null;
                Directory.CreateDirectory(dir);
                return new OutputFiles(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        private StreamWriter Open(string name) => new(Path.Combine(_dir, name + ".tmp"), false, new UTF8Encoding(false)) { NewLine = "\n" };

        public void OnRequest(RequestRecord r)
        {
            _trace.WriteLine(Line("request", RequestJson(r)));
            _requests.WriteLine(string.Join(',', Seconds(r.T).TrimEnd('s'), r.Function, r.Environment, r.Connection, r.Outcome.Name(), r.Errno, r.Origin?.Name(),
                r.LatencyMs.ToString("0.######", Inv), r.Retries.ToString(Inv), Csv(r.Cause?.Text())));
        }

        public bool WantsTransitions => true;
        public void OnTransition(TransitionRecord t) => _trace.WriteLine(Line("transition", TransitionJson(t)));
        public void OnLifecycle(LifecycleRecord l) => _trace.WriteLine(Line("lifecycle", LifecycleJson(l)));
        public void OnNote(NoteRecord n) => _trace.WriteLine(Line("note", NoteJson(n)));

        public void OnSample(Sample s) =>
            _connections.WriteLine(Seconds(s.T).TrimEnd('s') + "," + string.Join(',', Sample.ServerCategories.Select(c => s.Server[c].ToString(Inv)))
                + "," + string.Join(',', Sample.ClientCategories.Select(c => s.Client[c].ToString(Inv)))
                + $",{s.EnvironmentsBusy},{s.EnvironmentsIdle},{s.EnvironmentsFrozen},{s.Rejections},{s.Evictions},{s.Throttles}");

        private static string Line(string kind, JsonObject o)
        {
            var line = new JsonObject { ["kind"] = kind };
            foreach (var (k, v) in o.ToArray())
            {
                o.Remove(k);
                line[k] = v;
            }
            return line.ToJsonString();
        }

        private static string Csv(string? s) => s is null ? "" : "\"" + s.Replace("\"", "\"\"") + "\"";

        public void Complete(RunOutcome outcome, RunRecorder _)
        {
            _trace.Dispose();
            _requests.Dispose();
            _connections.Dispose();
            File.WriteAllText(Path.Combine(_dir, "summary.json.tmp"), SummaryJson(outcome).ToJsonString(JsonOptions.Indented) + "\n");
            foreach (var name in new[] { "trace.jsonl", "requests.csv", "connections.csv", "summary.json" })
                File.Move(Path.Combine(_dir, name + ".tmp"), Path.Combine(_dir, name), overwrite: true);
            _completed = true;
        }

        public void Dispose()
        {
            if (_completed)
                return;
            _trace.Dispose();
            _requests.Dispose();
            _connections.Dispose();
            foreach (var f in Directory.GetFiles(_dir, "*.tmp"))
                File.Delete(f);
        }
    }
}
