using FluentAssertions;
using Xunit;
using Zombiesim.Core.Clients;
using Zombiesim.Core.Network;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Poolers;
using Zombiesim.Core.Presets;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Core;

/// <summary>Every preset table is shown in docs/model.md exactly as the code holds it, each row with its source.</summary>
public class PresetDocsTests
{
    private static string Model => File.ReadAllText(Path.Combine(Scenarios.Root, "docs", "model.md"));

    [Fact]
    public void The_server_preset_table_in_docs_model_md_equals_the_code()
    {
        Section(Model, ServerPresets.Table.Kind).Should().Be(ServerPresets.Table.ToMarkdown(),
            "docs/model.md shows the table rendered from ServerPresets (paste ToMarkdown() between the markers)");
    }

    [Fact]
    public void The_middlebox_preset_table_in_docs_model_md_equals_the_code()
    {
        Section(Model, MiddleboxPresets.Table.Kind).Should().Be(MiddleboxPresets.Table.ToMarkdown());
        MiddleboxPresets.Table.Rows.Should().OnlyContain(r => r.Source.Kind == SourceKind.Doc);
    }

    [Fact]
    public void The_platform_and_client_preset_tables_in_docs_model_md_equal_the_code()
    {
        Section(Model, PlatformPresets.Table.Kind).Should().Be(PlatformPresets.Table.ToMarkdown());
        Section(Model, ClientPresets.Table.Kind).Should().Be(ClientPresets.Table.ToMarkdown());
        Section(Model, LibraryErrors.Table.Kind).Should().Be(LibraryErrors.Table.ToMarkdown());
        LibraryErrors.Table.Names.Should().Equal(ClientPresets.Table.Names, "every library preset says how it words its errors");
    }

    [Fact]
    public void The_pooler_preset_table_in_docs_model_md_equals_the_code()
    {
        Section(Model, PoolerPresets.Table.Kind).Should().Be(PoolerPresets.Table.ToMarkdown());
        PoolerPresets.Table.Names.Should().Equal("pgbouncer", "rds-proxy", "hyperdrive");
    }

    [Fact]
    public void Pooler_presets_pin_the_documented_defaults()
    {
        var pgb = PoolerPresets.Table["pgbouncer"].Values;
        (pgb.Port, pgb.Mode, pgb.DefaultPoolSize, pgb.MaxClientConn).Should().Be(((ushort)6432, PoolMode.Session, 20, 100),
            "PgBouncer 1.25.2 src/main.c: listen_port 6432, pool_mode session, default_pool_size 20, max_client_conn 100");
        (pgb.ServerIdleTimeout, pgb.ServerLifetime, pgb.QueryWaitTimeout, pgb.ClientIdleTimeout).Should().Be(
            (TimeSpan.FromSeconds(600), TimeSpan.FromSeconds(3600), TimeSpan.FromSeconds(120), (TimeSpan?)null));
        var rds = PoolerPresets.Table["rds-proxy"].Values;
        (rds.ClientIdleTimeout, rds.QueryWaitTimeout, rds.MaxConnectionsPercent, rds.MaxIdleConnectionsPercent, rds.PinsSessionState)
            .Should().Be((TimeSpan.FromSeconds(1800), TimeSpan.FromSeconds(120), 100, 50, true),
                "IdleClientTimeout 1,800 s, ConnectionBorrowTimeout 120, MaxConnectionsPercent 100, MaxIdleConnectionsPercent 50");
        PoolerPresets.Table["hyperdrive"].Values.ServerIdleTimeout.Should().Be(TimeSpan.FromMinutes(10), "Hyperdrive limits: 10 min");
    }

    [Fact]
    public void A_scenario_without_platform_or_client_keys_gets_the_default_rows()
    {
        var s = ScenarioLoader.Load("name: t\nhorizon: 10s\nfunctions: [{ name: f }]\n", "t.yaml");
        var p = PlatformPresets.Table[PlatformPresets.Default].Values;
        (s.Platform.ReapAfter, s.Platform.Concurrency, s.Platform.ColdStart).Should().Be((p.ReapAfter, 1000, p.ColdStart));
        s.Functions[0].Client.ConnectTimeout.Should().Be(TimeSpan.FromSeconds(10), "ioredis's connectTimeout, 10000 ms");
        s.Functions[0].Client.RetryOn.Should().BeEquivalentTo(ClientPresets.Table[ClientPresets.Default].Values.RetryOn);
    }

    [Fact]
    public void Every_server_preset_cites_a_source()
    {
        ServerPresets.Table.Rows.Should().OnlyContain(r => r.Source.Citation.Length > 20);
        ServerPresets.Table.Names.Should().Equal("redis", "mongodb", "mysql", "mysql-5.7", "mariadb", "postgres", "nginx", "node-http",
            "generic");
    }

    [Fact]
    public void Server_presets_pin_the_documented_defaults()
    {
        var t = ServerPresets.Table;
        t["redis"].Values.Should().Be(
            new ServerDefaults(6379, null, IdleCheck.Cron, 10000, TimeSpan.FromSeconds(300), ServerKindName.Redis));
        t["mysql"].Values.Should().Be(
            new ServerDefaults(3306, TimeSpan.FromSeconds(28800), IdleCheck.Exact, 151, null, ServerKindName.MySql, IdleCloseReply: true,
                EventScheduler: true),
            "wait_timeout 28800, max_connections 151, error 4031 before an idle close since 8.0.24, event_scheduler ON since 8.0.3");
        t["mysql-5.7"].Values.EventScheduler.Should().BeFalse("event_scheduler OFF by default in 5.7");
        t["postgres"].Values.Should().Be(new ServerDefaults(5432, null, IdleCheck.Exact, 100, null, ServerKindName.Postgres, Reserved: 3,
            IdleCloseReply: true), "idle_session_timeout 0, max_connections 100, superuser_reserved_connections 3");
        t["nginx"].Values.Should().Be(new ServerDefaults(80, TimeSpan.FromSeconds(75), IdleCheck.Exact, null, null, ServerKindName.Http,
            RequestsPerConnection: 1000), "keepalive_timeout 75000 ms, keepalive_requests 1000");
        t["node-http"].Values.IdleTimeout.Should().Be(TimeSpan.FromSeconds(5), "server.keepAliveTimeout 5000 ms");
        t["redis"].Source.Kind.Should().Be(SourceKind.Doc);
        t["generic"].Source.Kind.Should().Be(SourceKind.Folk, "the generic server is the model's own construct");
    }

    [Fact]
    public void A_preset_name_sets_the_server_defaults_and_its_own_keys_override_them()
    {
        var redis = ScenarioLoader.LoadFile(Scenarios.File("upstash-2020-process.yaml"),
            ["server.preset=redis", "server.idleTimeout=0s", "server.maxClients=5"]).Server;
        redis.Port.Should().Be(6379);
        redis.IdleTimeout.Should().BeNull();
        redis.IdleCheck.Should().Be(IdleCheck.Cron);
        redis.MaxClients.Should().Be(5);
        redis.KeepAlive.Should().Be(TimeSpan.FromSeconds(300));
    }

    /// <summary>The table between the markers of <paramref name="kind"/>. With ZOMBIESIM_UPDATE_DOCS=1 the
    /// section is first rewritten from the code (then read the diff of docs/model.md before committing).</summary>
    private static string Section(string doc, string kind)
    {
        string open = $"<!-- presets:{kind} -->\n", close = $"\n<!-- /presets:{kind} -->";
        int a = doc.IndexOf(open, StringComparison.Ordinal), b = doc.IndexOf(close, StringComparison.Ordinal);
        (a >= 0 && b > a).Should().BeTrue($"docs/model.md has the markers for the {kind} presets");
        if (System.Environment.GetEnvironmentVariable("ZOMBIESIM_UPDATE_DOCS") == "1")
        {
            string table = kind switch
            {
                "server" => ServerPresets.Table.ToMarkdown(),
                "middlebox" => MiddleboxPresets.Table.ToMarkdown(),
                "platform" => PlatformPresets.Table.ToMarkdown(),
                "client" => ClientPresets.Table.ToMarkdown(),
                "library-errors" => LibraryErrors.Table.ToMarkdown(),
                "pooler" => PoolerPresets.Table.ToMarkdown(),
                _ => throw new ArgumentException(kind),
            };
            doc = doc[..(a + open.Length)] + table + doc[b..];
            File.WriteAllText(Path.Combine(Scenarios.Root, "docs", "model.md"), doc);
            b = a + open.Length + table.Length;
        }
        return doc[(a + open.Length)..b];
    }
}
