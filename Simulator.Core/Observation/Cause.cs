using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Observation;

/// <summary>Why a request failed.</summary>
public enum CauseKind
{
    /// <summary>No environment was free and the function's reserved concurrency was reached.</summary>
    ReservedConcurrency,
    /// <summary>No environment was free and the account's regional concurrency was reached.</summary>
    RegionalConcurrency,
    /// <summary>The library's connect timeout ran out.</summary>
    ConnectTimeout,
    /// <summary>The pool had no free connection within its acquire timeout (all of them busy).</summary>
    AcquireTimeout,
    /// <summary>The pool's queue of waiting commands was full.</summary>
    QueueLimit,
    /// <summary>No check of the server's monitor succeeded within the server selection timeout.</summary>
    ServerSelectionTimeout,
    /// <summary>The library's command timeout ran out (with the incident that explains it, if any).</summary>
    CommandTimeout,
    /// <summary>The invocation ran past the function's timeout.</summary>
    FunctionTimeout,
    /// <summary>The server's port had no listener: the SYN was answered with RST.</summary>
    NothingListening,
    /// <summary>The kernel gave up retransmitting.</summary>
    NeverAcknowledged,
    /// <summary>An incident on the connection explains it.</summary>
    Incident,
    /// <summary>Every instance was busy at the platform's maximum instances and the request waited in
    /// the queue longer than the platform lets it (Cloud Run answers 429).</summary>
    MaxInstances,
}

/// <summary>Why a request failed: a kind, the incident behind it when one is known, and the limit
/// or timeout that was reached.</summary>
public sealed record Cause(CauseKind Kind, Incident? Incident = null, TimeSpan? Timeout = null, int? Limit = null)
{
    public static Cause Of(Incident incident) => new(CauseKind.Incident, incident);

    /// <summary>The cause in words; without <paramref name="instants"/> an incident's instant is
    /// left out, so that the same cause reads the same in every run (search groups causes by text).</summary>
    public string Text(bool instants = true)
    {
        string Behind() => Incident is null ? "retransmissions were never acknowledged" : instants ? Incident.ToString() : Incident.What;
        return Kind switch
        {
            CauseKind.ReservedConcurrency => $"no environment free and reserved concurrency {Limit} reached",
            CauseKind.RegionalConcurrency => $"no environment free and regional concurrency {Limit} reached",
            CauseKind.ConnectTimeout => $"not connected within connectTimeout {DurationText.Format(Timeout!.Value)}",
            CauseKind.AcquireTimeout => $"no free connection within acquireTimeout {DurationText.Format(Timeout!.Value)}: "
                + $"all {Limit} of the pool busy",
            CauseKind.QueueLimit => $"the pool's queue already held {Limit} waiting commands (queueLimit)",
            CauseKind.ServerSelectionTimeout =>
                $"the server was not found within serverSelectionTimeout {DurationText.Format(Timeout!.Value)}",
            CauseKind.CommandTimeout => $"no reply within commandTimeout {DurationText.Format(Timeout!.Value)}; {Behind()}",
            CauseKind.FunctionTimeout => $"the invocation ran past the function timeout of {DurationText.Format(Timeout!.Value)}",
            CauseKind.NothingListening => "nothing listened on the server's port",
            CauseKind.NeverAcknowledged => "retransmissions were never acknowledged",
            CauseKind.MaxInstances => $"all {Limit} instances busy and no slot free within the queue timeout of "
                + $"{DurationText.Format(Timeout!.Value)} (429)",
            _ => instants ? Incident!.ToString() : Incident!.What,
        };
    }

    public override string ToString() => Text();
}
