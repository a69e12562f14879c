using Zombiesim.Core.Presets;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Servers;

/// <summary>What a server preset sets; a scenario's own keys override each value.</summary>
public sealed record ServerDefaults(ushort Port, TimeSpan? IdleTimeout, IdleCheck Check, int? MaxClients, TimeSpan? KeepAlive);

/// <summary>The server presets (`server.preset`), each with its source. docs/model.md shows this table.</summary>
public static class ServerPresets
{
    public static PresetTable<ServerDefaults> Table { get; } = new("server",
    [
        new("redis", new(6379, null, IdleCheck.Cron, 10000, TimeSpan.FromSeconds(300)),
            new(SourceKind.Doc,
                "redis.conf defaults (timeout 0, tcp-keepalive 300, maxclients 10000); "
                    + "idle checks in clientsCron, whole seconds (measured on redis-server 7.0.15, ../shared/FACTS.md)"),
            "port 6379; no idle close; idle check in a whole-second cron; maxclients 10000; keepalive 300 s"),
        new("mongodb", new(27017, null, IdleCheck.Exact, null, null),
            new(SourceKind.Doc,
                "MongoDB server: no server-side idle close; the connection limit depends on version and OS limits, so none by default"),
            "port 27017; no idle close; no limit"),
        new("mysql", new(3306, TimeSpan.FromSeconds(28800), IdleCheck.Exact, 151, null),
            new(SourceKind.Doc, "MySQL reference manual, server system variables: wait_timeout 28800, max_connections 151"),
            "port 3306; idle close after 28800 s; max 151 connections"),
        new("postgres", new(5432, null, IdleCheck.Exact, 100, null),
            new(SourceKind.Doc, "PostgreSQL docs, runtime config: idle_session_timeout 0 (off), max_connections 100"),
            "port 5432; no idle close; max 100 connections"),
        new("generic", new(6379, null, IdleCheck.Exact, null, null),
            new(SourceKind.Folk, "the model's neutral server: closes idle connections exactly at a timeout the scenario sets, no limits"),
            "port 6379; no idle close unless set (then exact); no limit"),
    ]);
}
