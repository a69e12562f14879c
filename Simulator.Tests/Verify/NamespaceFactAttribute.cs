using Xunit;
using Zombiesim.Cli.Verify;

namespace Zombiesim.Tests.Verify;

/// <summary>A test that builds network namespaces: it runs where the machine allows them (Linux, root or the two
/// capabilities, `ip netns add` works, ip, tc, nft and the server's programs installed: redis-server, or the
/// server named: postgres, mariadbd) and is skipped with the reason otherwise.</summary>
public sealed class NamespaceFactAttribute : FactAttribute
{
    private static readonly string? Reason = Probe();

    public NamespaceFactAttribute(string server = "redis-server")
    {
        var missing = Preflight.MachineRefusal() is null ? Preflight.MissingTools(server) : [];
        if (Reason is not null)
            Skip = Reason;
        else if (missing.Count > 0)
            Skip = "needs " + string.Join(", ", missing);
    }

    private static string? Probe()
    {
        if (Preflight.MachineRefusal() is { } why)
            return why;
        string probe = $"zsprobe-{Environment.ProcessId}";
        try
        {
            var (code, _, error) = Shell.Try("ip", ["netns", "add", probe]);
            return code == 0 ? null : $"`ip netns add` is not allowed here: {error.Trim()}";
        }
        finally
        {
            Shell.Try("ip", ["netns", "delete", probe]);
        }
    }
}
