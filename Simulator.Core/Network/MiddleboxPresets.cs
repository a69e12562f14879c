using Zombiesim.Core.Presets;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Network;

/// <summary>The middlebox presets (`network.middleboxes[].preset`), each with its source.
/// docs/model.md shows this table.</summary>
public static class MiddleboxPresets
{
    private static TimeSpan S(int seconds) => TimeSpan.FromSeconds(seconds);

    public static PresetTable<MiddleboxProfile> Table { get; } = new("middlebox",
    [
        new("aws-nat-gateway", new("aws-nat-gateway", S(350), FlowAction.ResetInsideSender, FlowAction.ResetInsideSender),
            new(SourceKind.Doc, "AWS NAT gateway docs: 350 s idle timeout, then \"returns an RST packet to any resources behind the NAT gateway that attempt to continue the connection (it does not send a FIN packet)\""),
            "350 s; then RST to the inside host that continues; outside segments dropped; no FIN"),
        new("aws-nlb", new("aws-nlb", S(350), FlowAction.ResetSender, FlowAction.ResetSender),
            new(SourceKind.Doc, "AWS Network Load Balancer docs (TCP listeners): idle timeout 350 s (60-6000 s); a client or target that sends after it receives a RST"),
            "350 s; then RST to whoever sends"),
        new("stateful-firewall", new("stateful-firewall", S(350), FlowAction.Drop, FlowAction.Drop),
            new(SourceKind.Doc, "AWS Network Firewall docs: 350 s idle timeout; segments of unknown flows are dropped silently"),
            "350 s; then dropped silently"),
        new("azure-load-balancer", new("azure-load-balancer", S(240), FlowAction.Drop, FlowAction.Drop),
            new(SourceKind.Doc, "Azure Load Balancer docs: idle timeout 4 min (4-100), silent drop unless TCP reset is on (the optional reset is not modelled)"),
            "240 s; then dropped silently"),
    ]);
}
