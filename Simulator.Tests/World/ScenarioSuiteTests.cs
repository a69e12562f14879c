using FluentAssertions;
using Xunit;
using Zombiesim.Tests.Cli;

namespace Zombiesim.Tests.World;

/// <summary>Every scenario in scenarios/ runs, meets its expectations, and reproduces byte for byte.</summary>
public class ScenarioSuiteTests
{
    [Theory]
    [MemberData(nameof(Scenarios.All), MemberType = typeof(Scenarios))]
    public void Every_bundled_scenario_meets_its_expectations(string file)
    {
        var (outcome, _) = Scenarios.Run(file);
        outcome.Scenario.Expect.Should().NotBeEmpty("every bundled scenario says what it shows");
        outcome.Expectations.Where(e => !e.Met).Select(e => $"{e.Text}: got {e.Actual}").Should().BeEmpty();
        File.ReadLines(Scenarios.File(file)).First().Should().StartWith("#", "a header comment says what it shows");
    }

    [Theory]
    [MemberData(nameof(Scenarios.All), MemberType = typeof(Scenarios))]
    public void Every_bundled_scenario_gives_byte_identical_json_on_a_second_run(string file)
    {
        var first = CliTests.Run("run", Scenarios.File(file), "--json");
        var second = CliTests.Run("run", Scenarios.File(file), "--json");
        first.Code.Should().Be(0);
        second.Out.Should().Be(first.Out);
    }

    [Fact]
    public void The_suite_covers_the_bundled_scenarios()
    {
        Scenarios.All().Select(x => (string)x[0]).Should().Contain(
        [
            "upstash-2020-process.yaml", "upstash-2020-vm.yaml", "upstash-2020-310s.yaml", "upstash-2020-etimedout.yaml",
            "fleet-reuse-vs-per-invocation.yaml", "mongodb-proxy.yaml", "nat-gateway.yaml", "nat-gateway-keepalive.yaml",
        ]);
    }
}
