using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Servers.Kinds;

/// <summary>
/// MariaDB (10.11.19, measured with zombiesim verify, docs/verify.md; server system variables docs): refused at
/// `max_connections` like MySQL, with error 1040 in place of the greeting (one more connection is kept for SUPER or
/// CONNECTION ADMIN); `wait_timeout` expires as the read's poll timeout, exactly, and the server then writes nothing
/// and closes with SO_LINGER 0, so the client gets a RST, not MySQL 8's error 4031 and FIN. A `max_connections`
/// below 10 is raised to 10 (mariadbd: "option 'max_connections': unsigned value 1 adjusted to 10"; its range is
/// 10 to 100000).
/// </summary>
internal sealed class MariaDbKind : ServerKind
{
    public static MariaDbKind Instance { get; } = new();

    protected override string LimitName => "max_connections";

    protected override ServerReply LimitReply { get; } = new("ERROR 1040 (08004)", "Too many connections");

    public override bool AbortsIdleClose => true;

    /// <summary>The smallest max_connections mariadbd accepts.</summary>
    public const int MinMaxConnections = 10;

    public override Refusal? Admit(int open, ServerSpec spec) =>
        base.Admit(open, spec.MaxClients is { } max ? spec with { MaxClients = Math.Max(MinMaxConnections, max) } : spec);
}
