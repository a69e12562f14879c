using System.Runtime.CompilerServices;
using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Tests.World;

/// <summary>
/// A run remembers who was at each client address to its end (the server's sockets still name their peers), and a day
/// of a pooled fleet destroys thousands of environments: what a destroyed one held goes with it.
/// </summary>
public class DestroyedEnvironmentTests
{
    // One invocation opens three pooled connections; frozen at 1 s, the environment is reaped at 11 s.
    private static readonly Scenario Reaped = ScenarioLoader.Load("""
        name: reaped-pool
        horizon: 60s
        platform:
          freeze: { after: 1s, mode: process }
          reap: { after: 10s }
          coldStart: 0s
        functions:
          - name: fn
            parallel: 3
            client: { setupCost: 0s, pool: { max: 3 } }
        server:
          preset: generic
          idleTimeout: 0s
        traffic:
          - function: fn
            at: [0s]
        """, "reaped-pool.yaml");

    private sealed class Capture(Func<Zombiesim.Core.Worlds.World> world) : IRunObserver
    {
        public Peer? Peer;
        public Zombiesim.Core.Platforms.Environment? Environment;

        public void OnLifecycle(LifecycleRecord l)
        {
            if (l.Event != LifecycleEvent.ColdStart)
                return;
            var platform = world().Census.Platform;
            Peer = platform.PeerAt(platform.AddressOf(l.Environment)!.Value);
            Environment = Peer!.Live;
        }
    }

    [Fact]
    public void A_destroyed_environments_address_keeps_only_its_name_and_function()
    {
        Zombiesim.Core.Worlds.World? world = null;
        var capture = new Capture(() => world!);
        var rec = new RunRecorder();
        Simulation.Run(Reaped, null, null, w => world = w, [capture, rec]).Summary.Destroyed.Should().Be(1);

        rec.Transitions.Count(t => t.Host == "fn#1" && t.To == Zombiesim.Tcp.TcpState.Established).Should()
            .Be(3, "it held three pooled connections when it was reaped (what the world must not keep)");
        var peer = capture.Peer!;
        (peer.Name, peer.Function.Spec.Name, peer.State, peer.Live).Should().Be(("fn#1", "fn", EnvironmentState.Destroyed, null));
    }

    [Fact]
    public void Nothing_of_the_world_keeps_a_destroyed_environment_alive()
    {
        Zombiesim.Core.Worlds.World? world = null;
        var gone = RunKeepingOnlyAWeakReference(w => world = w);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        world.Should().NotBeNull("the world itself is still held");
        gone.IsAlive.Should().BeFalse("the platform keeps only the destroyed environment's name and function");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference RunKeepingOnlyAWeakReference(Action<Zombiesim.Core.Worlds.World> attach)
    {
        Zombiesim.Core.Worlds.World? world = null;
        var capture = new Capture(() => world!);
        Simulation.Run(Reaped, null, null, w => { world = w; attach(w); }, [capture]);
        var weak = new WeakReference(capture.Environment);
        capture.Environment = null;
        return weak;
    }
}
