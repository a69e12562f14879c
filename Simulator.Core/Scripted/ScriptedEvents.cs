using Zombiesim.Core.Engine;
using Zombiesim.Core.Network;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;

namespace Zombiesim.Core.Scripted;

/// <summary>The scenario's scripted events: partitions of the path, redeploys of a function and
/// restarts of the server, each at its instant.</summary>
internal static class ScriptedEvents
{
    public static void Schedule(IReadOnlyList<EventSpec> events, Clock clock, Topology topology, Platform platform, ServerApp server,
        IRunObserver observer)
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
                            $"partition: the path drops everything until {Instant.Format(e.Until)}"));
                    });
                    clock.Schedule(e.Until, () =>
                    {
                        topology.Partitioned = false;
                        observer.OnNote(new NoteRecord(clock.Now, "network", "partition healed"));
                    });
                    break;
                case EventKind.Redeploy:
                    clock.Schedule(e.At, () => platform.Function(e.Function!).Redeploy());
                    break;
                case EventKind.ServerRestart:
                    clock.Schedule(e.At, () => server.Restart(e.Until));
                    break;
            }
        }
    }
}
