namespace Zombiesim.Core.Servers.Kinds;

/// <summary>
/// MongoDB (mongod docs, `net.maxIncomingConnections`, 7.0 and 8.0): no server-side idle close; a
/// connection above the limit is closed without a reply (the server only logs it), so the client
/// reads EOF.
/// </summary>
internal sealed class MongoDbKind : ServerKind
{
    public static MongoDbKind Instance { get; } = new();

    protected override string LimitName => "net.maxIncomingConnections";

    public override bool RefusesSilently => true;
}
