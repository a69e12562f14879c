using Zombiesim.Tcp;

namespace Zombiesim.Core.Platforms;

/// <summary>
/// The most outbound connections one instance may hold, as a platform's sandbox counts them (Azure
/// Functions, Consumption plan: 600 active, 1,200 in all). Past either, connect() fails at once
/// with EACCES and nothing is sent. How the sandbox counts is not documented (FOLK): here
/// <see cref="Active"/> counts the sockets the application holds open (SYN_SENT to CLOSE_WAIT) and
/// <see cref="Total"/> every socket the kernel still has, TIME_WAIT and closing ones included.
/// Zero is no limit.
/// </summary>
public sealed record OutboundLimit(int Active, int Total)
{
    /// <summary>No limit on either count.</summary>
    public static readonly OutboundLimit None = new(0, 0);

    public bool IsNone => Active == 0 && Total == 0;

    /// <summary>The limit a new connection on <paramref name="host"/> would pass, or null when it fits.</summary>
    public int? Exceeded(TcpHost host)
    {
        if (IsNone)
            return null;
        if (Total > 0 && host.ConnectionCount >= Total)
            return Total;
        if (Active == 0)
            return null;
        int open = 0;
        foreach (var c in host.ConnectionsUnordered)
            if (!c.Orphaned && c.State is not (TcpState.Closed or TcpState.Listen))
                open++;
        return open >= Active ? Active : null;
    }
}
