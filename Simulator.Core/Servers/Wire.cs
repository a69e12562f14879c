namespace Zombiesim.Core.Servers;

/// <summary>What a command and its replies weigh on the wire: enough to tell a reply from a refusal
/// and to count commands read at once (Redis's "-ERR max number of clients reached" is about 40 bytes).</summary>
internal static class Wire
{
    public const int RequestBytes = 30, ReplyBytes = 10, RejectBytes = 40;
}
