using FluentAssertions;
using Xunit;
using Xunit.Abstractions;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.World;

namespace Zombiesim.Tests.World;

public class SmokeTests(ITestOutputHelper output)
{
    [Fact]
    public void Smoke()
    {
        var s = ScenarioLoader.LoadFile("../../../../scenarios/upstash-2020-process.yaml");
        var rec = new RunRecorder();
        var o = Simulation.Run(s, null, rec);
        foreach (var l in rec.Lifecycle) output.WriteLine($"{l.T.TotalSeconds,10:F6} {l.Environment} {l.Event} {l.Detail}");
        foreach (var r in rec.Requests) output.WriteLine($"{r.T.TotalSeconds,10:F6} {r.Function} {r.Environment} {r.Connection} {r.Outcome} {r.Origin} {r.LatencyMs:F3}ms {r.Cause}");
        foreach (var t in rec.Transitions) output.WriteLine($"{t.T.TotalSeconds,10:F6} {t.Host} {t.Connection} {t.From}->{t.To} {t.Cause}");
        foreach (var n in rec.Notes) output.WriteLine($"{n.T.TotalSeconds,10:F6} {n.Who} {n.Text}");
        foreach (var e in o.Expectations) output.WriteLine($"{e.Met} {e.Text} -> {e.Actual}");
        o.ExpectationsMet.Should().BeTrue();
    }
}
