using System.Globalization;
using System.Text.Json.Nodes;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Cli.Plots;

/// <summary>A saved run (the files `run --out` writes), read back for charts.</summary>
public sealed class RunData
{
    public required string Name { get; init; }
    public required double[] T { get; init; }
    /// <summary>Server sockets by category (Sample.ServerCategories), one value per sample.</summary>
    public required IReadOnlyDictionary<string, double[]> Server { get; init; }
    public required double[] EnvironmentsBusy { get; init; }
    public required double[] EnvironmentsIdle { get; init; }
    public required double[] EnvironmentsFrozen { get; init; }
    public int? SoftLimit { get; init; }
    public int? HardLimit { get; init; }
    public int? MaxClients { get; init; }
    public required IReadOnlyDictionary<string, string> Strategies { get; init; }
    public required IReadOnlyList<(double T, string Who, string Text)> Notes { get; init; }
    public required IReadOnlyList<(double T, string Host, string Connection, string From, string To, string Cause)> Transitions { get; init; }
    public required IReadOnlyList<(double T, string Environment, string Event)> Lifecycle { get; init; }
    public required IReadOnlyList<(double T, string Function, string Environment, string? Connection, string Outcome, double LatencyMs)> Requests { get; init; }

    public double[] Alive => EnvironmentsBusy.Zip(EnvironmentsIdle, (a, b) => a + b).Zip(EnvironmentsFrozen, (a, b) => a + b).ToArray();

    public static bool IsRunDirectory(string dir) => File.Exists(Path.Combine(dir, "connections.csv")) && File.Exists(Path.Combine(dir, "summary.json"));

    public static RunData Load(string dir)
    {
        string Path_(string f) => Path.Combine(dir, f);
        if (!IsRunDirectory(dir))
            throw new UsageException(dir, "not a run's output: expected connections.csv and summary.json (written by `zombiesim run --out`)");
        var summary = JsonNode.Parse(File.ReadAllText(Path_("summary.json")))!.AsObject();
        var lines = File.ReadAllLines(Path_("connections.csv"));
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        double[] Column(string name)
        {
            int i = Array.IndexOf(header, name);
            if (i < 0) throw new ScenarioException(Path_("connections.csv"), 1, 1, $"no column '{name}'");
            return rows.Select(r => r[i]).ToArray();
        }
        var server = Sample.ServerCategories.ToDictionary(c => c, c => Column("server_" + c));
        var limits = summary["limits"] as JsonObject;
        var notes = new List<(double, string, string)>();
        var transitions = new List<(double, string, string, string, string, string)>();
        var lifecycle = new List<(double, string, string)>();
        var requests = new List<(double, string, string, string?, string, double)>();
        foreach (var line in File.ReadLines(Path_("trace.jsonl")))
        {
            var o = JsonNode.Parse(line)!.AsObject();
            double t = o["t"]!.GetValue<double>();
            switch (o["kind"]!.GetValue<string>())
            {
                case "note":
                    notes.Add((t, o["who"]!.GetValue<string>(), o["text"]!.GetValue<string>()));
                    break;
                case "transition":
                    transitions.Add((t, o["host"]!.GetValue<string>(), o["connection"]!.GetValue<string>(), o["from"]!.GetValue<string>(), o["to"]!.GetValue<string>(), o["cause"]!.GetValue<string>()));
                    break;
                case "lifecycle":
                    lifecycle.Add((t, o["environment"]!.GetValue<string>(), o["event"]!.GetValue<string>()));
                    break;
                case "request":
                    requests.Add((t, o["function"]!.GetValue<string>(), o["environment"]!.GetValue<string>(), o["connection"]?.GetValue<string>(),
                        o["outcome"]!.GetValue<string>(), o["latencyMs"]!.GetValue<double>()));
                    break;
            }
        }
        return new RunData
        {
            Name = summary["scenario"]!.GetValue<string>(),
            T = Column("t"),
            Server = server,
            EnvironmentsBusy = Column("environments_busy"),
            EnvironmentsIdle = Column("environments_idle"),
            EnvironmentsFrozen = Column("environments_frozen"),
            SoftLimit = limits?["soft"]?.GetValue<int>(),
            HardLimit = limits?["hard"]?.GetValue<int>(),
            MaxClients = limits?["maxClients"]?.GetValue<int>(),
            Strategies = (summary["strategies"] as JsonObject)?.ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>()) ?? new Dictionary<string, string>(),
            Notes = notes,
            Transitions = transitions,
            Lifecycle = lifecycle,
            Requests = requests,
        };
    }
}
