using System.Text.Json.Nodes;
using Zombiesim.Core.Checks;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Explore;

/// <summary>
/// A replayable schedule: the choices of one iteration, with what they were recorded against (the
/// scenario's identity, its --set values, the resolution and the invariants). The file also carries
/// Coyote's own reproducible trace of the exploration's first bug when there is one, for Coyote's
/// tools. Every field is checked when the file is read, and the identity when it is replayed.
/// </summary>
public sealed record ExploreTrace(
    string ScenarioName,
    string ScenarioIdentity,
    IReadOnlyList<string> Sets,
    double Resolution,
    IReadOnlyList<string> Invariants,
    IReadOnlyList<int> Choices,
    string Message,
    string? CoyoteTrace)
{
    public const string Kind = "zombiesim-trace";

    /// <summary>The file it was read from, to name in errors.</summary>
    public string Source { get; init; } = "the trace";

    public string ToJson() => new JsonObject
    {
        ["kind"] = Kind,
        ["scenario"] = ScenarioName,
        ["scenarioIdentity"] = ScenarioIdentity,
        ["sets"] = new JsonArray(Sets.Select(x => (JsonNode)x).ToArray()),
        ["resolutionSeconds"] = Resolution,
        ["invariants"] = new JsonArray(Invariants.Select(i => (JsonNode)i).ToArray()),
        ["violation"] = Message,
        ["choices"] = new JsonArray(Choices.Select(c => (JsonNode)c).ToArray()),
        ["coyoteTrace"] = CoyoteTrace,
    }.ToJsonString();

    /// <summary>Refuses to replay on another scenario than the one explored (or the same one with other --set values).</summary>
    public void CheckRecordedOn(Scenario scenario)
    {
        if (scenario.Identity != ScenarioIdentity)
        {
            string sets = Sets.Count == 0 ? "no --set values" : $"--set {string.Join(" --set ", Sets)}";
            throw new UsageException(Source,
                $"the trace was explored on scenario '{ScenarioName}' (identity {ScenarioIdentity}, with {sets}); "
                + $"this file with those values is '{scenario.Name}' (identity {scenario.Identity}): a trace replays only on the scenario "
                + "it was explored on; run `zombiesim explore` on this file to get its own traces");
        }
    }

    public static ExploreTrace Read(string path)
    {
        JsonObject o;
        try
        {
            o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new ScenarioException(path, 1, 1, "not a zombiesim trace: the file is not a JSON object");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ScenarioException(path, (e.LineNumber ?? 0) + 1, (e.BytePositionInLine ?? 0) + 1,
                $"not a readable zombiesim trace: {e.Message}");
        }
        catch (IOException e)
        {
            throw new UsageException(path, $"cannot read the file: {e.Message}");
        }
        var field = new Fields(path, o);
        if (field.Text("kind") != Kind)
            throw field.Error("kind", $"not a zombiesim trace: 'kind' must be '{Kind}' (traces are written by `zombiesim explore`)");
        string identity = field.Text("scenarioIdentity");
        if (!Scenarios.ScenarioIdentity.IsWellFormed(identity))
            throw field.Error("scenarioIdentity",
                $"'scenarioIdentity' must be {Scenarios.ScenarioIdentity.Digits} lowercase hex digits, as `zombiesim explore` writes it");
        double resolution = field.Number("resolutionSeconds");
        if (!(resolution > 0 && resolution <= DurationText.Longest.TotalSeconds))
            throw field.Error("resolutionSeconds",
                "'resolutionSeconds' must be a positive number of seconds, as `explore --resolution` gives");
        var invariants = field.Texts("invariants");
        foreach (var i in invariants)
        {
            try
            {
                Invariant.Parse(i);
            }
            catch (BadInputException e)
            {
                throw field.Error("invariants", $"'{i}' is not an invariant: {e.Problem}");
            }
        }
        var choices = field.Array("choices").Select(x => x is JsonValue v && v.TryGetValue(out int c) && c >= 0 ? c : -1).ToList();
        if (choices.Contains(-1))
            throw field.Error("choices", "'choices' must be a list of whole numbers, 0 or more");
        string? coyote = o["coyoteTrace"] is null ? null : field.Text("coyoteTrace");
        return new ExploreTrace(field.Text("scenario"), identity, field.Texts("sets"), resolution, invariants, choices,
            o["violation"] is null ? "" : field.Text("violation"), coyote)
        { Source = path };
    }

    /// <summary>Typed access to the trace's fields, each error naming the field.</summary>
    private sealed class Fields(string path, JsonObject o)
    {
        public UsageException Error(string key, string message) => new($"{path}: field '{key}'", message);

        public string Text(string key) =>
            o[key] is JsonValue v && v.TryGetValue(out string? s) ? s : throw Error(key, $"'{key}' must be a string");

        public double Number(string key) =>
            o[key] is JsonValue v && v.TryGetValue(out double d) ? d : throw Error(key, $"'{key}' must be a number");

        public JsonArray Array(string key) => o[key] as JsonArray ?? throw Error(key, $"'{key}' must be a list");

        public IReadOnlyList<string> Texts(string key) =>
            Array(key).Select(x => x is JsonValue v && v.TryGetValue(out string? s)
                ? s : throw Error(key, $"'{key}' must be a list of strings")).ToList();
    }
}
