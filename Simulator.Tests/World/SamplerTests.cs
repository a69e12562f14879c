using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Tests.World;

/// <summary>A sample after which no other event ran repeats the last one's counts without counting again, when no
/// observer keeps samples (a search's runs): every figure the summary draws from samples is the same as when every
/// sample is counted (an observer that keeps samples, as `run` has).</summary>
public class SamplerTests
{
    [Theory]
    [MemberData(nameof(Scenarios.All), MemberType = typeof(Scenarios))]
    public void Samples_repeated_without_counting_give_the_summary_of_samples_counted_each_time(string name)
    {
        var scenario = ScenarioLoader.LoadFile(Scenarios.File(name));
        var repeated = Simulation.Run(scenario).Summary;
        var counted = Simulation.Run(scenario, null, new RunRecorder()).Summary;
        repeated.ZombieSeconds.Should().Be(counted.ZombieSeconds);
        repeated.PeakZombies.Should().Be(counted.PeakZombies);
        repeated.PeakServerConnections.Should().Be(counted.PeakServerConnections);
        repeated.PeakServer.Should().Equal(counted.PeakServer);
        repeated.PeakClient.Should().Equal(counted.PeakClient);
        repeated.PerServer.Should().Equal(counted.PerServer);
        repeated.Final!.Value.Server.Should().Equal(counted.Final!.Value.Server);
        repeated.Final!.Value.Client.Should().Equal(counted.Final!.Value.Client);
        (repeated.Final!.Value with { Server = null!, Client = null!, Functions = null, Servers = null })
            .Should().Be(counted.Final!.Value with { Server = null!, Client = null!, Functions = null, Servers = null });
    }
}
