using Zombiesim.Core.Observation;

namespace Zombiesim.Core.Servers.Kinds;

/// <summary>
/// MariaDB (10.11.19, measured with zombiesim verify, docs/verify.md; server system variables docs): refused at
/// `max_connections` like MySQL, with error 1040 in place of the greeting (one more connection is kept for SUPER or
/// CONNECTION ADMIN); `wait_timeout` expires as the read's poll timeout, exactly, and the server then writes nothing
/// and closes with SO_LINGER 0, so the client gets a RST, not MySQL 8's error 4031 and FIN.
/// </summary>
internal sealed class MariaDbKind : ServerKind
{
    public static MariaDbKind Instance { get; } = new();

    protected override ServerReply LimitReply { get; } = new("ERROR 1040 (08004)", "Too many connections");

    public override bool AbortsIdleClose => true;
}
