using System.Globalization;
using System.Text;
using FluentAssertions;
using Xunit;
using Zombiesim.Cli.Runs;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Tests.World;

/// <summary>
/// A search's worker runs world after world on one <see cref="RunStorage"/>: whatever ran on it before, a run must
/// produce what it produces on storage of its own, record for record (what leaks between runs, a pending event, a
/// slot's generation, a latency, a segment in flight, an output batch, would show here).
/// </summary>
public class RunStorageTests
{
    // Small and large worlds, with poolers, failovers, partitions, middleboxes, several servers, Poisson fleets.
    private static readonly string[] Mixed =
    [
        "pgbouncer-transaction-1000-clients.yaml", "upstash-2020-310s.yaml", "fleet-reuse-vs-per-invocation.yaml",
        "connection-storm-backlog.yaml", "aurora-failover-cached-connection.yaml", "nat-gateway.yaml", "two-servers-cache-and-db.yaml",
        "azure-load-balancer-idle-drop.yaml", "upstash-2020-etimedout.yaml",
    ];

    [Fact]
    public void A_small_run_after_a_large_one_on_the_same_storage_equals_the_small_run_alone()
    {
        var large = Load("pgbouncer-transaction-1000-clients.yaml");
        var small = Load("upstash-2020-310s.yaml");
        var storage = new RunStorage();

        string alone = Trace(small, 7, null);
        Trace(large, 1, storage);
        string after = Trace(small, 7, storage);

        after.Should().Be(alone);
        alone.Should().Contain("request ").And.Contain("transition ").And.Contain("segment "); // the trace holds what a run did
    }

    [Fact]
    public void A_large_run_after_a_small_one_on_the_same_storage_equals_the_large_run_alone()
    {
        var large = Load("fleet-reuse-vs-per-invocation.yaml");
        var small = Load("upstash-2020-vm.yaml");
        var storage = new RunStorage();

        Trace(small, 3, storage);
        Trace(small, 4, storage);
        Trace(large, 1, storage).Should().Be(Trace(large, 1, null));
    }

    [Fact]
    public void Runs_of_different_scenarios_one_after_another_on_one_storage_each_equal_the_run_alone()
    {
        var storage = new RunStorage();
        foreach (string name in Mixed.Concat(Mixed.Reverse()))
        {
            var scenario = Load(name);
            Trace(scenario, null, storage).Should().Be(Trace(scenario, null, null), $"{name} ran after others on the same storage");
        }
    }

    [Fact]
    public void A_search_point_replications_on_one_storage_each_equal_the_replication_alone()
    {
        var scenario = Load("search-upstash-idle-timeout.yaml");
        var storage = new RunStorage();
        for (ulong seed = 1; seed <= 20; seed++)
            Trace(scenario, seed, storage).Should().Be(Trace(scenario, seed, null), $"seed {seed} ran after seeds 1 to {seed - 1}");
    }

    [Fact]
    public void A_storage_refuses_a_second_run_while_one_is_in_progress()
    {
        var scenario = Load("upstash-2020-310s.yaml");
        var storage = new RunStorage();
        var inner = new Inner(() => Simulation.Run(scenario, 1, storage));

        var act = () => Simulation.Run(scenario, 1, storage, inner);

        act.Should().Throw<InvalidOperationException>().WithMessage("a run storage serves one run at a time*");
        Trace(scenario, 1, storage).Should().Be(Trace(scenario, 1, null)); // and serves the next run once that one ended
    }

    private static Scenario Load(string name) => ScenarioLoader.LoadFile(Scenarios.File(name));

    /// <summary>Every record of the run in order, then its summary, expectations and event count, as text.</summary>
    private static string Trace(Scenario scenario, ulong? seed, RunStorage? storage)
    {
        var trace = new Tracer();
        var outcome = storage is null ? Simulation.Run(scenario, seed, trace) : Simulation.Run(scenario, seed, storage, trace);
        var s = outcome.Summary;
        var text = trace.Text;
        text.AppendLine(CultureInfo.InvariantCulture,
            $"events {outcome.Events} seed {outcome.Seed} requests {s.Requests} errors {s.Errors}");
        text.AppendLine($"outcomes {string.Join(", ", s.Outcomes.Select(kv => $"{kv.Key.Name()} {kv.Value}"))}");
        var errors = s.ErrorsByErrnoAndOrigin.Select(kv => $"{RunSummary.ErrorName(kv.Key.Outcome, kv.Key.Origin)} {kv.Value}");
        text.AppendLine($"errors {string.Join(", ", errors)}");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"latency {s.Latency.Count} {s.Latency.Quantile(0.5):R} {s.Latency.Quantile(0.99):R} {s.Latency.Quantile(1):R}");
        text.AppendLine(CultureInfo.InvariantCulture, $"peak {s.PeakServerConnections} zombies {s.PeakZombies} {s.ZombieSeconds:R} "
            + $"cold {s.ColdStarts} destroyed {s.Destroyed} {string.Join(",", s.PerServer)}");
        foreach (var e in outcome.Expectations)
            text.AppendLine($"expect {e.Text} {e.Met} {e.Actual}");
        return text.ToString();
    }

    private sealed class Tracer : IRunObserver
    {
        public readonly StringBuilder Text = new();
        public bool WantsTransitions => true;
        public bool WantsSegments => true;
        public void OnRequest(RequestRecord r) => Text.Append("request ").AppendLine(RecordJson.Request(r).ToJsonString());
        public void OnTransition(TransitionRecord t) => Text.Append("transition ").AppendLine(RecordJson.Transition(t).ToJsonString());
        public void OnSegment(SegmentRecord s) => Text.Append("segment ").AppendLine(RecordJson.Segment(s).ToJsonString());
        public void OnLifecycle(LifecycleRecord l) => Text.Append("lifecycle ").AppendLine(RecordJson.Lifecycle(l).ToJsonString());
        public void OnNote(NoteRecord n) => Text.Append("note ").AppendLine(RecordJson.Note(n).ToJsonString());
        public void OnIncident(string c, Incident i) => Text.Append("incident ").Append(c).Append(' ').AppendLine(i.ToString());

        public void OnSample(Sample s) => Text.AppendLine(CultureInfo.InvariantCulture,
            $"sample {s.T.Ticks} {s.Repeated} {string.Join(",", s.Server.Values)} {string.Join(",", s.Client.Values)} {s.EnvironmentsBusy} "
            + $"{s.EnvironmentsIdle} {s.EnvironmentsFrozen} {s.Rejections} {s.Evictions} {s.Throttles}");
    }

    /// <summary>Starts another run when the first request ends.</summary>
    private sealed class Inner(Action run) : IRunObserver
    {
        public void OnRequest(RequestRecord r) => run();
    }
}
