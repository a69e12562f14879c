using System.Text.Json;
using System.Text.Json.Nodes;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Cli.Runs;

/// <summary>The document `run --json` (and `replay --json`) prints: every record, the summary and the
/// command that reproduces the run; and its reading back. "segments" is there only when the recorder asked for them
/// (`run --json --segments`, verify), in the order they left (a segment is recorded when it arrives or is dropped).</summary>
public static class RunJson
{
    public static JsonObject Write(RunOutcome outcome, RunRecorder rec, string reproduce)
    {
        var o = new JsonObject
        {
            ["scenario"] = outcome.Scenario.Name,
            ["seed"] = outcome.Seed,
            ["reproduce"] = reproduce,
            ["requests"] = new JsonArray(rec.Requests.Select(r => (JsonNode)RecordJson.Request(r)).ToArray()),
            ["transitions"] = new JsonArray(rec.Transitions.Select(t => (JsonNode)RecordJson.Transition(t)).ToArray()),
            ["lifecycle"] = new JsonArray(rec.Lifecycle.Select(l => (JsonNode)RecordJson.Lifecycle(l)).ToArray()),
            ["notes"] = new JsonArray(rec.Notes.Select(n => (JsonNode)RecordJson.Note(n)).ToArray()),
        };
        if (rec.WantsSegments)
            o["segments"] = Segments(rec.Segments.OrderBy(s => s.T));
        o["summary"] = SummaryJson.Write(outcome);
        return o;
    }

    private static JsonArray Segments(IEnumerable<SegmentRecord> segments) =>
        new(segments.Select(s => (JsonNode)RecordJson.Segment(s)).ToArray());

    /// <summary>A document read back: the records (requests with their causes as text) and the summary as written.</summary>
    public static RunDocument Read(string json)
    {
        var o = JsonNode.Parse(json)?.AsObject() ?? throw new JsonException("not a JSON object");
        List<T> All<T>(string key, Func<JsonObject, T> read) =>
            (o[key] as JsonArray ?? throw new FormatException($"no '{key}'")).Select(x => read(x!.AsObject())).ToList();
        return new RunDocument(
            o["scenario"]!.GetValue<string>(), o["seed"]!.GetValue<ulong>(), o["reproduce"]!.GetValue<string>(),
            All("requests", RecordJson.ReadRequest), All("transitions", RecordJson.ReadTransition),
            All("lifecycle", RecordJson.ReadLifecycle), All("notes", RecordJson.ReadNote), o["summary"]!.AsObject(),
            o["segments"] is null ? null : All("segments", RecordJson.ReadSegment));
    }

    /// <summary>Writes a document read back, as <see cref="Write"/> wrote it.</summary>
    public static JsonObject Write(RunDocument d)
    {
        var o = new JsonObject
        {
            ["scenario"] = d.Scenario,
            ["seed"] = d.Seed,
            ["reproduce"] = d.Reproduce,
            ["requests"] = new JsonArray(d.Requests.Select(r => (JsonNode)RecordJson.Request(r.Record, r.Cause)).ToArray()),
            ["transitions"] = new JsonArray(d.Transitions.Select(t => (JsonNode)RecordJson.Transition(t)).ToArray()),
            ["lifecycle"] = new JsonArray(d.Lifecycle.Select(l => (JsonNode)RecordJson.Lifecycle(l)).ToArray()),
            ["notes"] = new JsonArray(d.Notes.Select(n => (JsonNode)RecordJson.Note(n)).ToArray()),
        };
        if (d.Segments is not null)
            o["segments"] = Segments(d.Segments);
        o["summary"] = d.Summary.DeepClone();
        return o;
    }
}

/// <summary>A `run --json` document read back.</summary>
public sealed record RunDocument(
    string Scenario,
    ulong Seed,
    string Reproduce,
    IReadOnlyList<(RequestRecord Record, string? Cause)> Requests,
    IReadOnlyList<TransitionRecord> Transitions,
    IReadOnlyList<LifecycleRecord> Lifecycle,
    IReadOnlyList<NoteRecord> Notes,
    JsonObject Summary,
    IReadOnlyList<SegmentRecord>? Segments = null);
