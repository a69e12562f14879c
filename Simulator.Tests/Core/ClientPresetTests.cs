using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Tests.Core;

/// <summary>
/// Each client preset, loaded as a user writes it, has the defaults read in the library's own
/// source (the file and line are in ClientPresets and docs/model.md); a function's keys override them.
/// </summary>
public class ClientPresetTests
{
    private static ClientSpec Client(string client) =>
        ScenarioLoader.Load($"name: t\nfunctions:\n  - name: f\n    client: {client}\n", "t.yaml").Functions[0].Client;

    private static TimeSpan S(double s) => TimeSpan.FromSeconds(s);

    [Fact]
    public void Ioredis_5_has_a_10s_connect_timeout_os_keepalive_and_resends_a_command_in_flight_up_to_20_times()
    {
        var c = Client("{ preset: ioredis }");
        c.ConnectTimeout.Should().Be(S(10)); // RedisOptions.ts:231 connectTimeout: 10000
        c.KeepAlive.Should().Be(TimeSpan.Zero); // :236 keepAlive: 0, setKeepAlive(true, 0)
        c.CommandTimeout.Should().BeNull(); // no default
        (c.Retries, c.Pool).Should().Be((20, null)); // :274 maxRetriesPerRequest: 20; one connection
        c.RetryOn.Should().BeEquivalentTo([Outcome.Eof, Outcome.ECONNRESET, Outcome.EPIPE]);
    }

    [Fact]
    public void Node_redis_5_has_a_5s_connect_timeout_keepalive_after_5s_and_no_resend()
    {
        var c = Client("{ preset: node-redis }");
        (c.ConnectTimeout, c.KeepAlive, c.Retries, c.PingInterval, c.Pool).Should().Be((S(5), S(5), 0, null, null));
    }

    [Fact]
    public void Mysql2_has_a_pool_of_10_whose_idle_reaper_never_starts_and_a_10s_connect_timeout()
    {
        var c = Client("{ preset: mysql2 }");
        c.Pool!.Max.Should().Be(10); // pool_config.js:15 connectionLimit 10
        c.Pool.IdleTimeout.Should().BeNull(); // pool.js:50-53: maxIdle (10) is not below connectionLimit (10)
        (c.Pool.AcquireTimeout, c.Pool.Order).Should().Be((null, PoolOrder.Lifo)); // queueLimit 0, waits; pool.js:80 pop()
        (c.ConnectTimeout, c.KeepAlive).Should().Be((S(10), TimeSpan.Zero)); // connection_config.js:115, :127
    }

    [Fact]
    public void Pg_has_a_pool_of_10_closing_idle_clients_after_10s_with_no_connect_timeout_or_keepalive()
    {
        var c = Client("{ preset: pg }");
        (c.Pool!.Max, c.Pool.IdleTimeout, c.Pool.AcquireTimeout, c.Pool.MaxLifetime).Should().Be((10, S(10), null, null));
        c.Pool.LifetimeRule.Should().Be(LifetimeRule.Timer); // index.js:311-328, a setTimeout per client when maxLifetimeSeconds is set
        (c.ConnectTimeout, c.KeepAlive).Should().Be((null, null)); // connectionTimeoutMillis 0; client.js:95 keepAlive false
    }

    [Fact]
    public void Postgres_js_has_a_fifo_pool_of_10_whose_connections_live_30_to_60_minutes()
    {
        var c = Client("{ preset: postgres.js }");
        (c.Pool!.Max, c.Pool.Order, c.Pool.IdleTimeout).Should().Be((10, PoolOrder.Fifo, null));
        c.Pool.MaxLifetime.Should().Be(new Uniform(1800, 3600)); // 60 * (30 + random * 30) s
        c.Pool.LifetimeRule.Should().Be(LifetimeRule.Timer); // src/connection.js:76 and :371, lifeTimer
        (c.ConnectTimeout, c.KeepAlive).Should().Be((S(30), S(60)));
    }

    [Fact]
    public void Mongodb_has_a_pool_of_100_with_no_idle_close_and_keepalive_after_120s()
    {
        var c = Client("{ preset: mongodb }");
        (c.Pool!.Max, c.Pool.IdleTimeout, c.Pool.AcquireTimeout).Should().Be((100, null, null));
        (c.ConnectTimeout, c.KeepAlive).Should().Be((S(30), S(120)));
    }

    [Fact]
    public void Prisma_waits_10s_for_a_connection_and_replaces_one_idle_over_300s_when_used()
    {
        var c = Client("{ preset: prisma }");
        (c.Pool!.Max, c.Pool.AcquireTimeout, c.MaxIdle, c.ConnectTimeout).Should().Be((3, S(10), S(300), S(5)));
    }

    [Fact]
    public void Serverless_mysql_keeps_one_connection_and_runs_a_query_on_a_closed_one_again_once()
    {
        var c = Client("{ preset: serverless-mysql }");
        (c.Pool, c.Retries, c.ConnectTimeout).Should().Be((null, 1, S(10)));
        c.RetryOn.Should().BeEquivalentTo([Outcome.Eof, Outcome.ECONNRESET, Outcome.EPIPE]);
    }

    [Fact]
    public void Serverless_mysql_manages_connections_at_end_with_its_2_1_0_defaults()
    {
        var k = Client("{ preset: serverless-mysql }").ZombieKiller!;
        (k.ManageConns, k.ConnUtilization, k.ZombieMinTimeout, k.ZombieMaxTimeout).Should().Be((true, 0.8, S(3), S(900)));
        (k.MaxConnsFreq, k.UsedConnsFreq, k.MaxRetries, k.BackoffBase, k.BackoffCap).Should().Be(
            (S(15), TimeSpan.Zero, 50, TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(100)));
        Client("{ preset: mysql2 }").ZombieKiller.Should().BeNull();
        Client("{ preset: serverless-mysql, zombieKiller: { connUtilization: 0.5 } }").ZombieKiller!.ConnUtilization.Should().Be(0.5);
    }

    [Fact]
    public void Node_http_global_agent_keeps_free_sockets_5s_lifo_with_keepalive_after_1s()
    {
        var c = Client("{ preset: http-agent }");
        (c.Pool!.IdleTimeout, c.Pool.Order, c.KeepAlive, c.ConnectTimeout).Should().Be((S(5), PoolOrder.Lifo, S(1), null));
    }

    [Fact]
    public void A_functions_keys_override_the_preset_and_0s_turns_a_connect_timeout_off()
    {
        var c = Client("{ preset: pg, connectTimeout: 2s, pool: { max: 1 } }");
        (c.ConnectTimeout, c.Pool!.Max, c.Pool.IdleTimeout).Should().Be((S(2), 1, S(10)));
        Client("{ preset: mysql2, connectTimeout: 0s }").ConnectTimeout.Should().BeNull();
    }

    [Fact]
    public void An_unknown_preset_names_the_known_ones()
    {
        var load = () => Client("{ preset: pgx }");
        load.Should().Throw<ScenarioException>().Which.Message.Should().Contain("t.yaml:4:23:").And.Contain("pg, postgres.js");
    }

    [Fact]
    public void Reconnect_delays_grow_as_ioredis_5_and_node_redis_5_compute_them()
    {
        // ioredis 5.9.3 retryStrategy: min(times x 50, 2000) ms.
        var ioredis = Client("{ preset: ioredis }").Reconnect!;
        new[] { 1, 2, 3, 40, 41 }.Select(n => ioredis.Delay(n, 0).TotalMilliseconds).Should().Equal(50, 100, 150, 2000, 2000);
        // @redis/client 5.12.1 defaultReconnectStrategy: min(2^retries x 50, 2000) + floor(random x 200) ms, retries from 0.
        var nodeRedis = Client("{ preset: node-redis, reconnect: { growth: exponential, base: 50ms, cap: 2s, jitter: 200ms } }").Reconnect!;
        new[] { 1, 2, 3, 6, 7 }.Select(n => nodeRedis.Delay(n, 0).TotalMilliseconds).Should().Equal(50, 100, 200, 1600, 2000);
        nodeRedis.Delay(1, 0.5).TotalMilliseconds.Should().Be(150);
        Client("{ preset: pg }").Reconnect.Should().BeNull("pg-pool opens a new client at the next checkout, without a delay");
    }
}
