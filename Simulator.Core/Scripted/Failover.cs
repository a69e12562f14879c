using Zombiesim.Core.Engine;
using Zombiesim.Core.Network;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;

namespace Zombiesim.Core.Scripted;

/// <summary>
/// A failover of a server: at its instant the old node fails (it reboots without its connections, is
/// gone, or is demoted to a read-only replica); after the delay the standby is promoted, listens, and
/// the server's name points to it. Connections a client cached to the old node stay where they are;
/// a connection opened after the name moved goes to the new node once the client's resolver has
/// let its previous answer expire (the record's TTL).
/// </summary>
internal static class Failover
{
    /// <summary>The name of the node a failover of <paramref name="server"/> promotes.</summary>
    public static string StandbyName(string server) => Scenario.StandbyName(server);

    public static void Schedule(EventSpec e, Clock clock, ServerApp old, ServerApp standby, Names names, IRunObserver observer)
    {
        names.WillMove(old.Endpoint, e.DnsTtl);
        clock.Schedule(e.At, () => old.FailOver(e.OldNode));
        clock.Schedule(e.Until, () =>
        {
            standby.Start();
            names.Move(old.Endpoint, standby.Endpoint);
            observer.OnNote(new NoteRecord(clock.Now, standby.Host.Name,
                $"failover: {standby.Host.Name} is promoted and listens; the name {old.Host.Name} points to it "
                    + $"(answers kept {DurationText.Format(e.DnsTtl)})", NoteKind.Failover));
        });
    }
}
