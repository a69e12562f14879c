using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using Zombiesim.Core.Clients;
using Zombiesim.Core.Network;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Scenarios;

/// <summary>
/// Reads scenario files (YAML, strict) and <c>--set path=value</c> overrides into a
/// <see cref="Scenario"/>. Every key, its default and its meaning are written once, in
/// <see cref="Read"/> and the section readers (<see cref="PartSections"/>, <see cref="ScriptSections"/>);
/// the JSON Schema is recorded from the same code.
/// </summary>
public static class ScenarioLoader
{

    public static Scenario LoadFile(string path, IReadOnlyList<string>? sets = null) => Load(ReadFile(path), path, sets);

    /// <summary>A scenario file's text; a file that cannot be read is bad input.</summary>
    public static string ReadFile(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioException(path, 0, 0, $"cannot read the file: {e.Message}");
        }
    }

    public static Scenario Load(string yaml, string file, IReadOnlyList<string>? sets = null)
    {
        var origins = new Scenarios.Origins(file);
        var documents = YamlGuard.Load(yaml, file);
        if (documents.Count != 1)
            throw new ScenarioException(file, 1, 1, $"expected one YAML document, found {documents.Count}");
        YamlNode root = documents[0].RootNode;
        for (int i = 0; i < (sets?.Count ?? 0); i++)
            SetAssignments.ApplySet(ref root, sets![i], i, origins);
        var reader = new Reader(root, origins, "", null);
        var scenario = Read(reader);
        reader.Done();
        return scenario with { Identity = ScenarioIdentity.Of(root) };
    }

    /// <summary>The JSON Schema of the scenario format, for editors.</summary>
    public static JsonObject Schema()
    {
        var root = new JsonObject();
        Read(new Reader(null, new Scenarios.Origins("schema"), "", root));
        var varying = new JsonObject
        {
            ["description"] = "a duration, or a distribution of durations",
            ["oneOf"] = new JsonArray(
                new JsonObject { ["$ref"] = "#/definitions/duration" },
                Dist("constant", new JsonObject { ["$ref"] = "#/definitions/duration" }),
                Dist("uniform",
                    new JsonObject
                    {
                        ["type"] = "array", ["items"] = new JsonObject { ["$ref"] = "#/definitions/duration" },
                        ["minItems"] = 2, ["maxItems"] = 2
                    }),
                Dist("exponential", Obj(("mean", Ref("duration")))),
                Dist("normal", Obj(("mean", Ref("duration")), ("sd", Ref("duration")))),
                Dist("lognormal", Obj(("median", Ref("duration")), ("sigma", new JsonObject { ["type"] = "number" }))),
                Dist("empirical",
                    new JsonObject
                    {
                        ["type"] = "array",
                        ["items"] = Obj(("value", Ref("duration")), ("weight", new JsonObject { ["type"] = "number" }))
                    }),
                Dist("mixture", new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "object" } })),
        };
        var schema = new JsonObject
        {
            ["$schema"] = "http://json-schema.org/draft-07/schema#",
            ["title"] = "zombiesim scenario",
            ["definitions"] = new JsonObject
            {
                ["duration"] = new JsonObject
                {
                    ["type"] = "string",
                    ["pattern"] = @"^\s*[0-9]+(\.[0-9]+)?\s*(us|µs|ms|s|m|min|h|d)\s*$",
                    ["description"] = DurationText.Expected,
                },
                ["varying-duration"] = varying,
            },
        };
        foreach (var (k, v) in root.ToArray())
        {
            root.Remove(k);
            schema[k] = v;
        }
        return schema;

        static JsonObject Ref(string name) => new() { ["$ref"] = $"#/definitions/{name}" };
        static JsonObject Dist(string name, JsonNode body) => new()
        {
            ["type"] = "object", ["additionalProperties"] = false, ["required"] = new JsonArray(name),
            ["properties"] = new JsonObject { [name] = body },
        };
        static JsonObject Obj(params (string Key, JsonNode Value)[] props)
        {
            var p = new JsonObject();
            foreach (var (k, v) in props) p[k] = v;
            return new JsonObject { ["type"] = "object", ["additionalProperties"] = false, ["properties"] = p };
        }
    }

    private static Scenario Read(Reader r)
    {
        string name = r.RequiredString("name", "the scenario's name");
        string? description = r.OptionalString("description", "what the scenario shows");
        ulong seed = r.ULong("seed", 1, "seed of every random draw: same seed, same run");
        TimeSpan horizon = r.Duration("horizon", TimeSpan.FromHours(1), "how much simulated time to run");
        var platform = r.Section("platform", "the serverless platform (AWS Lambda by default)", PartSections.ReadPlatform);
        var functions = r.List("functions", "the functions and their client libraries", PartSections.ReadFunction);
        var names = functions.Where(f => f is not null).Select(f => f.Name).ToHashSet();
        var server = r.Section("server", "the connection-oriented server", ServerSection.Read);
        bool hasServers = r.Has("servers");
        var servers = r.List("servers", "several named servers instead of one `server` (each a server section with a name)",
            ServerSection.ReadNamed);
        var network = r.Section("network", "the path between functions and server", PartSections.ReadNetwork);
        var traffic = r.List("traffic", "when functions are invoked", t => ScriptSections.ReadTraffic(t, names, horizon));
        IReadOnlyList<string> serverNamesRead = hasServers ? servers.Where(s => s is not null).Select(s => s.Name).ToList() : ["server"];
        var events = r.List("events", "things that happen: partitions, redeploys, server restarts, failovers",
            e => ScriptSections.ReadEvent(e, names, serverNamesRead));
        var expect = r.List("expect", "assertions that turn the scenario into a regression test (exit code 1 when violated)",
            x => ScriptSections.ReadExpect(x, names));
        bool hasSearch = r.Has("search");
        var search = r.Section("search", "what `zombiesim search` varies and looks for (its flags override this)",
            ScriptSections.ReadSearch);
        if (r.SchemaOnly)
            return null!;

        if (horizon <= TimeSpan.Zero)
            throw r.ErrorAt("horizon", "'horizon' must be positive, like 420s or 24h");
        if (functions.Count == 0)
            throw r.Error("the scenario needs at least one function under 'functions'");
        if (names.Count != functions.Count)
            throw r.ErrorAt("functions",
                $"two functions are named '{functions.GroupBy(f => f.Name).First(g => g.Count() > 1).Key}'; names must be unique");
        foreach (var f in functions.Where(f => f.Strategy == Strategy.Proxy))
        {
            if (f.Proxy is null || !names.Contains(f.Proxy))
                throw r.ErrorAt("functions",
                    $"function '{f.Name}' uses strategy proxy, so 'proxy' must name another function "
                        + $"(one of {string.Join(", ", names.Where(n => n != f.Name))}), got '{f.Proxy}'");
            var target = functions.First(x => x.Name == f.Proxy);
            if (target.Strategy == Strategy.Proxy || target.Name == f.Name)
                throw r.ErrorAt("functions",
                    $"the proxy of '{f.Name}' ('{target.Name}') must itself connect to the server (reuse or per-invocation)");
        }
        if (hasServers && r.Has("server"))
            throw r.ErrorAt("servers", "give either 'server' (one server) or 'servers' (several, named), not both");
        if (hasServers && servers.Count == 0)
            throw r.ErrorAt("servers", "'servers' needs at least one server");
        var serverNames = hasServers ? servers.Select(s => s.Name).ToList() : ["server"];
        if (serverNames.Distinct().Count() != serverNames.Count)
            throw r.ErrorAt("servers", $"two servers are named '{serverNames.GroupBy(n => n).First(g => g.Count() > 1).Key}'; "
                + "names must be unique");
        if (serverNames.FirstOrDefault(n => names.Contains(n) || n.Contains('#')) is { } clash)
            throw r.ErrorAt("servers", $"the server name '{clash}' is a function's name or has '#'; hosts must have distinct names");
        foreach (var f in functions.Where(f => f.Client.Server is { } s && !serverNames.Contains(s)))
            throw r.ErrorAt("functions", $"function '{f.Name}': client.server '{f.Client.Server}' is not a server of the scenario "
                + $"(one of {string.Join(", ", serverNames)})");
        foreach (var x in expect.Where(x => x.Server is { } s && !serverNames.Contains(s)))
            throw r.ErrorAt("expect", $"the expectation '{x.Text}' names server '{x.Server}', which is not a server of the scenario "
                + $"(one of {string.Join(", ", serverNames)})");
        if (!hasServers && server.Pooler is not null)
            throw r.ErrorAt("server", "a pooler sits in front of another server: list both under 'servers:', the pooler with "
                + "pooler.upstream naming the other");
        foreach (var p in servers.Where(s => s.Pooler is not null))
        {
            var up = servers.FirstOrDefault(s => s.Name == p.Pooler!.Upstream);
            if (up is null || up.Pooler is not null)
                throw r.ErrorAt("servers", $"the pooler '{p.Name}': upstream '{p.Pooler!.Upstream}' must name a server of the scenario "
                    + $"that is not a pooler (one of {string.Join(", ", servers.Where(s => s.Pooler is null).Select(s => s.Name))})");
            if (p.Pooler!.MaxConnectionsPercent is not null && up.MaxClients is null)
                throw r.ErrorAt("servers", $"the pooler '{p.Name}': maxConnectionsPercent is a share of the upstream's maxClients, "
                    + $"and '{up.Name}' has none: set its maxClients or the pooler's defaultPoolSize");
        }
        var failedOver = events.Where(e => e.Kind == EventKind.Failover).Select(e => e.Server ?? serverNames[0]).ToList();
        if (failedOver.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw r.ErrorAt("events", $"server '{twice.Key}' fails over twice; the model promotes one standby per server, "
                + "so give each server at most one failover");
        if (failedOver.Select(Scripted.Failover.StandbyName).FirstOrDefault(n => names.Contains(n) || serverNames.Contains(n))
            is { } taken)
            throw r.ErrorAt("events", $"a failover promotes a node named '{taken}', which is already a function's or a server's name; "
                + "rename that one");
        var scenario = new Scenario
        {
            Name = name, Description = description, Seed = seed, Horizon = horizon, Platform = platform, Functions = functions,
            Server = hasServers ? servers[0] : server, Network = network, Traffic = traffic, Events = events, Expect = expect,
            Search = hasSearch ? search : null,
        };
        return hasServers ? scenario with { Servers = servers } : scenario;
    }
}
