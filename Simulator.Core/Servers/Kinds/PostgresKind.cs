using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Servers.Kinds;

/// <summary>
/// PostgreSQL (docs, runtime config, 16 and 17; src/backend/utils/init/postinit.c, proc.c,
/// tcop/postgres.c, libpq/pqcomm.c): an ordinary role is refused once `max_connections` minus the
/// reserved slots (`superuser_reserved_connections` 3, plus `reserved_connections` in 16+) are taken,
/// with FATAL 53300 "remaining connection slots are reserved for roles with the SUPERUSER attribute",
/// and with "sorry, too many clients already" when every slot is taken; `idle_session_timeout`
/// writes FATAL 57P05 before the backend exits; every TCP connection has SO_KEEPALIVE on, with
/// `tcp_keepalives_idle`, `_interval` and `_count` (0: the kernel's values).
/// </summary>
internal sealed class PostgresKind : ServerKind
{
    public static PostgresKind Instance { get; } = new();

    private static readonly ServerReply Reserved = new("FATAL 53300",
        "remaining connection slots are reserved for roles with the SUPERUSER attribute");
    private static readonly ServerReply Full = new("FATAL 53300", "sorry, too many clients already");
    private static readonly ServerReply IdleSession = new("FATAL 57P05", "terminating connection due to idle-session timeout");

    public override Refusal? Admit(int open, ServerSpec spec)
    {
        if (spec.MaxClients is not { } max)
            return null;
        if (open >= max)
            return new Refusal(IncidentKind.RefusedMaxClients, "max_connections", max, Full);
        int ordinary = max - spec.ReservedConnections;
        return open >= ordinary
            ? new Refusal(IncidentKind.RefusedMaxClients, "max_connections less its reserved slots", ordinary, Reserved)
            : null;
    }

    public override ServerReply? IdleReply(ServerSpec spec) => spec.IdleCloseReply ? IdleSession : null;

    public override SocketOptions Options(ServerSpec spec) => new()
    {
        KeepAlive = true, KeepIdle = spec.KeepAlive, KeepInterval = spec.KeepAliveInterval, KeepCount = spec.KeepAliveCount,
    };
}
