using System.Globalization;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// A middlebox of the scenario as Linux conntrack in the router namespace. A flow is an entry; it lives while segments
/// pass and expires after the box's idle timeout (every TCP conntrack timeout that applies once the flow is set up is
/// set to it, since the model keeps a flow that saw a FIN until its idle timeout too). What the box does to a segment
/// of a flow it does not know (conntrack's `invalid`: with nf_conntrack_tcp_loose 0, any segment but a SYN) is the
/// preset's: drop silently, or reject with a RST to the sender or only to an inside sender. `pick up from inside`
/// (linux-conntrack with loose 1) is conntrack itself, with segments from the server side that would start a flow
/// dropped.
/// </summary>
public static class Conntrack
{
    /// <summary>The nftables ruleset of the router's forward hook.</summary>
    public static string Ruleset(MiddleboxSpec box)
    {
        string unknown = box.Profile.OnExpired switch
        {
            FlowAction.Drop => "ct state invalid drop",
            FlowAction.ResetSender => "ct state invalid meta l4proto tcp reject with tcp reset\n    ct state invalid drop",
            FlowAction.ResetInsideSender =>
                "iifname != \"srv\" ct state invalid meta l4proto tcp reject with tcp reset\n    ct state invalid drop",
            FlowAction.PickUpFromInside => "iifname \"srv\" ct state new tcp flags & syn != syn drop\n    ct state invalid drop",
            var other => throw new VerifyException($"verify cannot build a middlebox that does '{other}' with unknown flows"),
        };
        return $"table inet zs_middlebox {{\n  chain forward {{\n    type filter hook forward priority 0; policy accept;\n"
            + $"    {unknown}\n  }}\n}}\n";
    }

    /// <summary>The router namespace's conntrack sysctls (set after the ruleset has loaded conntrack).</summary>
    public static IReadOnlyList<(string Key, string Value)> Sysctls(MiddleboxSpec box)
    {
        var idle = box.Profile.IdleTimeout;
        if (idle.Ticks % TimeSpan.TicksPerSecond != 0)
            throw new VerifyException($"conntrack takes timeouts in whole seconds; the middlebox's idle timeout is {idle.TotalSeconds} s");
        string seconds = ((long)idle.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        bool loose = box.Profile.OnExpired == FlowAction.PickUpFromInside;
        return
        [
            ("net.netfilter.nf_conntrack_tcp_loose", loose ? "1" : "0"),
            .. new[] { "established", "fin_wait", "close_wait", "last_ack", "time_wait", "unacknowledged", "max_retrans" }
                .Select(s => ($"net.netfilter.nf_conntrack_tcp_timeout_{s}", seconds)),
        ];
    }
}
