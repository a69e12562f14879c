using Zombiesim.Core.Presets;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Network;

/// <summary>The middlebox presets (`network.middleboxes[].preset`), each with its source.
/// docs/model.md shows this table.</summary>
public static class MiddleboxPresets
{
    /// <summary>A row whose profile carries the preset's name as its kind (traces name the box by it).</summary>
    private static Preset<MiddleboxProfile> Row(string name, int idleSeconds, FlowAction onExpired, FlowAction onUnknown, string citation,
        string summary) =>
        new(name, new MiddleboxProfile(name, TimeSpan.FromSeconds(idleSeconds), onExpired, onUnknown),
            new Source(SourceKind.Doc, citation), summary);

    public static PresetTable<MiddleboxProfile> Table { get; } = new("middlebox",
    [
        Row("aws-nat-gateway", 350, FlowAction.ResetInsideSender, FlowAction.ResetInsideSender,
            "AWS NAT gateway docs: 350 s idle timeout, then \"returns an RST packet to any resources behind "
                + "the NAT gateway that attempt to continue the connection (it does not send a FIN packet)\"",
            "350 s; then RST to the inside host that continues; outside segments dropped; no FIN"),
        Row("aws-nlb", 350, FlowAction.ResetSender, FlowAction.ResetSender,
            "AWS Network Load Balancer docs (TCP listeners): idle timeout 350 s (60-6000 s); "
                + "a client or target that sends after it receives a RST",
            "350 s; then RST to whoever sends"),
        Row("stateful-firewall", 350, FlowAction.Drop, FlowAction.Drop,
            "AWS Network Firewall docs: 350 s idle timeout; segments of unknown flows are dropped silently",
            "350 s; then dropped silently"),
        Row("azure-load-balancer", 240, FlowAction.Drop, FlowAction.Drop,
            "Azure Load Balancer docs: idle timeout 4 min (4-100), silent drop unless TCP reset is on (the optional reset is not modelled)",
            "240 s; then dropped silently"),
        Row("linux-conntrack", 432000, FlowAction.PickUpFromInside, FlowAction.PickUpFromInside,
            "Linux nf_conntrack (Documentation/networking/nf_conntrack-sysctl.rst, net/netfilter/nf_conntrack_proto_tcp.c, 6.18): "
            + "nf_conntrack_tcp_timeout_established 432000 s (5 days); nf_conntrack_tcp_loose 1 picks up a mid-stream ACK as a new "
            + "flow (tcp_new, \"sNO -> sES Assumed\"); an expired entry is removed when the next segment arrives",
            "432000 s (5 days); then, with loose 1 (default), a segment from the inside that carries only ACK starts a new flow "
            + "and passes, the rest is dropped silently; with loose 0 everything is dropped silently"),
    ]);
}
