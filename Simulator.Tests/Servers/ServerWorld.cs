using Zombiesim.Tests.World;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Tests.Servers;

/// <summary>A small world for one server kind: function `f` (1024 MB, a fixed 0.5 ms one-way latency)
/// invoked at the given instants, and optionally function `g` against the same server.</summary>
internal static class ServerWorld
{
    public const double Latency = 0.0005;

    public static RunRecorder Run(string server, string at, string client = "{}", string platform = "freeze: { after: 5s, mode: process }",
        string? other = null, string horizon = "200s", string function = "", string extra = "")
    {
        string g = other is null ? "" : $"  - name: g\n    memory: 1024\n    client: {client}\n";
        string gTraffic = other is null ? "" : $"  - function: g\n    at: {other}\n";
        string yaml = $"""
            name: kinds
            horizon: {horizon}
            platform:
              {platform}
            functions:
              - name: f
                memory: 1024
                timeout: 30s
                client: {client}
            {function}
            {g}
            server:
              {server}
            network:
              latency: 0.5ms
            traffic:
              - function: f
                at: {at}
            {gTraffic}
            {extra}
            """;
        return Scenarios.RunYaml(yaml, "kinds.yaml").Records;
    }

    public static TimeSpan S(double s) => TimeSpan.FromTicks((long)Math.Round(s * TimeSpan.TicksPerSecond));

    /// <summary>When the server wrote the reply the request read: its end minus the one-way latency.</summary>
    public static TimeSpan ServerReplied(RequestRecord q) => q.T + TimeSpan.FromMilliseconds(q.LatencyMs) - S(Latency);
}
