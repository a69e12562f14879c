using System.Globalization;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Checks;

/// <summary>A property every run must keep. Built-ins are chosen by --invariant; the scenario's
/// expectations are invariants too.</summary>
public abstract record Invariant(string Text)
{
    public static readonly string Syntax = "no-errors, no-errors:EOF,ECONNRESET (these outcomes), "
        + "hard-limit, zombies<=N, gone-within=DURATION";

    public static Invariant Parse(string text)
    {
        string t = text.Trim();
        if (t == "no-errors")
            return new NoErrors(null, t);
        if (t.StartsWith("no-errors:", StringComparison.Ordinal))
        {
            var set = new HashSet<Outcome>();
            foreach (var word in t[10..].Split(',').Select(x => x.Trim()).Where(x => x.Length > 0))
            {
                if (!OutcomeNames.TryParse(word, out Outcome o) || o == Outcome.Ok)
                    throw new UsageException("--invariant",
                        $"'{word}' is not an error outcome: expected some of {string.Join(", ", OutcomeNames.ErrorWords)}");
                set.Add(o);
            }
            return new NoErrors(set, t);
        }
        if (t == "hard-limit")
            return new HardLimit(t);
        if (t.StartsWith("zombies<=", StringComparison.Ordinal)
            && int.TryParse(t[9..], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            return new ZombiesAtMost(n, t);
        if (t.StartsWith("gone-within=", StringComparison.Ordinal))
        {
            if (!DurationText.TryParse(t[12..], out var d, out var error))
                throw new UsageException("--invariant", $"gone-within: {error}");
            return new GoneWithin(d, t);
        }
        throw new UsageException("--invariant", $"'{t}' is not an invariant: expected one of {Syntax}");
    }
}

public sealed record NoErrors(IReadOnlySet<Outcome>? Outcomes, string Text) : Invariant(Text);
public sealed record HardLimit(string Text) : Invariant(Text);
public sealed record ZombiesAtMost(int Max, string Text) : Invariant(Text);
public sealed record GoneWithin(TimeSpan Limit, string Text) : Invariant(Text);
