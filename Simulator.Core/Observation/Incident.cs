using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Observation;

/// <summary>What can happen to a connection that explains a later error.</summary>
public enum IncidentKind
{
    /// <summary>The server closed it after its idle timeout.</summary>
    IdleClose,
    /// <summary>The server evicted it, idle, above its soft limit.</summary>
    Eviction,
    /// <summary>The server process restarted and its kernel closed the socket.</summary>
    Restart,
    /// <summary>The server refused it at maxclients.</summary>
    RefusedMaxClients,
    /// <summary>The server refused it at its hard limit.</summary>
    RefusedHardLimit,
    /// <summary>A middlebox dropped a segment of a flow it had forgotten.</summary>
    MiddleboxDrop,
    /// <summary>A middlebox answered a segment of a forgotten flow with RST.</summary>
    MiddleboxReset,
    /// <summary>The partitioned path dropped a segment.</summary>
    PartitionDrop,
    /// <summary>The server closed it after the most requests it serves on one connection (nginx keepalive_requests).</summary>
    RequestLimit,
    /// <summary>The platform refused the connect: the instance held its most outbound connections (Azure
    /// Functions' sandbox: "Host thresholds exceeded: Connections").</summary>
    OutboundLimit,
    /// <summary>The server closed it on a KILL another client sent (serverless-mysql's zombie killer).</summary>
    Killed,
    /// <summary>A pooler found no server connection for the query within its wait timeout (PgBouncer
    /// query_wait_timeout, RDS Proxy ConnectionBorrowTimeout) and closed the client's connection.</summary>
    QueryWaitTimeout,
    /// <summary>The pooler's server connection under the query failed, and the pooler closed the client's connection.</summary>
    UpstreamLost,
    /// <summary>A failover took the server's node away; the node came back up without the connection.</summary>
    NodeRebooted,
    /// <summary>A failover took the server's node away for good.</summary>
    NodeGone,
    /// <summary>A failover demoted the server's node to a read-only replica, which answered a write with its error.</summary>
    Demoted,
}

/// <summary>
/// Something that happened to a connection, with its instant and parties: the server's limit or
/// timeout, the middlebox by name, and the client environment's state at that instant (a zombie's
/// environment is frozen or gone).
/// </summary>
public sealed record Incident(TimeSpan At, IncidentKind Kind, string? Middlebox = null, TimeSpan? IdleTimeout = null, int? Limit = null,
    string? Environment = null, EnvironmentState? EnvironmentState = null, ServerReply? Reply = null,
    string? By = null, string? LimitName = null, string? Server = null)
{
    /// <summary>The incident in words, without its instant: "the server closed it
    /// after 60s idle (idle timeout) while hello#1 was frozen".</summary>
    public string What
    {
        get
        {
            string what = Kind switch
            {
                IncidentKind.IdleClose => $"the server closed it after {DurationText.Format(IdleTimeout!.Value)} idle (idle timeout)",
                IncidentKind.Eviction => $"the server evicted it (idle, above the soft limit of {Limit})",
                IncidentKind.Restart => "the server restarted",
                IncidentKind.RefusedMaxClients => $"the server refused the connection: {Refusal}",
                IncidentKind.RefusedHardLimit => $"the server refused the connection: {Refusal}",
                IncidentKind.MiddleboxDrop => $"{Middlebox} dropped a segment of a flow it had forgotten",
                IncidentKind.MiddleboxReset => $"{Middlebox} answered with RST for a flow it had forgotten",
                IncidentKind.Killed => $"the server killed it on a KILL sent over {By}",
                IncidentKind.RequestLimit => $"the server closed it after its request number {Limit} (its limit per connection)",
                IncidentKind.OutboundLimit =>
                    $"the platform refused the connect: {Environment} held {Limit} outbound connections, its limit",
                IncidentKind.QueryWaitTimeout =>
                    $"the pooler had no server connection free within {DurationText.Format(IdleTimeout!.Value)} "
                    + $"(all {Limit} busy) and closed it",
                IncidentKind.UpstreamLost => "the pooler's server connection under the query failed, and the pooler closed it",
                IncidentKind.NodeRebooted => "the server failed over: its old node came back up without the connection",
                IncidentKind.NodeGone => "the server failed over: its old node is gone",
                IncidentKind.Demoted => "the server failed over: its old node, demoted to a read-only replica, refused the write",
                _ => "the partitioned path dropped a segment",
            };
            if (Reply is not null)
                what = $"{what}, replying \"{Reply}\"";
            return EnvironmentState is { } state ? $"{what} while {Environment} was {state.Name()}" : what;
        }
    }

    /// <summary>Which limit a refusal hit, in the server's words: "maxclients reached (100)", "max_connections reached (100)".</summary>
    public string Refusal => $"{LimitName} reached ({Limit})";

    /// <summary>"at 60.20179s " followed by <see cref="What"/>.</summary>
    public override string ToString() => $"at {Instant.Format(At)} {What}";
}

/// <summary>How instants are written in causes and notes: seconds, up to the microsecond.</summary>
public static class Instant
{
    public static string Format(TimeSpan t) => $"{t.TotalSeconds:0.######}s";
}
