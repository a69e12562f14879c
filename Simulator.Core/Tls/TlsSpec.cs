using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Tls;

/// <summary>Which TLS handshake a server runs: a full TLS 1.2 handshake takes two round trips before the
/// client's first data (RFC 5246 §7.3, Figure 1), a full TLS 1.3 handshake one (RFC 8446 §2, Figure 1).</summary>
public enum TlsVersion { Tls12, Tls13 }

/// <summary>
/// A server's TLS: the handshake's version, and the CPU the client spends on it (key exchange,
/// certificate chain verification, key schedule) on one full vCPU. A client with less than a vCPU
/// (Lambda below 1,769 MB: CPU in proportion to memory) takes proportionally longer.
/// </summary>
public sealed record TlsSpec(TlsVersion Version, TimeSpan ClientCpu)
{
    /// <summary>FOLK: no published measurement of a client's full handshake on Lambda; a parameter.</summary>
    public static readonly TimeSpan DefaultClientCpu = TimeSpan.FromMilliseconds(1);

    /// <summary>Lambda's memory at which a function has one full vCPU (AWS Lambda developer guide, "Memory and computing power").</summary>
    public const int FullVcpuMemoryMb = 1769;

    /// <summary>The client's handshake CPU time in a function of <paramref name="memoryMb"/>: the time on one vCPU,
    /// stretched by 1,769 / memory below a full vCPU.</summary>
    public TimeSpan ClientCpuAt(int memoryMb) => memoryMb >= FullVcpuMemoryMb || memoryMb <= 0
        ? ClientCpu
        : TimeSpan.FromTicks((long)Math.Round(ClientCpu.Ticks * (double)FullVcpuMemoryMb / memoryMb));

    internal static TlsSpec Read(Reader r)
    {
        var version = r.Choice("version", TlsVersion.Tls13, "1.3: one round trip before the first command (RFC 8446); "
            + "1.2: two (RFC 5246, full handshake)",
            new Dictionary<string, TlsVersion> { ["1.3"] = TlsVersion.Tls13, ["1.2"] = TlsVersion.Tls12 });
        var cpu = r.Duration("clientCpu", DefaultClientCpu,
            "the client's CPU for one full handshake on one vCPU (FOLK: 1ms); a Lambda function below 1,769 MB takes "
                + "1,769 / memory times as long");
        if (r.SchemaOnly)
            return null!;
        return new TlsSpec(version, cpu);
    }
}
