using FluentAssertions;
using Xunit;
using Zombiesim.Cli.Charts;
using Zombiesim.Cli.Runs;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tcp;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Cli;

/// <summary>The lifecycle chart: which connections it shows, time axes that fit them, one legend beside the panels,
/// and environment states that cannot be taken for socket states.</summary>
public class LifecycleChartTests
{
    private static TransitionRecord T(double s, string host, string c, TcpState from, TcpState to, TcpCause cause) =>
        new(TimeSpan.FromSeconds(s), host, c, from, to, cause);

    /// <summary>A connection opened at <paramref name="at"/> by api#N and closed a second later, both sides.</summary>
    private static IEnumerable<TransitionRecord> Life(string c, string env, double at) =>
    [
        T(at, env, c, TcpState.Closed, TcpState.SynSent, TcpCause.ActiveOpen),
        T(at + 0.001, "server", c, TcpState.Listen, TcpState.SynReceived, TcpCause.RcvSyn),
        T(at + 0.002, env, c, TcpState.SynSent, TcpState.Established, TcpCause.RcvSynAck),
        T(at + 0.003, "server", c, TcpState.SynReceived, TcpState.Established, TcpCause.RcvAckOfSyn),
        T(at + 1, env, c, TcpState.Established, TcpState.Closed, TcpCause.Abort),
        T(at + 1.001, "server", c, TcpState.Established, TcpState.Closed, TcpCause.RcvRst),
    ];

    /// <summary>A day sampled every 44 s: c1, c2 and c3 in the first minute, c4 failing with ETIMEDOUT at 5 h.</summary>
    private static RunData Day()
    {
        var t = Enumerable.Range(0, 1965).Select(i => i * 44.0).ToArray();
        var zero = new double[t.Length];
        var samples = new SampleColumns(t, Sample.ServerCategories.ToDictionary(c => c, _ => zero),
            Sample.ClientCategories.ToDictionary(c => c, _ => zero), zero, zero, zero, zero, zero, zero);
        var transitions = Life("c1", "api#1", 1).Concat(Life("c2", "api#2", 5)).Concat(Life("c3", "api#3", 20))
            .Concat(Life("c4", "api#4", 18_000)).ToList();
        var lifecycle = Enumerable.Range(1, 4).Select(i =>
            new LifecycleRecord(TimeSpan.FromSeconds(i == 4 ? 17_999 : i * 10 - 10), $"api#{i}", LifecycleEvent.ColdStart)).ToList();
        var requests = new List<RequestRecord>
        {
            new(TimeSpan.FromSeconds(1), "api", "api#1", "c1", Outcome.Ok, null, 5, 0, null),
            new(TimeSpan.FromSeconds(18_000.5), "api", "api#4", "c4", Outcome.ETIMEDOUT, Origin.KernelTimeout, 500, 0, null),
        };
        return new RunData(new RunHeader("day", null, null, null, new Dictionary<string, string> { ["api"] = "reuse" }), samples,
            requests, transitions, lifecycle, []);
    }

    [Fact]
    public void The_first_failure_of_each_kind_is_shown_before_the_first_connections()
    {
        var shown = LifecycleChoice.Connections(Day(), 3);
        shown.Select(s => s.Label).Should().Equal("c1", "c2", "c4");
        shown.Single(s => s.Label == "c4").Why.Should().Be("first ETIMEDOUT (kernel-timeout)");
        shown.Where(s => s.Label != "c4").Should().OnlyContain(s => s.Why == null);
    }

    [Fact]
    public void The_first_connection_a_server_closed_is_shown_after_the_failures_before_the_first_connections()
    {
        var day = Day();
        day = day with { Notes = [new NoteRecord(TimeSpan.FromSeconds(21), "server", "closes c3: idle", NoteKind.Close, "c3")] };
        var shown = LifecycleChoice.Connections(day, 3);
        shown.Select(s => (s.Label, s.Why)).Should().Equal(("c1", null), ("c3", "first closed by server"),
            ("c4", "first ETIMEDOUT (kernel-timeout)"));
    }

    [Fact]
    public void Connections_hours_apart_get_panels_whose_time_axes_fit_them()
    {
        var chart = LifecycleChart.Draw(Day());
        var panels = chart.Panels.Take(chart.Panels.Count - 1).ToList(); // the last is the legend
        panels.Should().HaveCount(2, "c1 and c2 in the first seconds (c3 is not shown), c4 five hours later");
        // c1 and c2: from 1 s to 6.001 s, drawn from zero; in seconds.
        var first = panels[0].Axes.GetLimits();
        first.Left.Should().Be(0);
        first.Right.Should().BeApproximately(6.001 + 0.05 * 5.001, 1e-6);
        panels[0].Axes.Bottom.Label.Text.Should().Be("time (s)");
        panels[0].Axes.Title.Label.Text.Should().Be("day: connection lifecycles\nc1; c2: 0 to 6.25 s of 24 h");
        // c4: 18,000 s to 18,001.001 s, padded by 5% of a second each side.
        var second = panels[1].Axes.GetLimits();
        second.Left.Should().BeApproximately(18_000 - 0.05 * 1.001, 1e-6);
        second.Right.Should().BeApproximately(18_001.001 + 0.05 * 1.001, 1e-6);
        panels[1].Axes.Title.Label.Text.Should().Be("c4, first ETIMEDOUT (kernel-timeout): 18000 to 18001 s of 24 h");
    }

    [Fact]
    public void A_two_hour_fleet_draws_its_first_connections_on_the_minutes_they_live_not_on_two_hours()
    {
        var chart = LifecycleChart.Draw(ChartRuns.Of("fleet-reuse-vs-per-invocation.yaml"));
        chart.Panels.Should().HaveCount(2, "one panel and the legend");
        var limits = chart.Panels[0].Axes.GetLimits();
        limits.Left.Should().Be(0);
        limits.Right.Should().Be(chart.Series["c3 window"][1]).And.BeLessThan(600, "c1 to c3 live within the first 8 minutes of 2 h");
    }

    [Fact]
    public void The_legend_has_a_column_of_its_own_beside_every_panel()
    {
        var chart = LifecycleChart.Draw(Day());
        var rects = chart.Figure.Layout.GetSubplotRectangles(chart.Figure.Subplots, new ScottPlot.PixelRect(0, 1200, 700, 0));
        rects[^1].Left.Should().BeGreaterThanOrEqualTo(rects[..^1].Max(r => r.Right));
        (rects[^1].Top, rects[^1].Bottom).Should().Be((0, 700));
        chart.Panels.Take(chart.Panels.Count - 1).Should().OnlyContain(p => !p.Legend.IsVisible);
        chart.Panels[^1].Legend.ManualItems.Select(i => i.LabelText).Should().Contain("SYN_SENT, SYN_RECEIVED", "one entry for one colour")
            .And.NotContain("SYN_SENT").And.OnlyHaveUniqueItems();
    }

    [Fact]
    public void Environment_states_are_hatched_or_dark_grey_never_a_socket_states_colour()
    {
        var start = TimeSpan.Zero;
        LifecycleEvent[] events = [LifecycleEvent.ColdStart, LifecycleEvent.Frozen, LifecycleEvent.Thawed, LifecycleEvent.Throttled,
            LifecycleEvent.Unthrottled, LifecycleEvent.Suspended, LifecycleEvent.Resumed, LifecycleEvent.Snapshotted,
            LifecycleEvent.Restored, LifecycleEvent.Shutdown];
        var records = events.Select((e, i) => new LifecycleRecord(start + TimeSpan.FromSeconds(i), "f#1", e));
        var segments = LifecycleLanes.Environment(records, 20);
        segments.Select(s => s.State).Distinct().Should()
            .BeEquivalentTo(["running", "frozen", "throttled", "suspended", "snapshotted", "shutting down"]);
        string[] states = [.. Sample.ServerCategories, "SYN_SENT", "ESTABLISHED"];
        var socketColours = states.Select(ChartStyle.StateColor).ToList();
        segments.Where(s => s.State != "running").Should().OnlyContain(s => s.Hatch != null);
        segments.Where(s => s.State == "running").Should().OnlyContain(s => !socketColours.Contains(s.Color));
    }

    [Fact]
    public void A_poolers_side_of_a_connection_is_drawn_on_its_server_lane()
    {
        // c1: api#1 to pgbouncer; c3: pgbouncer to db. Neither server is named "server".
        var run = ChartRuns.Of("pgbouncer-transaction-1000-clients.yaml");
        LifecycleLanes.Ends(run, "c1").Should().Be(("api#1", "pgbouncer"));
        LifecycleLanes.Ends(run, "c3").Should().Be(("pgbouncer", "db"));
        var chart = LifecycleChart.Draw(run);
        chart.Series["c1 server"].Should().HaveCountGreaterThan(0);
        chart.Series["c1 server"][0].Should().Be(run.Transitions.First(t => t.Connection == "c1" && t.Host == "pgbouncer").T.TotalSeconds);
        chart.Series["c3 server"][0].Should().Be(run.Transitions.First(t => t.Connection == "c3" && t.Host == "db").T.TotalSeconds);
    }
}
