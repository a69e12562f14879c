using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Servers.Kinds;

/// <summary>
/// MySQL (reference manual, server system variables and error reference, 8.0 and 8.4): an ordinary
/// user is refused at `max_connections` (one more connection is kept for CONNECTION_ADMIN or SUPER,
/// which the model's clients are not) with error 1040 "Too many connections", written in place of
/// the greeting; an idle close after `wait_timeout` writes error 4031 (ER_CLIENT_INTERACTION_TIMEOUT)
/// since 8.0.24 and nothing before; COM_QUIT has no reply, the server closes. Its process list answers
/// queries and KILL (<see cref="ProcessList"/>).
/// </summary>
internal sealed class MySqlKind : ServerKind
{
    public static MySqlKind Instance { get; } = new();

    protected override string LimitName => "max_connections";

    protected override ServerReply LimitReply { get; } = new("ERROR 1040 (08004)", "Too many connections");

    private static readonly ServerReply Inactivity = new("ERROR 4031 (HY000)",
        "The client was disconnected by the server because of inactivity. "
            + "See wait_timeout and interactive_timeout for configuring this behavior.");

    public override ServerReply? IdleReply(ServerSpec spec) => spec.IdleCloseReply ? Inactivity : null;

    /// <summary>information_schema.PROCESSLIST and KILL (<see cref="ProcessList"/>).</summary>
    public override bool KeepsProcessList => true;
}
