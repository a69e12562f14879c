using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Zombiesim.Tcp;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// The scenario's network built from real parts: a network namespace for the server (the pooler, when there is one),
/// one per environment, one for a router when there is a middlebox and one for the database behind a pooler; veth
/// links with `tc netem` delay (the one-way latency, on each side's egress); static neighbours (a frozen namespace
/// answers no ARP); each host's sysctls; the middlebox as conntrack with its idle timeout in the router. Freezing a
/// paused VM and destroying an environment are nftables tables at netdev ingress on both ends of the environment's
/// link. Everything is named with a per-run prefix (`zs` and four hex
/// digits) and removed by <see cref="Dispose"/>, or by <see cref="CleanUpLeftovers"/> after a crash.
/// </summary>
public sealed partial class RealWorld : IDisposable
{
    private static readonly HashSet<RealWorld> Live = [];
    private readonly List<string> _namespaces = [];
    private readonly bool _router;
    private bool _disposed;

    private RealWorld(string prefix, bool router)
    {
        Prefix = prefix;
        _router = router;
    }

    public string Prefix { get; }
    public string ServerNamespace => $"{Prefix}-srv";
    public string RouterNamespace => $"{Prefix}-rt";
    public string EnvironmentNamespace(int k) => $"{Prefix}-e{k}";

    /// <summary>The database's namespace behind a pooler, which runs in the server's.</summary>
    public string DatabaseNamespace => $"{Prefix}-db";

    /// <summary>The database's address on its link to the pooler.</summary>
    public static readonly IPAddress DatabaseAddress = IPAddress.Parse("10.202.0.2");

    /// <summary>The address the environments connect to.</summary>
    public IPAddress ServerAddress(int k) => _router ? IPAddress.Parse("10.201.0.2") : IPAddress.Parse($"10.200.{k}.1");

    public static IPAddress EnvironmentAddress(int k) => IPAddress.Parse($"10.200.{k}.2");

    /// <summary>Builds the namespaces and links for <paramref name="environments"/> environments. On any failure what
    /// was made is removed before the error goes on.</summary>
    public static RealWorld Build(VerifyPlan plan, IReadOnlyList<EnvironmentPlan> environments)
    {
        if (environments.Count is < 1 or > 250)
            throw new VerifyException($"verify supports 1 to 250 environments; the model's run has {environments.Count}");
        var world = new RealWorld($"zs{Random.Shared.Next(0x10000):x4}", plan.Middlebox is not null);
        lock (Live)
            Live.Add(world);
        try
        {
            world.Create(plan, environments);
            return world;
        }
        catch
        {
            world.Dispose();
            throw;
        }
    }

    private void Create(VerifyPlan plan, IReadOnlyList<EnvironmentPlan> environments)
    {
        AddNamespace(ServerNamespace);
        Sysctl(ServerNamespace, RealSysctls.For(plan.Scenario.Server.Host));
        string latency = plan.LatencyMicroseconds.ToString(CultureInfo.InvariantCulture) + "us";
        if (_router)
        {
            AddNamespace(RouterNamespace);
            Link(ServerNamespace, "eth0", "10.201.0.2", RouterNamespace, "srv", "10.201.0.1", 0xfe);
            Shell.Run("ip", "-n", ServerNamespace, "route", "add", "10.200.0.0/16", "via", "10.201.0.1");
            Netem(ServerNamespace, "eth0", latency);
            Sysctl(RouterNamespace, [("net.ipv4.ip_forward", "1")]);
            Shell.RunWithInput(Conntrack.Ruleset(plan.Middlebox!), "ip", "netns", "exec", RouterNamespace, "nft", "-f", "-");
            Sysctl(RouterNamespace, Conntrack.Sysctls(plan.Middlebox!));
        }
        if (plan.Pooler is not null)
        {
            // The model's pooler has a path of its own to its upstream, with the scenario's latency and no middlebox.
            AddNamespace(DatabaseNamespace);
            Sysctl(DatabaseNamespace, RealSysctls.For(plan.Database.Host));
            Link(ServerNamespace, "db", "10.202.0.1", DatabaseNamespace, "eth0", DatabaseAddress.ToString(), 0xfd);
            Netem(ServerNamespace, "db", latency);
            Netem(DatabaseNamespace, "eth0", latency);
        }
        foreach (var env in environments)
        {
            int k = env.Index;
            string ns = EnvironmentNamespace(k);
            AddNamespace(ns);
            string peerNs = _router ? RouterNamespace : ServerNamespace;
            Link(ns, "eth0", $"10.200.{k}.2", peerNs, $"v{k}", $"10.200.{k}.1", k);
            if (_router)
                Shell.Run("ip", "-n", ns, "route", "add", "default", "via", $"10.200.{k}.1");
            else
                Netem(ServerNamespace, $"v{k}", latency);
            Netem(ns, "eth0", latency);
            Sysctl(ns, RealSysctls.For(env.Function.Host));
        }
    }

    private void AddNamespace(string name)
    {
        Shell.Run("ip", "netns", "add", name);
        _namespaces.Add(name);
        Shell.Run("ip", "-n", name, "link", "set", "lo", "up");
    }

    /// <summary>A veth pair between two namespaces, addressed in a /24, up, with static neighbours both ways.</summary>
    private static void Link(string nsA, string nameA, string ipA, string nsB, string nameB, string ipB, int k)
    {
        string macA = $"02:5a:00:00:{k:x2}:02", macB = $"02:5a:00:00:{k:x2}:01";
        Shell.Run("ip", "link", "add", nameA, "address", macA, "netns", nsA, "type", "veth", "peer", "name", nameB, "address", macB,
            "netns", nsB);
        Shell.Run("ip", "-n", nsA, "addr", "add", ipA + "/24", "dev", nameA);
        Shell.Run("ip", "-n", nsB, "addr", "add", ipB + "/24", "dev", nameB);
        Shell.Run("ip", "-n", nsA, "link", "set", nameA, "up");
        Shell.Run("ip", "-n", nsB, "link", "set", nameB, "up");
        Shell.Run("ip", "-n", nsA, "neigh", "replace", ipB, "lladdr", macB, "dev", nameA, "nud", "permanent");
        Shell.Run("ip", "-n", nsB, "neigh", "replace", ipA, "lladdr", macA, "dev", nameB, "nud", "permanent");
    }

    /// <summary>False when the kernel has no netem (CONFIG_NET_SCH_NETEM): the path then has the veth's own latency
    /// (microseconds) instead of the scenario's, and the diff allows for the difference.</summary>
    public bool LatencyEmulated { get; private set; } = true;

    private void Netem(string ns, string device, string latency)
    {
        if (latency == "0us" || !LatencyEmulated)
            return;
        var (code, _, error) = Shell.Try("tc", ["-n", ns, "qdisc", "add", "dev", device, "root", "netem", "delay", latency]);
        if (code != 0 && error.Contains("unknown", StringComparison.OrdinalIgnoreCase))
            LatencyEmulated = false;
        else if (code != 0)
            throw new VerifyException($"tc netem on {device} in {ns} failed: {error.Trim()}");
    }

    private static void Sysctl(string ns, IReadOnlyList<(string Key, string Value)> values)
    {
        if (values.Count > 0)
            Shell.Run("ip", ["netns", "exec", ns, "sysctl", "-q", "-w", .. values.Select(v => $"{v.Key}={v.Value}")]);
    }

    /// <summary>Drops everything on environment <paramref name="k"/>'s link, both ways, at netdev ingress on each end:
    /// the environment neither receives nor sends. <paramref name="tag"/> names the table (freeze or destroy).</summary>
    public void Cut(int k, string tag)
    {
        CutInbound(k, tag);
        CutOutbound(k, tag);
    }

    /// <summary>Drops what environment <paramref name="k"/> receives (netdev ingress of its own end of the link).</summary>
    public void CutInbound(int k, string tag) =>
        Shell.RunWithInput(DropTable($"zs_{tag}", "eth0"), "ip", "netns", "exec", EnvironmentNamespace(k), "nft", "-f", "-");

    /// <summary>Drops what environment <paramref name="k"/> sends (netdev ingress of the link's other end).</summary>
    public void CutOutbound(int k, string tag) => Shell.RunWithInput(DropTable($"zs_{tag}_e{k}", $"v{k}"), "ip", "netns", "exec",
        _router ? RouterNamespace : ServerNamespace, "nft", "-f", "-");

    /// <summary>Removes the drops <see cref="Cut"/> made with <paramref name="tag"/>.</summary>
    public void Restore(int k, string tag)
    {
        string peerNs = _router ? RouterNamespace : ServerNamespace;
        Shell.Run("ip", "netns", "exec", EnvironmentNamespace(k), "nft", "delete", "table", "netdev", $"zs_{tag}");
        Shell.Run("ip", "netns", "exec", peerNs, "nft", "delete", "table", "netdev", $"zs_{tag}_e{k}");
    }

    /// <summary>A scripted partition: every path drops everything both ways, at netdev ingress and egress of the server's
    /// end of every link (the router's link with a middlebox), so what the server sends is dropped as it is sent and what
    /// an environment sends as it arrives (within the one-way latency of the model's drop at sending).</summary>
    public void Partition(IEnumerable<int> environments)
    {
        string devices = _router ? "\"eth0\"" : string.Join(", ", environments.Select(k => $"\"v{k}\""));
        string Chain(string name, string hook) =>
            $"  chain {name} {{\n    type filter hook {hook} devices = {{ {devices} }} priority -500; policy drop;\n  }}\n";
        Shell.RunWithInput("table netdev zs_partition {\n" + Chain("in", "ingress") + Chain("out", "egress") + "}\n",
            "ip", "netns", "exec", ServerNamespace, "nft", "-f", "-");
    }

    /// <summary>The partition heals: its drops are removed.</summary>
    public void Heal() => Shell.Run("ip", "netns", "exec", ServerNamespace, "nft", "delete", "table", "netdev", "zs_partition");

    private static string DropTable(string table, string device) =>
        $"table netdev {table} {{\n  chain ingress {{\n    type filter hook ingress device \"{device}\" priority -500; policy drop;\n"
        + "  }\n}\n";

    /// <summary>Kills every process left in this run's namespaces, then deletes them (their links, qdiscs and nftables
    /// tables go with them).</summary>
    public void Dispose()
    {
        lock (Live)
        {
            if (_disposed)
                return;
            _disposed = true;
            Live.Remove(this);
        }
        foreach (var ns in _namespaces)
            RemoveNamespace(ns);
    }

    /// <summary>Disposes every world of this process (a termination signal arrived).</summary>
    public static void DisposeAll()
    {
        RealWorld[] all;
        lock (Live)
            all = Live.ToArray();
        foreach (var w in all)
            w.Dispose();
    }

    private static void RemoveNamespace(string ns)
    {
        var (_, pids, _) = Shell.Try("ip", ["netns", "pids", ns]);
        foreach (var pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (int.TryParse(pid.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int p))
            {
                Libc.Signal(p, Libc.SigKill);
                Libc.Signal(p, Libc.SigCont);
            }
        }
        Shell.Try("ip", ["netns", "delete", ns]);
    }

    /// <summary>Removes what earlier runs left (a crash, a kill -9): every namespace named like this run's.
    /// Returns their names.</summary>
    public static IReadOnlyList<string> CleanUpLeftovers()
    {
        var (_, list, _) = Shell.Try("ip", ["netns", "list"]);
        var ours = list.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0])
            .Where(n => OurNamespace().IsMatch(n)).ToList();
        foreach (var ns in ours)
            RemoveNamespace(ns);
        return ours;
    }

    [GeneratedRegex("^zs[0-9a-f]{4}-(srv|rt|db|e[0-9]+)$")]
    private static partial Regex OurNamespace();
}

/// <summary>The sysctls of a host as `sysctl -w` pairs: every one the model knows, set explicitly (a new namespace starts
/// from the kernel's defaults, which are not always the model's: tcp_syn_linear_timeouts is 4 on Linux 6.5+, 0 in the
/// classic profile). A sysctl this kernel lacks is skipped when the scenario leaves it at the model's default, and is
/// an error otherwise.</summary>
public static class RealSysctls
{
    public static IReadOnlyList<(string Key, string Value)> For(Sysctls s)
    {
        var d = new Sysctls();
        var list = new List<(string, string)>();
        void Add(string key, object value, object fallback)
        {
            string name = $"net.ipv4.{key}";
            if (!File.Exists("/proc/sys/net/ipv4/" + key))
            {
                if (Equals(value, fallback))
                    return;
                throw new VerifyException($"the scenario sets {name} to {value}, but this kernel has no such sysctl");
            }
            list.Add((name, Convert.ToString(value, CultureInfo.InvariantCulture)!));
        }
        Add("tcp_fin_timeout", Seconds(s.TcpFinTimeout), Seconds(d.TcpFinTimeout));
        Add("tcp_retries2", s.TcpRetries2, d.TcpRetries2);
        Add("tcp_syn_retries", s.TcpSynRetries, d.TcpSynRetries);
        Add("tcp_synack_retries", s.TcpSynackRetries, d.TcpSynackRetries);
        Add("tcp_orphan_retries", s.TcpOrphanRetries, d.TcpOrphanRetries);
        Add("tcp_keepalive_time", Seconds(s.TcpKeepaliveTime), Seconds(d.TcpKeepaliveTime));
        Add("tcp_keepalive_intvl", Seconds(s.TcpKeepaliveIntvl), Seconds(d.TcpKeepaliveIntvl));
        Add("tcp_keepalive_probes", s.TcpKeepaliveProbes, d.TcpKeepaliveProbes);
        Add("tcp_syn_linear_timeouts", s.TcpSynLinearTimeouts, d.TcpSynLinearTimeouts);
        Add("tcp_pingpong_thresh", s.TcpPingpongThresh, d.TcpPingpongThresh);
        Add("tcp_rto_min_us", (long)s.TcpRtoMin.TotalMicroseconds, (long)d.TcpRtoMin.TotalMicroseconds);
        Add("tcp_rto_max_ms", (long)s.TcpRtoMax.TotalMilliseconds, (long)d.TcpRtoMax.TotalMilliseconds);
        return list;
    }

    private static long Seconds(TimeSpan t) => t.Ticks % TimeSpan.TicksPerSecond == 0
        ? (long)t.TotalSeconds
        : throw new VerifyException($"a real kernel takes this sysctl in whole seconds, not {t.TotalSeconds} s");
}
