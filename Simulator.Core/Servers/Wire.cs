namespace Zombiesim.Core.Servers;

/// <summary>What a command and its replies weigh on the wire: enough to tell a reply from a refusal,
/// to count commands read at once, and to find a goodbye at the end of what was read (Redis's
/// "-ERR max number of clients reached" is about 40 bytes; "*1\r\n$4\r\nQUIT\r\n" is 14; "+OK\r\n" 5).</summary>
internal static class Wire
{
    public const int RequestBytes = 30, ReplyBytes = 10, RejectBytes = 40, QuitBytes = 14, QuitReplyBytes = 5;

    /// <summary>The commands in <paramref name="bytes"/> read at once, and whether a goodbye ends them.</summary>
    public static (int Commands, bool Quit) Parse(int bytes) =>
        bytes % RequestBytes == QuitBytes ? (bytes / RequestBytes, true) : (Math.Max(1, bytes / RequestBytes), false);
}
