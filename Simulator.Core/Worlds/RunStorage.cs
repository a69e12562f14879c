using Zombiesim.Core.Engine;
using Zombiesim.Core.Network;
using Zombiesim.Core.Observation;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Worlds;

/// <summary>
/// The storage a thread keeps from one run to the next: the engine's queue and event slots, its one-off actions, the
/// segments in flight, the TCP hosts' output batches and the latency histogram. A search's small run would otherwise
/// spend half of what it allocates on them, and its workers would wait on the collector. Each run empties it first
/// and then behaves as with storage of its own (tests hold this); none of it reaches a run's records. It serves one
/// run at a time: give each thread its own.
/// </summary>
public sealed class RunStorage
{
    private int _running;

    internal Scheduler Engine { get; } = new(initialCapacity: 128); // grows as needed; most runs keep few events pending
    internal SlotPool<Action> Actions { get; } = new();
    internal SlotPool<NetworkDriver.InFlight> Segments { get; } = new();
    internal TcpOutputStorage Outputs { get; } = new();
    internal LatencyHistogram Latency { get; } = new();

    /// <summary>Empties everything for a run, which must end (<see cref="End"/>) before the next begins.</summary>
    internal void Begin()
    {
        if (Interlocked.Exchange(ref _running, 1) != 0)
            throw new InvalidOperationException("a run storage serves one run at a time: give each thread its own");
        Engine.Reset();
        Actions.Clear();
        Segments.Clear();
        Outputs.Reclaim();
        Latency.Clear();
    }

    internal void End() => Volatile.Write(ref _running, 0);
}
