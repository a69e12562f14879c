using Zombiesim.Core.Presets;
using Zombiesim.Core.Random;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Platforms;

/// <summary>What a platform preset sets; a scenario's own `platform` keys override each value.</summary>
public sealed record PlatformDefaults(Distribution FreezeAfter, FreezeMode FreezeMode, Distribution ReapAfter, Distribution ColdStart,
    bool ShutdownHook, Distribution? MaxLifetime, int Concurrency);

/// <summary>The platform presets, each with its source. docs/model.md shows this table; the
/// behaviour behind each value, with a source per value, is in the table above it there.</summary>
public static class PlatformPresets
{
    /// <summary>The preset a scenario gets when it names none.</summary>
    public const string Default = "aws-lambda";

    public static PresetTable<PlatformDefaults> Table { get; } = new("platform",
    [
        new(Default, new(new Constant(0), FreezeMode.Process, new Constant(600), new Constant(0.2), false, null, 1000),
            new(SourceKind.Doc,
                "AWS Lambda developer guide (execution environment lifecycle; quotas: 1,000 concurrent executions per region). "
                + "Reaping after 10 min idle is MEAS (mikhail.io, 2019 onwards); "
                + "freezing at once, in process mode, and a 0.2 s cold start are FOLK, "
                + "parameters of the scenario"),
            "freeze at once (process); reaped after 600 s idle; cold start 0.2 s; no shutdown hook; no maximum lifetime; concurrency 1000"),
    ]);
}

