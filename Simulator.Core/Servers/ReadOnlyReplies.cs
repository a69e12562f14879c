using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Servers;

/// <summary>
/// What a demoted node (a read-only replica after a failover) answers to a write, by kind, as the
/// server's source spells it (sources in docs/model.md). The model's commands are writes.
/// </summary>
internal static class ReadOnlyReplies
{
    public static ServerReply For(ServerKindName kind) => kind switch
    {
        // redis 7.2 src/server.c createSharedObjects: shared.roslaveerr
        ServerKindName.Redis => new("-READONLY", "You can't write against a read only replica."),
        // mysql-server 8.0 share/messages_to_clients.txt ER_OPTION_PREVENTS_STATEMENT, with "--read-only"
        ServerKindName.MySql => new("ERROR 1290 (HY000)",
            "The MySQL server is running with the --read-only option so it cannot execute this statement"),
        // postgres 16 src/backend/tcop/utility.c PreventCommandIfReadOnly: ERRCODE_READ_ONLY_SQL_TRANSACTION
        ServerKindName.Postgres => new("ERROR 25006", "cannot execute INSERT in a read-only transaction"),
        // mongo 7.0 src/mongo/base/error_codes.yml NotWritablePrimary (10107)
        ServerKindName.MongoDb => new("NotWritablePrimary (10107)", "not primary"),
        _ => new(null, "read-only (the node was demoted)"),
    };
}
