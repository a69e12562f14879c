using Zombiesim.Tests.World;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tcp;

namespace Zombiesim.Tests.Poolers;

/// <summary>Worlds with a pooler in front of PostgreSQL, and the counts the tests read from their transitions.</summary>
internal static class PoolerWorld
{
    /// <summary>1,000 environments of `api`, each busy for 1 s of work before its one query, arriving 1 ms apart
    /// (so that no environment is reused), through `proxy` to `db`, whose queries take 50 ms.</summary>
    public static string Thousand(string pooler, string function = "", string db = "", string horizon = "60s") => $"""
        name: pooler
        horizon: {horizon}
        platform:
          freeze: {"{"} after: 1s, mode: process {"}"}
        functions:
          - name: api
            memory: 1024
            timeout: 10s
            work: 1s
            {function}
        servers:
          - name: proxy
            pooler: {pooler}
          - name: db
            preset: postgres
            responseTime: 50ms
            {db}
        traffic:
          - function: api
            burst: {"{"} count: 1000, over: 1s {"}"}
        """;

    public static (RunOutcome Outcome, RunRecorder Records) Run(string yaml, params string[] sets)
    {
        return Scenarios.RunYaml(yaml, "pooler.yaml", sets);
    }

    /// <summary>The most connections ESTABLISHED at once on <paramref name="host"/>, counting only those it
    /// accepted (<paramref name="accepted"/>) or only those it opened; and how many it had in all.</summary>
    public static (int Peak, int All) Established(RunRecorder rec, string host, bool accepted = true)
    {
        var passive = new HashSet<string>();
        var active = new HashSet<string>();
        int now = 0, peak = 0;
        foreach (var t in rec.Transitions.Where(t => t.Host == host))
        {
            if (t.From == TcpState.SynReceived || t.From == TcpState.Listen)
                passive.Add(t.Connection);
            if (t.From == TcpState.SynSent)
                active.Add(t.Connection);
            if ((accepted ? passive : active).Contains(t.Connection) is false)
                continue;
            if (t.To == TcpState.Established)
                peak = Math.Max(peak, ++now);
            else if (t.From == TcpState.Established)
                now--;
        }
        return (peak, (accepted ? passive : active).Count);
    }

    /// <summary>How many ESTABLISHED connections <paramref name="host"/> has at the end of the run.</summary>
    public static int EstablishedAtEnd(RunRecorder rec, string host)
    {
        var state = new Dictionary<string, TcpState>();
        foreach (var t in rec.Transitions.Where(t => t.Host == host))
            state[t.Connection] = t.To;
        return state.Values.Count(s => s == TcpState.Established);
    }
}
