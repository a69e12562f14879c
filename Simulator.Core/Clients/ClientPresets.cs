using Zombiesim.Core.Observation;
using Zombiesim.Core.Presets;

namespace Zombiesim.Core.Clients;

/// <summary>What a client library preset sets; a function's own `client` keys override each value.</summary>
public sealed record ClientDefaults(TimeSpan ConnectTimeout, TimeSpan? CommandTimeout, int Retries, IReadOnlyList<Outcome> RetryOn,
    bool ValidateBeforeUse, TimeSpan? MaxIdle, TimeSpan? KeepAlive, TimeSpan? UserTimeout, TimeSpan? PingInterval);

/// <summary>The client library presets, each with its source. docs/model.md shows this table.</summary>
public static class ClientPresets
{
    /// <summary>The preset a function gets when it names none.</summary>
    public const string Default = "generic";

    public static PresetTable<ClientDefaults> Table { get; } = new("client",
    [
        new(Default,
            new(TimeSpan.FromSeconds(10), null, 0,
                [Outcome.Eof, Outcome.ECONNRESET, Outcome.EPIPE, Outcome.ETIMEDOUT, Outcome.ECONNREFUSED],
                false, null, null, null, null),
            new(SourceKind.Folk, "the model's neutral library of the 2020 story: one connection, cached or per invocation; "
                + "its connect timeout is ioredis's (connectTimeout 10000 ms, ioredis README, v5); "
                + "no command timeout, retries, keepalive, user timeout or pings unless set"),
            "one connection; connect timeout 10 s; no command timeout; "
                + "no retries (when on, on EOF, ECONNRESET, EPIPE, ETIMEDOUT, ECONNREFUSED); "
                + "no validation, max idle, keepalive, user timeout or pings"),
    ]);
}
