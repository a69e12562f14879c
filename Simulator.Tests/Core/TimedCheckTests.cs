using FluentAssertions;
using Xunit;
using Zombiesim.Core.Checks;
using Zombiesim.Core.Explore;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Core;

/// <summary>Checks only look: a timed check is an observation event, so under exploration it is never
/// a choice, even when it falls on the instant of another event (docs/model.md, Exploration).</summary>
public class TimedCheckTests
{
    [Fact]
    public void A_gone_within_check_due_with_an_invocation_adds_no_choice_to_the_schedule()
    {
        var scenario = ScenarioLoader.LoadFile(Scenarios.File("upstash-2020-process.yaml"));
        // The request at 95 s reads the FIN queued while frozen and fails at once, so hello#1 is reaped
        // at 95 s + 300 s = 395 s; the check 5 s later falls at 400 s, the instant of the third invocation.
        var options = new ExploreOptions(20, "random", 7, [], 0.1);
        var plain = Explorer.Explore(scenario, options);
        var checkedToo = Explorer.Explore(scenario, options with { Invariants = [Invariant.Parse("gone-within=5s")] });

        checkedToo.Examples[0].Choices.Should().Equal(plain.Examples[0].Choices, "the check at 400 s is no choice");
        checkedToo.ViolatingIterations.Should().Be(0,
            "by 400 s the server's socket of hello#1 is long closed (FIN_WAIT_2 ended at 90.2 s)");
    }
}
