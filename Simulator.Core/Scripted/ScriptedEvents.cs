using Zombiesim.Core.Engine;
using Zombiesim.Core.Network;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;

namespace Zombiesim.Core.Scripted;

/// <summary>The scenario's scripted events: partitions of the path, redeploys of a function,
/// restarts and failovers of a server, each at its instant.</summary>
internal static class ScriptedEvents
{
    /// <summary>Schedules each event; <paramref name="server"/> finds the server an event names (null: the
    /// first), <paramref name="standby"/> the node a failover of it promotes.</summary>
    public static void Schedule(IReadOnlyList<EventSpec> events, Clock clock, Topology topology, Platform platform,
        Func<string?, ServerApp> server, Func<string?, ServerApp> standby, IRunObserver observer)
    {
        foreach (var e in events)
        {
            switch (e.Kind)
            {
                case EventKind.Partition:
                    clock.Schedule(e.At, () =>
                    {
                        topology.Partitioned = true;
                        observer.OnNote(new NoteRecord(clock.Now, "network",
                            $"partition: the path drops everything until {Instant.Format(e.Until)}", NoteKind.Partition));
                    });
                    clock.Schedule(e.Until, () =>
                    {
                        topology.Partitioned = false;
                        observer.OnNote(new NoteRecord(clock.Now, "network", "partition healed", NoteKind.PartitionHealed));
                    });
                    break;
                case EventKind.Redeploy:
                    clock.Schedule(e.At, () => platform.Function(e.Function!).Redeploy());
                    break;
                case EventKind.ServerRestart:
                    var restarted = server(e.Server);
                    clock.Schedule(e.At, () => restarted.Restart(e.Until));
                    break;
                case EventKind.Failover:
                    Failover.Schedule(e, clock, server(e.Server), standby(e.Server), platform.Names, observer);
                    break;
            }
        }
    }
}
