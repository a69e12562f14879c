using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Json.Schema;
using Xunit;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Tests.Core;

/// <summary>
/// The JSON Schema that `zombiesim schema` prints equals the reader, checked with a JSON Schema
/// validator: it accepts every bundled scenario, and refuses each of a list of files the reader
/// refuses (every refusal a schema can express: unknown keys, types, required keys, enums, ranges,
/// one kind per event, the duration grammar).
/// </summary>
public sealed class SchemaTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromText(ScenarioLoader.Schema().ToJsonString());

    /// <summary>A YAML document as the JSON an editor's YAML plugin validates: plain scalars typed by YAML 1.2's core schema.</summary>
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode m =>
            new JsonObject(m.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode s => new JsonArray(s.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Style: ScalarStyle.Plain } p => Plain(p.Value ?? ""),
        YamlScalarNode q => JsonValue.Create(q.Value),
        _ => throw new InvalidOperationException(node.GetType().Name),
    };

    private static JsonNode? Plain(string v)
    {
        if (v is "" or "~" or "null")
            return null;
        if (v is "true" or "false")
            return JsonValue.Create(v == "true");
        if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
            return JsonValue.Create(l);
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
            return JsonValue.Create(d);
        return JsonValue.Create(v);
    }

    private static EvaluationResults Validate(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var json = JsonSerializer.SerializeToElement(ToJson(stream.Documents[0].RootNode));
        return Schema.Evaluate(json, new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    private static string Errors(EvaluationResults r) =>
        string.Join("\n",
            (r.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));

    [Theory]
    [MemberData(nameof(World.Scenarios.All), MemberType = typeof(World.Scenarios))]
    public void The_schema_accepts_every_bundled_scenario(string file)
    {
        var r = Validate(File.ReadAllText(World.Scenarios.File(file)));
        r.IsValid.Should().BeTrue(Errors(r));
    }

    private const string Valid = """
        name: t
        horizon: 60s
        platform:
          freeze: { after: 5s, mode: process }
        functions:
          - name: hello
            strategy: reuse
            client: { commandTimeout: 5s }
        server:
          preset: redis
          idleTimeout: 60s
        traffic:
          - function: hello
            at: [0s]
        events:
          - serverRestart: { at: 10s, downtime: 1s }
        expect:
          - at: 0s
            outcome: ok
        """;

    [Fact]
    public void The_base_of_the_refused_files_is_valid_for_both()
    {
        ScenarioLoader.Load(Valid, "valid.yaml");
        Validate(Valid).IsValid.Should().BeTrue(Errors(Validate(Valid)));
    }

    [Theory]
    [InlineData("unknown key", "  idleTimeout: 60s", "  idleTimeout: 60s\n  idelTimeout: 60s")]
    [InlineData("missing name", "name: t\n", "")]
    [InlineData("duration without a unit", "horizon: 60s", "horizon: 60")]
    [InlineData("duration with an unknown unit", "horizon: 60s", "horizon: 60 seconds")]
    [InlineData("negative duration", "horizon: 60s", "horizon: -60s")]
    [InlineData("unknown freeze mode", "mode: process", "mode: hibernate")]
    [InlineData("unknown strategy", "strategy: reuse", "strategy: pooled")]
    [InlineData("unknown server preset", "preset: redis", "preset: oracle")]
    [InlineData("unknown outcome", "outcome: ok", "outcome: EAGAIN")]
    [InlineData("two kinds in one event", "- serverRestart: { at: 10s, downtime: 1s }",
        "- serverRestart: { at: 10s, downtime: 1s }\n    partition: { from: 1s, to: 2s }")]
    [InlineData("an event of no kind", "- serverRestart: { at: 10s, downtime: 1s }", "- {}")]
    [InlineData("traffic without function", "  - function: hello\n    at: [0s]", "  - at: [0s]")]
    [InlineData("a list where a section goes", "server:\n  preset: redis\n  idleTimeout: 60s", "server: [redis]")]
    [InlineData("a negative seed", "horizon: 60s", "horizon: 60s\nseed: -1")]
    [InlineData("a fractional seed", "horizon: 60s", "horizon: 60s\nseed: 1.5")]
    [InlineData("a range the reader checks", "horizon: 60s", "horizon: 60s\nsearch: { replications: 0 }")]
    [InlineData("a duration with two points", "horizon: 60s", "horizon: 1.5.3s")]
    [InlineData("an origin that is not one", "outcome: ok", "outcome: EOF\n    origin: peer")]
    public void A_file_the_reader_refuses_the_schema_refuses(string what, string from, string to)
    {
        Valid.Should().Contain(from, what);
        string yaml = Valid.Replace(from, to);
        var load = () => ScenarioLoader.Load(yaml, "bad.yaml");
        load.Should().Throw<BadInputException>(what);
        Validate(yaml).IsValid.Should().BeFalse(what);
    }
}
