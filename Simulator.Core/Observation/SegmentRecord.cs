using Zombiesim.Tcp;

namespace Zombiesim.Core.Observation;

/// <summary>
/// A segment on the wire between two hosts of a connection: when it left <paramref name="From"/> (the host whose
/// address it carries: a middlebox's RST carries its peer's), its flags, its sequence and acknowledgment numbers
/// relative to the connection's initial sequence numbers (those of the SYNs: the first SYN is 0, its ACK 1), its data
/// length, what became of it and, when it arrived, when. <paramref name="Ack"/> is null without the ACK flag.
/// </summary>
public sealed record SegmentRecord(
    TimeSpan T,
    string From,
    string To,
    string Connection,
    TcpFlags Flags,
    uint Seq,
    uint? Ack,
    int Length,
    SegmentOutcome Fate,
    TimeSpan? Arrived = null)
{
    /// <summary>Its flags as a capture tool prints them, in a fixed order: "SYN", "SYN,ACK", "FIN,ACK", "RST".</summary>
    public string FlagText => Flags.Text();
}

/// <summary>What became of a segment, as traces name it.</summary>
public enum SegmentOutcome
{
    /// <summary>It reached its host, which processed it.</summary>
    Delivered,
    /// <summary>Dropped on its way: a partition or a middlebox.</summary>
    Dropped,
    /// <summary>It reached a host that processed nothing (a paused VM, a destroyed machine).</summary>
    Lost,
    /// <summary>A middlebox made it (a RST in the name of the peer); it was delivered.</summary>
    Injected,
}

public static class SegmentNames
{
    /// <summary>"delivered", "dropped", "lost", "injected".</summary>
    public static string Name(this SegmentOutcome o) => o.ToString().ToLowerInvariant();

    public static SegmentOutcome? ParseOutcome(string name) =>
        Enum.GetValues<SegmentOutcome>().Where(o => o.Name() == name).Select(o => (SegmentOutcome?)o).FirstOrDefault();

    private static readonly (TcpFlags Flag, string Name)[] Order =
        [(TcpFlags.Syn, "SYN"), (TcpFlags.Fin, "FIN"), (TcpFlags.Rst, "RST"), (TcpFlags.Ack, "ACK")];

    /// <summary>Flags as text: "SYN,ACK"; "" for none.</summary>
    public static string Text(this TcpFlags flags) => string.Join(',', Order.Where(o => (flags & o.Flag) != 0).Select(o => o.Name));

    /// <summary>Flags read back from <see cref="Text"/>; null for a name that is not one.</summary>
    public static TcpFlags? ParseFlags(string text)
    {
        var flags = TcpFlags.None;
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int i = Array.FindIndex(Order, o => o.Name == part);
            if (i < 0)
                return null;
            flags |= Order[i].Flag;
        }
        return flags;
    }
}
