using System.Globalization;
using System.Net;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// What an agent process is told on its command line (`zombiesim agent client|server key=value ...`): the client
/// library's settings of the scenario's function and the protocol it speaks, or the built-in server's port and idle
/// timeout. A hidden, internal
/// interface between verify and the processes it starts in each namespace.
/// </summary>
public sealed record AgentSpec
{
    public IPEndPoint? Server { get; init; }
    public ushort Port { get; init; }
    public bool Cache { get; init; } = true;
    public TimeSpan? ConnectTimeout { get; init; }
    public TimeSpan? CommandTimeout { get; init; }
    public TimeSpan? IdleTimeout { get; init; }
    public TimeSpan? MaxIdle { get; init; }
    public bool Validate { get; init; }
    /// <summary>SO_KEEPALIVE with this TCP_KEEPIDLE; zero: on with the namespace's tcp_keepalive_time; null: off.</summary>
    public TimeSpan? KeepAlive { get; init; }
    public TimeSpan? UserTimeout { get; init; }
    public int Retries { get; init; }
    public IReadOnlyList<string> RetryOn { get; init; } = [];
    public TimeSpan Work { get; init; }
    /// <summary>What the client speaks (<see cref="ClientProtocol.For"/>): line, postgres or mysql.</summary>
    public string Protocol { get; init; } = "line";
    /// <summary>The scenario's shutdown hook: on SIGTERM the agent closes its cached connection (FIN) and lives on until
    /// SIGKILL; without it SIGTERM is never sent.</summary>
    public bool ShutdownHook { get; init; }
    /// <summary>The built-in HTTP server's keepalive_requests: the last allowed response says Connection: close and the
    /// server closes; null: no limit.</summary>
    public int? RequestsPerConnection { get; init; }
    /// <summary>The built-in server of a restart: started ahead and warmed up, it listens only when told (`listen` on its
    /// stdin), so that it listens again at the model's instant and not after the start of a process.</summary>
    public bool Hold { get; init; }
    /// <summary>The library's idle ping interval (`client.pingInterval`); null: no pings.</summary>
    public TimeSpan? PingInterval { get; init; }
    /// <summary>The pool's size (1: a library with one connection), its idle timeout and acquire timeout.</summary>
    public int PoolMax { get; init; } = 1;
    public TimeSpan? PoolIdleTimeout { get; init; }
    public TimeSpan? AcquireTimeout { get; init; }
    /// <summary>Whether idle timers overdue at a thaw run before the invocation's first command (else just after it
    /// took its connection).</summary>
    public bool OverdueBefore { get; init; } = true;
    /// <summary>Commands each invocation writes at once.</summary>
    public int Parallel { get; init; } = 1;
    /// <summary>The library's CPU time to set a connection up, spent before the SYN.</summary>
    public TimeSpan SetupCost { get; init; }

    public IEnumerable<string> ToArgs()
    {
        static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("R", CultureInfo.InvariantCulture);
        if (Server is not null) yield return $"server={Server}";
        if (Port != 0) yield return $"port={Port}";
        yield return $"cache={(Cache ? 1 : 0)}";
        if (ConnectTimeout is { } c) yield return $"connectTimeoutMs={Ms(c)}";
        if (CommandTimeout is { } d) yield return $"commandTimeoutMs={Ms(d)}";
        if (IdleTimeout is { } i) yield return $"idleTimeoutMs={Ms(i)}";
        if (MaxIdle is { } m) yield return $"maxIdleMs={Ms(m)}";
        if (Validate) yield return "validate=1";
        if (KeepAlive is { } k) yield return $"keepAliveMs={Ms(k)}";
        if (UserTimeout is { } u) yield return $"userTimeoutMs={Ms(u)}";
        if (Retries > 0) yield return $"retries={Retries}";
        if (RetryOn.Count > 0) yield return $"retryOn={string.Join(',', RetryOn)}";
        if (Work > TimeSpan.Zero) yield return $"workMs={Ms(Work)}";
        if (Protocol != "line") yield return $"protocol={Protocol}";
        if (ShutdownHook) yield return "hook=1";
        if (RequestsPerConnection is { } rpc) yield return $"requestsPerConnection={rpc}";
        if (Hold) yield return "hold=1";
        if (PingInterval is { } ping) yield return $"pingMs={Ms(ping)}";
        if (PoolMax != 1) yield return $"poolMax={PoolMax}";
        if (PoolIdleTimeout is { } pi) yield return $"poolIdleMs={Ms(pi)}";
        if (AcquireTimeout is { } a) yield return $"acquireTimeoutMs={Ms(a)}";
        if (Parallel != 1) yield return $"parallel={Parallel}";
        if (!OverdueBefore) yield return "overdue=after";
        if (SetupCost > TimeSpan.Zero) yield return $"setupMs={Ms(SetupCost)}";
    }

    public static AgentSpec Parse(IEnumerable<string> args)
    {
        var spec = new AgentSpec();
        foreach (var arg in args)
        {
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                throw new VerifyException($"agent: '{arg}' is not key=value");
            string key = arg[..eq], v = arg[(eq + 1)..];
            TimeSpan Ms() => TimeSpan.FromMilliseconds(double.Parse(v, CultureInfo.InvariantCulture));
            spec = key switch
            {
                "server" => spec with { Server = IPEndPoint.Parse(v) },
                "port" => spec with { Port = ushort.Parse(v, CultureInfo.InvariantCulture) },
                "cache" => spec with { Cache = v == "1" },
                "connectTimeoutMs" => spec with { ConnectTimeout = Ms() },
                "commandTimeoutMs" => spec with { CommandTimeout = Ms() },
                "idleTimeoutMs" => spec with { IdleTimeout = Ms() },
                "maxIdleMs" => spec with { MaxIdle = Ms() },
                "validate" => spec with { Validate = v == "1" },
                "keepAliveMs" => spec with { KeepAlive = Ms() },
                "userTimeoutMs" => spec with { UserTimeout = Ms() },
                "retries" => spec with { Retries = int.Parse(v, CultureInfo.InvariantCulture) },
                "retryOn" => spec with { RetryOn = v.Split(',') },
                "workMs" => spec with { Work = Ms() },
                "protocol" => spec with { Protocol = v },
                "hook" => spec with { ShutdownHook = v == "1" },
                "requestsPerConnection" => spec with { RequestsPerConnection = int.Parse(v, CultureInfo.InvariantCulture) },
                "hold" => spec with { Hold = v == "1" },
                "pingMs" => spec with { PingInterval = Ms() },
                "poolMax" => spec with { PoolMax = int.Parse(v, CultureInfo.InvariantCulture) },
                "poolIdleMs" => spec with { PoolIdleTimeout = Ms() },
                "acquireTimeoutMs" => spec with { AcquireTimeout = Ms() },
                "parallel" => spec with { Parallel = int.Parse(v, CultureInfo.InvariantCulture) },
                "overdue" => spec with { OverdueBefore = v != "after" },
                "setupMs" => spec with { SetupCost = Ms() },
                _ => throw new VerifyException($"agent: unknown key '{key}'"),
            };
        }
        return spec;
    }
}
