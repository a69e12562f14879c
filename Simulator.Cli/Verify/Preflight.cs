using System.Globalization;
using System.Runtime.InteropServices;

namespace Zombiesim.Cli.Verify;

/// <summary>What the machine must offer before verify creates anything: Linux, root or CAP_NET_ADMIN with
/// CAP_SYS_ADMIN, and the tools (ip, nft, tc, sysctl, the server binary).</summary>
public static class Preflight
{
    private const int CapNetAdmin = 12, CapSysAdmin = 21;

    /// <summary>Why this machine cannot run verify, or null when it can (the tools aside).</summary>
    public static string? MachineRefusal()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            return $"verify builds network namespaces and needs Linux; this is {RuntimeInformation.OSDescription}";
        if (Libc.GetEuid() == 0)
            return null;
        ulong caps = EffectiveCapabilities();
        bool net = (caps & (1UL << CapNetAdmin)) != 0, sys = (caps & (1UL << CapSysAdmin)) != 0;
        return net && sys ? null
            : "verify needs root, or CAP_NET_ADMIN and CAP_SYS_ADMIN (missing: "
                + string.Join(", ", new[] { net ? null : "CAP_NET_ADMIN", sys ? null : "CAP_SYS_ADMIN" }.OfType<string>())
                + "); run it with sudo, or in a container started with --privileged or --cap-add NET_ADMIN --cap-add SYS_ADMIN";
    }

    /// <summary>The tools missing for <paramref name="serverBinary"/> (null: the built-in server), each with the Debian
    /// package that provides it.</summary>
    public static IReadOnlyList<string> MissingTools(string? serverBinary)
    {
        var needed = new List<(string Tool, string Package)>
        {
            ("ip", "iproute2"), ("tc", "iproute2"), ("nft", "nftables"), ("sysctl", "procps"),
        };
        if (serverBinary is not null)
            needed.AddRange(ServerBinaries.Needed(serverBinary));
        return needed.Where(n => ServerBinaries.Path(n.Tool) is null).Select(n => $"{n.Tool} (apt-get install {n.Package})")
            .Distinct().ToList();
    }

    /// <summary>Refuses (exit 2) with every reason at once.</summary>
    public static void Check(string? serverBinary)
    {
        if (MachineRefusal() is { } why)
            throw new VerifyException(why);
        var missing = MissingTools(serverBinary);
        if (missing.Count > 0)
            throw new VerifyException("verify needs tools that are not installed: " + string.Join(", ", missing));
    }

    private static ulong EffectiveCapabilities()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                return ulong.Parse(line["CapEff:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }
        return 0;
    }
}
