using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Servers.Kinds;

/// <summary>
/// Redis (src/networking.c, src/timeout.c, src/anet.c; redis/redis at 4f8cdc2a1, 2024-10-18):
/// at `maxclients` the server writes "-ERR max number of clients reached" and closes at once; an
/// idle close (`timeout`, checked in clientsCron in whole seconds) writes nothing; QUIT is answered
/// "+OK" and the server closes first; `tcp-keepalive N` sets TCP_KEEPIDLE N, TCP_KEEPINTVL N/3
/// (whole seconds, at least 1) and TCP_KEEPCNT 3.
/// </summary>
internal sealed class RedisKind : ServerKind
{
    public static RedisKind Instance { get; } = new();

    protected override string LimitName => "maxclients";

    protected override ServerReply LimitReply { get; } = new(null, "-ERR max number of clients reached");

    public override bool RepliesToQuit => true;

    public override SocketOptions Options(ServerSpec spec)
    {
        if (spec.KeepAlive is not { } k)
            return SocketOptions.Default;
        long seconds = (long)k.TotalSeconds; // an int of seconds in redis.conf
        return new SocketOptions
        {
            KeepAlive = true, KeepIdle = TimeSpan.FromSeconds(seconds), KeepInterval = TimeSpan.FromSeconds(Math.Max(1, seconds / 3)),
            KeepCount = 3,
        };
    }
}
