using FluentAssertions;
using Xunit;
using Zombiesim.Core.Clients;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Tests.World;

/// <summary>
/// A run keeps its destroyed environments to the end (the server's sockets still name them as their peers): a day of a
/// pooled fleet destroys thousands. What they held goes with them.
/// </summary>
public class DestroyedEnvironmentTests
{
    [Fact]
    public void A_reaped_environments_pool_and_kernel_hold_none_of_the_connections_that_vanished_with_it()
    {
        var scenario = ScenarioLoader.Load("""
            name: reaped-pool
            horizon: 60s
            platform:
              freeze: { after: 1s, mode: process }
              reap: { after: 10s }
              coldStart: 0s
            functions:
              - name: fn
                parallel: 3
                client: { setupCost: 0s, pool: { max: 3 } }
            server:
              preset: generic
              idleTimeout: 0s
            traffic:
              - function: fn
                at: [0s]
            """, "reaped-pool.yaml");
        Zombiesim.Core.Worlds.World? world = null;
        var outcome = Simulation.Run(scenario, null, null, w => world = w, []);

        outcome.Summary.Destroyed.Should().Be(1);
        var platform = world!.Census.Platform;
        var env = platform.EnvironmentAt(platform.AddressOf("fn#1")!.Value)!;
        env.State.Should().Be(EnvironmentState.Destroyed);
        env.Host.ConnectionCount.Should().Be(0, "its three sockets vanished with the host");
        env.Client.Should().BeOfType<PooledClient>().Which.Size.Should().Be(0, "the pool forgot the three it held idle");
        env.Host.Destroyed.Should().BeTrue();
    }
}
