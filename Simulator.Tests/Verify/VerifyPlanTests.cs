using FluentAssertions;
using Xunit;
using Zombiesim.Cli.Verify;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tcp;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Verify;

public class VerifyPlanTests
{
    [Fact]
    public void Time_scale_divides_the_scenarios_clocks_and_leaves_kernel_timers_and_client_timeouts_alone()
    {
        var s = ScenarioLoader.LoadFile(Scenarios.File("upstash-2020-process.yaml"), []);
        var plan = VerifyPlan.From(s, 10);
        var scaled = plan.Scenario;
        scaled.Horizon.Should().Be(TimeSpan.FromSeconds(42));
        scaled.Traffic[0].At.Should().Equal(new Constant(0), new Constant(9.5), new Constant(40));
        scaled.Platform.FreezeAfter.Should().Be(new Constant(0.5));
        scaled.Platform.ReapAfter.Should().Be(new Constant(30));
        scaled.Server.IdleTimeout.Should().Be(TimeSpan.FromSeconds(6));
        scaled.Server.Host.TcpFinTimeout.Should().Be(TimeSpan.FromSeconds(30), "a kernel timer");
        scaled.Functions[0].Client.CommandTimeout.Should().Be(TimeSpan.FromSeconds(5), "the client's own timer");
        scaled.Platform.ColdStart.Should().Be(new Constant(0.2));
        scaled.Expect.Should().BeEmpty("the scenario's expectations are about its unscaled instants");
    }

    [Fact]
    public void A_shutdown_hook_is_replayed_as_a_shutdown_step_within_its_phase_which_is_not_scaled()
    {
        var s = ScenarioLoader.LoadFile(Scenarios.File("lambda-shutdown-external-extension.yaml"), ["horizon=330s"]);
        var plan = VerifyPlan.From(s, 10);
        plan.Scenario.Platform.ShutdownPhase.Should().Be(TimeSpan.FromSeconds(2), "the platform's grace, like the cold start");
        var recorder = new RunRecorder();
        Simulation.Run(plan.Scenario, null, recorder);
        var schedule = Schedule.From(plan, recorder);
        schedule.Steps.Select(st => (st.At.TotalSeconds, st.Kind)).Should().Equal(
            (0, StepKind.Request), (0.2022899, StepKind.Freeze), (30.2022899, StepKind.Shutdown), (32.2022899, StepKind.Destroy));
        new AgentSpec { ShutdownHook = true }.ToArgs().Should().Contain("hook=1");
        AgentSpec.Parse(["hook=1"]).ShutdownHook.Should().BeTrue();
    }

    [Fact]
    public void A_pool_is_built_and_its_options_verify_does_not_replay_are_refused()
    {
        var s = ScenarioLoader.LoadFile(Scenarios.File("upstash-2020-process.yaml"), []);
        var pooled = s with
        {
            Functions = [s.Functions[0] with { Parallel = 2, Client = s.Functions[0].Client with { Pool = new PoolSpec { Max = 2 } } }],
        };
        VerifyPlan.From(pooled, 1).Scenario.Functions[0].Client.Pool!.Max.Should().Be(2);
        var fifo = pooled with
        {
            Functions =
            [
                pooled.Functions[0] with { Client = pooled.Functions[0].Client with { Pool = new PoolSpec { Order = PoolOrder.Fifo } } },
            ],
        };
        var act = () => VerifyPlan.From(fifo, 1);
        act.Should().Throw<VerifyException>().WithMessage("verify cannot build: function hello: pool order fifo");
    }

    [Fact]
    public void A_platform_that_throttles_instead_of_freezing_is_refused()
    {
        var s = ScenarioLoader.LoadFile(Scenarios.File("cloud-run-throttled-pings.yaml"), []);
        var act = () => VerifyPlan.From(s, 1);
        act.Should().Throw<VerifyException>().WithMessage("verify cannot build: *platform.idle throttle*");
    }

    [Fact]
    public void The_middlebox_idle_timeout_is_scaled_and_becomes_conntrack_timeouts_with_unknown_flows_dropped()
    {
        var s = ScenarioLoader.LoadFile(Scenarios.File("upstash-2020-etimedout.yaml"), []);
        var plan = VerifyPlan.From(s, 10);
        plan.Middlebox!.Profile.IdleTimeout.Should().Be(TimeSpan.FromSeconds(6));
        Conntrack.Sysctls(plan.Middlebox).Should().Contain(("net.netfilter.nf_conntrack_tcp_timeout_established", "6"))
            .And.Contain(("net.netfilter.nf_conntrack_tcp_loose", "0"));
        Conntrack.Ruleset(plan.Middlebox).Should().Contain("ct state invalid drop").And.NotContain("reject");
    }

    [Fact]
    public void What_verify_cannot_build_is_refused_before_anything_is_created()
    {
        var s = ScenarioLoader.LoadFile(Scenarios.File("upstash-2020-process.yaml"), ["server.preset=mongodb"]);
        var act = () => VerifyPlan.From(s, 1);
        act.Should().Throw<VerifyException>()
            .WithMessage("verify cannot build: server preset mongodb "
                + "(generic, redis, postgres, mysql, mariadb and HTTP servers are built)");
    }

    [Fact]
    public void PostgreSQL_and_MySQL_presets_run_on_real_postgres_and_mariadbd_and_MariaDB_takes_whole_seconds()
    {
        VerifyPlan.From(ScenarioLoader.LoadFile(Scenarios.File("upstash-2020-process.yaml"), ["server.preset=postgres"]), 10)
            .ServerBinary.Should().Be("postgres");
        VerifyPlan.From(ScenarioLoader.LoadFile(Scenarios.File("mysql-wait-timeout.yaml")), 10).ServerBinary.Should().Be("mariadbd");
        var act = () => VerifyPlan.From(ScenarioLoader.LoadFile(Scenarios.File("mysql-wait-timeout.yaml")), 7);
        act.Should().Throw<VerifyException>().WithMessage("mysql takes its idle timeout in whole seconds; scaled by 7 it is 8.5714286 s");
        var slow = () => VerifyPlan.From(ScenarioLoader.LoadFile(Scenarios.File("postgres-reserved-slots.yaml")), 1);
        slow.Should().Throw<VerifyException>().WithMessage("*server.responseTime above 1 ms*");
    }

    /// <summary>PgBouncer in transaction mode in front of PostgreSQL, one environment (docs/verify.md, "A pooler").</summary>
    internal const string PgBouncerScenario = """
        name: verify-pgbouncer
        seed: 1
        horizon: 10s
        platform:
          freeze: { after: 0s, mode: process }
          reap: { after: 60s }
          coldStart: 200ms
        functions:
          - name: api
            memory: 1024
            client: { commandTimeout: 1s }
        servers:
          - name: pgbouncer
            pooler: { preset: pgbouncer, mode: transaction, defaultPoolSize: 1, serverIdleTimeout: 3s, clientIdleTimeout: 4s, upstream: db }
          - name: db
            preset: postgres
            responseTime: 0.5ms
        network:
          latency: 0.5ms
        traffic:
          - function: api
            at: [0s, 2s, 8s]
        """;

    [Fact]
    public void A_PgBouncer_pooler_is_built_in_front_of_its_upstream_which_is_the_real_PostgreSQL()
    {
        var plan = VerifyPlan.From(ScenarioLoader.Load(PgBouncerScenario, "verify-pgbouncer.yaml"), 2);
        plan.Pooler!.Name.Should().Be("pgbouncer");
        plan.Database.Name.Should().Be("db");
        plan.ServerBinary.Should().Be("postgres");
        plan.Scenario.Server.Pooler!.ServerIdleTimeout.Should().Be(TimeSpan.FromSeconds(1.5), "the pooler's own clock, scaled");
        plan.Scenario.Servers[0].Pooler!.ClientIdleTimeout.Should().Be(TimeSpan.FromSeconds(2), "the model runs on Servers");
        plan.Scenario.Server.Pooler!.ServerLifetime.Should().Be(TimeSpan.FromSeconds(1800));
        plan.ScaledClocks.Should().Contain("servers[].pooler.clientIdleTimeout");
        string ini = PgBouncerServer.Configuration(plan.Pooler, plan.Database, "/tmp/users.txt");
        ini.Split('\n').Should().Contain(["postgres = host=10.202.0.2 port=5432 dbname=postgres", "listen_port = 6432",
            "pool_mode = transaction", "default_pool_size = 1", "max_client_conn = 100", "server_idle_timeout = 1.5",
            "server_lifetime = 1800", "client_idle_timeout = 2", "query_wait_timeout = 60", "auth_type = trust"]);
    }

    [Theory]
    [InlineData("servers.0.pooler.preset=rds-proxy", "*pooler preset rds-proxy (a managed proxy; PgBouncer is built*")]
    [InlineData("servers.0.pooler.maxClientConn=0", "*pooler maxClientConn 0 (none)*")]
    [InlineData("servers.1.preset=redis", "*a pooler in front of redis (PgBouncer speaks PostgreSQL's protocol*")]
    [InlineData("functions.0.client.server=db", "*a function that connects to db past the pooler*")]
    public void What_PgBouncer_cannot_be_or_verify_does_not_build_around_it_is_refused_with_the_reason(string set, string message)
    {
        var act = () => VerifyPlan.From(ScenarioLoader.Load(PgBouncerScenario, "verify-pgbouncer.yaml", [set]), 1);
        act.Should().Throw<VerifyException>().WithMessage(message);
    }

    [Fact]
    public void A_server_lifetime_of_0s_is_PgBouncers_0_and_is_written_as_0()
    {
        var scenario = ScenarioLoader.Load(PgBouncerScenario, "verify-pgbouncer.yaml", ["servers.0.pooler.serverLifetime=0s"]);
        var plan = VerifyPlan.From(scenario, 1);
        plan.Scenario.Server.Pooler!.ServerLifetime.Should().Be(TimeSpan.Zero);
        PgBouncerServer.Configuration(plan.Pooler!, plan.Database, "/tmp/users.txt").Split('\n').Should().Contain("server_lifetime = 0");
    }

    [Fact]
    public void A_packet_capture_is_refused_with_a_pooler_as_it_sees_one_servers_port()
    {
        var act = () => VerifyPlan.From(ScenarioLoader.Load(PgBouncerScenario, "verify-pgbouncer.yaml"), 1) with { Segments = true };
        act.Should().Throw<VerifyException>().WithMessage("*--segments with a pooler*");
        var bundled = () => VerifyPlan.From(ScenarioLoader.LoadFile(Scenarios.File("pgbouncer-transaction-1000-clients.yaml")), 1);
        bundled.Should().Throw<VerifyException>().WithMessage("verify cannot build: server.responseTime above 1 ms*");
    }

    [Fact]
    public void Tls_and_a_slow_accept_loop_are_refused_as_verify_cannot_build_them()
    {
        var s = ScenarioLoader.LoadFile(Scenarios.File("upstash-2020-process.yaml"), ["server.tls.version=1.3", "server.acceptTime=1ms"]);
        var act = () => VerifyPlan.From(s, 1);
        act.Should().Throw<VerifyException>()
            .WithMessage("verify cannot build: server tls; server acceptTime (the real server accepts at its own pace)");
    }

    [Fact]
    public void Sysctls_a_host_sets_are_written_for_sysctl_in_whole_seconds()
    {
        var pairs = RealSysctls.For(new Sysctls { TcpFinTimeout = TimeSpan.FromSeconds(30) });
        if (File.Exists("/proc/sys/net/ipv4/tcp_fin_timeout"))
            pairs.Should().Contain(("net.ipv4.tcp_fin_timeout", "30")).And.Contain(("net.ipv4.tcp_retries2", "15"));
        var act = () => RealSysctls.For(new Sysctls { TcpFinTimeout = TimeSpan.FromMilliseconds(1500) });
        act.Should().Throw<VerifyException>().WithMessage("*whole seconds*");
    }
    [Fact]
    public void A_server_restart_and_a_partition_are_scaled_and_replayed_as_steps_before_the_platforms_actions()
    {
        var s = ScenarioLoader.LoadFile(Scenarios.File("upstash-2020-process.yaml"), ["horizon=120s"]) with
        {
            Events =
            [
                new EventSpec(EventKind.ServerRestart, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30), null),
                new EventSpec(EventKind.Partition, TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(95), null),
            ],
        };
        var plan = VerifyPlan.From(s, 10);
        plan.Scenario.Events.Select(e => (e.At.TotalSeconds, e.Until.TotalSeconds)).Should().Equal((2.0, 3.0), (4.0, 9.5));
        plan.ScaledClocks.Should().Contain("events[] instants and spans");
        var recorder = new RunRecorder();
        Simulation.Run(plan.Scenario, null, recorder);
        Schedule.From(plan, recorder).Steps.Where(st => st.At.TotalSeconds is >= 2 and <= 9.5)
            .Select(st => (st.At.TotalSeconds, st.Kind, st.Environment)).Should().Equal(
                (2.0, StepKind.ServerExit, "server"), (3.0, StepKind.ServerListen, "server"),
                (4.0, StepKind.PartitionStart, "network"), (9.5, StepKind.PartitionEnd, "network"),
                (9.5, StepKind.Thaw, "hello#1"), (9.5, StepKind.Request, "hello#1"));
        new AgentSpec { Hold = true }.ToArgs().Should().Contain("hold=1");
        AgentSpec.Parse(["hold=1"]).Hold.Should().BeTrue();
    }

    [Fact]
    public void Failovers_and_restarts_of_a_database_are_refused()
    {
        var s = ScenarioLoader.LoadFile(Scenarios.File("upstash-2020-process.yaml"), ["server.preset=postgres"]) with
        {
            Events =
            [
                new EventSpec(EventKind.ServerRestart, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(30), null),
                new EventSpec(EventKind.Failover, TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(70), null),
            ],
        };
        var act = () => VerifyPlan.From(s, 1);
        act.Should().Throw<VerifyException>().WithMessage("verify cannot build: a scripted failover (partitions, redeploys and "
            + "server restarts are built); a serverRestart of postgres (built for the built-in servers and redis-server)");
    }
    [Fact]
    public void Idle_pings_are_built_and_their_interval_is_the_clients_own_timer_not_scaled()
    {
        var s = ScenarioLoader.LoadFile(Scenarios.File("upstash-2020-process.yaml"), ["functions.0.client.pingInterval=2s"]);
        VerifyPlan.From(s, 10).Scenario.Functions[0].Client.PingInterval.Should().Be(TimeSpan.FromSeconds(2));
        new AgentSpec { PingInterval = TimeSpan.FromSeconds(2) }.ToArgs().Should().Contain("pingMs=2000");
        AgentSpec.Parse(["pingMs=2000"]).PingInterval.Should().Be(TimeSpan.FromSeconds(2));
    }
    [Fact]
    public void A_second_server_is_refused_as_only_one_is_built()
    {
        var s = ScenarioLoader.LoadFile(Scenarios.File("upstash-2020-process.yaml"), []);
        var two = s with { Servers = [s.Server with { Name = "a" }, s.Server with { Name = "b" }] };
        var act = () => VerifyPlan.From(two, 1);
        act.Should().Throw<VerifyException>().WithMessage("verify cannot build: more than one server (servers[]: one is built)");
    }
}
