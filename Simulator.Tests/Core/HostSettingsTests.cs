using FluentAssertions;
using Xunit;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;

namespace Zombiesim.Tests.Core;

/// <summary>The host keys `hz` and `timerSlack`, and the conntrack box's `loose`, as a scenario reads them.</summary>
public class HostSettingsTests
{
    private static Scenario Load(string host, string box = "{ preset: linux-conntrack }") => ScenarioLoader.Load($$"""
        name: t
        horizon: 10s
        functions:
          - name: f
            host: {{host}}
        network:
          middleboxes: [{{box}}]
        """, "t.yaml");

    [Fact]
    public void Hz_defaults_to_250_and_timer_slack_to_off()
    {
        var s = Load("{}");
        s.Functions[0].Host.Hz.Should().Be(250);
        s.Functions[0].Host.TimerSlack.Should().Be(TimerSlack.Off);
        s.Server.Host.Hz.Should().Be(250);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(300)]
    [InlineData(1000)]
    public void Hz_takes_the_kernel_s_choices(int hz) =>
        Load($"{{ hz: {hz}, timerSlack: linux }}").Functions[0].Host
            .Should().Match<Sysctls>(h => h.Hz == hz && h.TimerSlack == TimerSlack.Linux);

    [Fact]
    public void Any_other_hz_is_a_load_error_that_names_the_choices()
    {
        var act = () => Load("{ hz: 200 }");
        act.Should().Throw<ScenarioException>().WithMessage("*hz must be one of 100, 250, 300, 1000*got 200*")
            .Which.Line.Should().Be(5);
    }

    [Fact]
    public void Loose_defaults_to_1_and_0_makes_the_conntrack_drop()
    {
        Load("{}").Network.Middleboxes[0].Profile.OnExpired.Should().Be(FlowAction.PickUpFromInside);
        var strict = Load("{}", "{ preset: linux-conntrack, loose: 0, idleTimeout: 600s }").Network.Middleboxes[0].Profile;
        (strict.OnExpired, strict.OnUnknown, strict.IdleTimeout).Should().Be((FlowAction.Drop, FlowAction.Drop, TimeSpan.FromSeconds(600)));
    }

    [Fact]
    public void Loose_on_another_box_is_a_load_error()
    {
        var act = () => Load("{}", "{ preset: aws-nat-gateway, loose: 1 }");
        act.Should().Throw<ScenarioException>().WithMessage("*'loose' applies to the linux-conntrack preset only*");
    }
}
