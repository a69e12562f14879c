namespace Zombiesim.Core.Observation;

/// <summary>What a server wrote to a connection before it closed it: its error code, when the
/// protocol has one (MySQL's 1040, PostgreSQL's SQLSTATE 53300), and its message, as the server's
/// source spells them. A request that read it names it in its cause.</summary>
public sealed record ServerReply(string? Code, string Message)
{
    /// <summary>"ERROR 1040: Too many connections", or the message alone.</summary>
    public override string ToString() => Code is null ? Message : $"{Code}: {Message}";
}
