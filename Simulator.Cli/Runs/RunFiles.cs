using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Zombiesim.Cli.Runs.Reports;
using Zombiesim.Cli.Runs.Sampling;
using Zombiesim.Core.Files;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Cli.Runs;

/// <summary>
/// The files of `run --out DIR`, bounded whatever the run's length and streamed while it goes:
/// connections.csv (the counts over time, at most about 2,000 rows: one every
/// <see cref="Sample.Interval"/>), requests.csv (the requests <see cref="RequestSample"/> keeps: every
/// failure up to a cap and a fixed share of each function's successes), trace.jsonl (what the
/// <see cref="TraceSpec"/> asks for: by default the sampled requests and the records of a bounded
/// number of their connections, <see cref="TraceSelection"/>); at its end summary.json (with the
/// report and what the files keep, "outputs") and functions.csv (the breakdown by function and by
/// strategy). Each is an <see cref="AtomicFile"/>: they are renamed over their final names only when
/// the run completed, so that a failed or interrupted run leaves the directory as it was.
/// <see cref="Read"/> reads a directory back for `plot`.
/// </summary>
public sealed class RunFiles : IRunObserver, IDisposable
{
    public const string Trace = "trace.jsonl", Requests = "requests.csv", Connections = "connections.csv", Summary = "summary.json";
    public const string Functions = "functions.csv";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly string _dir;
    private readonly AtomicFile _trace, _requests, _connections;
    private readonly List<AtomicFile> _open = new();
    private readonly TraceSelection _selection;

    private RunFiles(string dir, Scenario scenario, TraceSpec trace)
    {
        _dir = dir;
        _selection = new TraceSelection(scenario, trace, new TraceWriter(this), WriteRequestRow);
        try
        {
            _trace = Open(Trace);
            _requests = Open(Requests);
            _connections = Open(Connections);
        }
        catch
        {
            Dispose();
            throw;
        }
        _requests.Writer.WriteLine("t,function,environment,connection,outcome,errno,origin,latency_ms,retries,cause");
        _connections.Writer.WriteLine(ConnectionsHeader + (scenario.ServerHosts.Count > 0
            ? "," + string.Join(',', scenario.ServerHosts.Select(x => OpenPrefix + x)) : ""));
    }

    /// <summary>The files written, once <see cref="Complete"/> has renamed them.</summary>
    public IReadOnlyList<string> Written { get; private set; } = [];

    /// <summary>With several servers, each one's open connections are a column named after it.</summary>
    private const string OpenPrefix = "open_";

    private static readonly string ConnectionsHeader = "t," + string.Join(',', Sample.ServerCategories.Select(c => "server_" + c))
        + "," + string.Join(',', Sample.ClientCategories.Select(c => "client_" + c))
        + ",environments_busy,environments_idle,environments_frozen,rejections,evictions,throttles";

    /// <summary>Opens the files in <paramref name="dir"/>, creating it; a path that is a file is bad usage.</summary>
    public static RunFiles Create(string dir, Scenario scenario, TraceSpec? trace = null)
    {
        OutputDirectory.Ensure(dir);
        return new RunFiles(dir, scenario, trace ?? TraceSpec.Sample);
    }

    private AtomicFile Open(string name)
    {
        var f = AtomicFile.Create(Path.Combine(_dir, name));
        _open.Add(f);
        return f;
    }

    /// <summary>An instant as the CSV files write it: seconds with six decimals.</summary>
    public static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.000000", Inv);

    public bool WantsTransitions => true;

    public void OnRequest(RequestRecord r) => _selection.OnRequest(r);
    public void OnTransition(TransitionRecord t) => _selection.OnTransition(t);
    public void OnLifecycle(LifecycleRecord l) => _selection.OnLifecycle(l);
    public void OnNote(NoteRecord n) => _selection.OnNote(n);

    private void WriteRequestRow(RequestRecord r) =>
        Write(_requests, string.Join(',', Seconds(r.T), r.Function, r.Environment, r.Connection, r.Outcome.Name(), r.Errno,
            r.Origin?.Name(), r.LatencyMs.ToString("0.######", Inv), r.Retries.ToString(Inv), Csv(r.Cause?.Text())));

    /// <summary>Writes the records the selection chose to trace.jsonl.</summary>
    private sealed class TraceWriter(RunFiles f) : IRunObserver
    {
        public void OnRequest(RequestRecord r) => f.Write(f._trace, Line("request", RecordJson.Request(r)));
        public void OnTransition(TransitionRecord t) => f.Write(f._trace, Line("transition", RecordJson.Transition(t)));
        public void OnLifecycle(LifecycleRecord l) => f.Write(f._trace, Line("lifecycle", RecordJson.Lifecycle(l)));
        public void OnNote(NoteRecord n) => f.Write(f._trace, Line("note", RecordJson.Note(n)));
    }

    /// <summary>What the files keep of the run, for summary.json's "outputs".</summary>
    public JsonObject Outputs(Scenario scenario)
    {
        var r = _selection.Requests;
        return new JsonObject
        {
            ["trace"] = _selection.Spec.ToString(),
            ["connectionsTraced"] = _selection.ConnectionsTraced,
            ["traceRecordsPastCap"] = _selection.RecordsPastCap,
            ["requestsWritten"] = r.Kept,
            ["failedRequestsNotWritten"] = r.FailedNotKept,
            ["successesWrittenOneIn"] = SummaryJson.Obj(scenario.Functions.Select(f => (f.Name, (JsonNode)r.Stride(f.Name)))),
            ["successesPastCap"] = r.SuccessesPastCap,
            ["connectionsEverySeconds"] = Sample.Interval(scenario.Horizon).TotalSeconds,
        };
    }

    public void OnSample(Sample s) =>
        Write(_connections, Seconds(s.T) + "," + string.Join(',', Sample.ServerCategories.Select(c => s.Server[c].ToString(Inv)))
            + "," + string.Join(',', Sample.ClientCategories.Select(c => s.Client[c].ToString(Inv)))
            + $",{s.EnvironmentsBusy},{s.EnvironmentsIdle},{s.EnvironmentsFrozen},{s.Rejections},{s.Evictions},{s.Throttles}"
            + (s.Servers is { } per ? "," + string.Join(',', per.Open.Select(n => n.ToString(Inv))) : ""));

    /// <summary>A line to a file still being streamed; a full disk stops the run with every earlier file kept.</summary>
    private void Write(AtomicFile file, string line)
    {
        try
        {
            file.Writer.WriteLine(line);
        }
        catch (IOException e) when (e is not OutputException)
        {
            throw file.Failure(e, $"the run stopped and nothing in '{_dir}' was replaced "
                + $"({string.Join(", ", Names)} keep any earlier content)");
        }
    }

    private static readonly string[] Names = [Trace, Requests, Connections, Summary, Functions];

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

    /// <summary>Writes summary.json and renames every file over its final name. When one cannot be
    /// written, the message says which were replaced and which kept their old content.</summary>
    public void Complete(RunOutcome outcome, RunReport? report = null)
    {
        var summary = Open(Summary);
        summary.Writer.Write(SummaryJson.Write(outcome, report, Outputs(outcome.Scenario)).ToJsonString(JsonOptions.Indented) + "\n");
        if (report is not null)
            Open(Functions).Writer.Write(ReportJson.Csv(report));
        var done = new List<string>();
        foreach (var f in _open)
        {
            try
            {
                f.Commit();
            }
            catch (OutputException e)
            {
                var kept = _open.Skip(done.Count).Select(x => Path.GetFileName(x.Path));
                throw new OutputException(e.Path, $"{e.Message}. "
                    + (done.Count == 0 ? "" : $"Written: {string.Join(", ", done)}; ")
                    + $"not written (any earlier file of the same name kept): {string.Join(", ", kept)}", e);
            }
            done.Add(Path.GetFileName(f.Path));
        }
        Written = _open.Select(f => f.Path).ToList();
        _open.Clear();
    }

    /// <summary>Removes the temporaries of files not completed.</summary>
    public void Dispose()
    {
        foreach (var f in _open)
            f.Dispose();
        _open.Clear();
    }

    // ---------------------------------------------------------------- reading back

    public static bool IsRunDirectory(string dir) => File.Exists(Path.Combine(dir, Connections)) && File.Exists(Path.Combine(dir, Summary));

    /// <summary>A `run --out` directory read back as the records it was written from.</summary>
    public static RunData Read(string dir)
    {
        if (!IsRunDirectory(dir))
            throw new UsageException(dir, $"not a run's output: expected {Connections} and {Summary} (written by `zombiesim run --out`)");
        string at = Path.Combine(dir, Summary);
        int line = 1;
        try
        {
            var summary = JsonNode.Parse(File.ReadAllText(at))!.AsObject();
            var header = SummaryJson.ReadHeader(summary);
            at = Path.Combine(dir, Connections);
            var samples = ReadConnections(File.ReadAllLines(at), ref line);
            at = Path.Combine(dir, Trace);
            line = 0;
            var requests = new List<RequestRecord>();
            var transitions = new List<TransitionRecord>();
            var lifecycle = new List<LifecycleRecord>();
            var notes = new List<NoteRecord>();
            foreach (var text in File.ReadLines(at))
            {
                line++;
                var o = JsonNode.Parse(text)!.AsObject();
                switch (o["kind"]?.GetValue<string>())
                {
                    case "request": break; // the requests are requests.csv's (read below), whatever the trace holds
                    case "transition": transitions.Add(RecordJson.ReadTransition(o)); break;
                    case "lifecycle": lifecycle.Add(RecordJson.ReadLifecycle(o)); break;
                    case "note": notes.Add(RecordJson.ReadNote(o)); break;
                    default: throw new FormatException("not a request, transition, lifecycle or note record");
                }
            }
            at = Path.Combine(dir, Requests);
            requests.AddRange(ReadRequests(at).Select(r => r.Record));
            return new RunData(header, samples, requests, transitions, lifecycle, notes, SummaryJson.ReadSuccesses(summary));
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException
            or IndexOutOfRangeException)
        {
            throw new ScenarioException(at, Math.Max(line, 1), 1, $"not as `zombiesim run --out` writes it: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException(at, $"cannot read the file: {e.Message}");
        }
    }

    /// <summary>requests.csv read back: each request (its instant to the microsecond, as the file keeps it)
    /// with its cause as text.</summary>
    public static IReadOnlyList<(RequestRecord Record, string? Cause)> ReadRequests(string path)
    {
        var lines = File.ReadAllLines(path);
        var requests = new List<(RequestRecord, string?)>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
                continue;
            try
            {
                var f = lines[i].Split(',', 10);
                if (f.Length != 10 || !OutcomeNames.TryParse(f[4], out Outcome outcome))
                    throw new FormatException("expected 10 fields, the fifth an outcome");
                Origin? origin = f[6].Length == 0 ? null
                    : OutcomeNames.TryParse(f[6], out Origin o) ? o : throw new FormatException($"'{f[6]}' is not an origin");
                string? cause = f[9].Length == 0 ? null
                    : f[9].Length >= 2 && f[9][0] == '"' && f[9][^1] == '"' ? f[9][1..^1].Replace("\"\"", "\"")
                    : throw new FormatException("the cause is not quoted");
                var r = new RequestRecord(RecordJson.Instant(double.Parse(f[0], Inv)), f[1], f[2], f[3].Length == 0 ? null : f[3], outcome,
                    origin, double.Parse(f[7], Inv), int.Parse(f[8], Inv), null);
                requests.Add((r, cause));
            }
            catch (FormatException e)
            {
                throw new ScenarioException(path, i + 1, 1, $"not as `zombiesim run --out` writes it: {e.Message}");
            }
        }
        return requests;
    }

    private static SampleColumns ReadConnections(string[] lines, ref int line)
    {
        var header = lines.Length > 0 ? lines[0].Split(',') : [];
        var rows = new List<double[]>();
        for (line = 2; line <= lines.Length; line++)
        {
            if (lines[line - 1].Length > 0)
                rows.Add(lines[line - 1].Split(',').Select(x => double.Parse(x, Inv)).ToArray());
        }
        line = 1;
        double[] Column(string name)
        {
            int i = Array.IndexOf(header, name);
            if (i < 0)
                throw new FormatException($"no column '{name}'");
            return rows.Select(r => r[i]).ToArray();
        }
        return new SampleColumns(Column("t"),
            Sample.ServerCategories.ToDictionary(c => c, c => Column("server_" + c)),
            Sample.ClientCategories.ToDictionary(c => c, c => Column("client_" + c)),
            Column("environments_busy"), Column("environments_idle"), Column("environments_frozen"),
            Column("rejections"), Column("evictions"), Column("throttles"),
            header.Any(h => h.StartsWith(OpenPrefix, StringComparison.Ordinal))
                ? header.Where(h => h.StartsWith(OpenPrefix, StringComparison.Ordinal))
                    .Select(h => KeyValuePair.Create(h[OpenPrefix.Length..], Column(h))).ToList()
                : null);
    }
}
