using System.Text;
using CsCheck;

namespace Zombiesim.Tests.Fuzz;

/// <summary>
/// Mutated scenarios, drawn by CsCheck: a bundled scenario and a few edits of the kinds that broke
/// the loader when it was fuzzed (byte flips, line deletions, key renames, value swaps, deep
/// nesting, huge numbers, aliases, bombs), each edit decided by one generated number so that
/// CsCheck can shrink a failing input to its fewest, smallest edits.
/// </summary>
internal static class Mutations
{
    /// <summary>Values a user could type in place of another: edges of every range the reader checks.</summary>
    public static readonly string[] Values =
    [
        "0s", "-1s", "0", "-1", "1e308", "-1e308", "99999999999999999999999", "2147483647", "-2147483648", "4294967296",
        "36500d", "36501d", "10675199d", "1e-9s", "0.00000001us", "0.1us", "NaN", ".nan", ".inf", "-.inf", "null", "~", "''", "'",
        "[]", "{}", "[0s", "{ a: 1", "yes", "true", "1h", "365d", "1us", "100000",
        "{ lognormal: { median: 10ms, sigma: 10 } }", "{ lognormal: { median: 36500d, sigma: 50 } }",
        "{ exponential: { mean: 1us } }", "{ exponential: { mean: 36500d } }", "{ normal: { mean: 0s, sd: 36500d } }",
        "{ uniform: [0s, 36500d] }", "{ uniform: [10s, 1s] }", "{ mixture: [{ weight: 1, constant: 0s }] }",
        "{ mixture: [{ weight: 1000000000000, constant: 0s }, { weight: 1, constant: 1s }] }",
        "{ mixture: [{ weight: 0, constant: 1s }] }", "{ empirical: [] }", "{ empirical: [0s, 1e308s] }",
        "{ count: 100000, over: 365d }", "{ count: 2147483647, over: 1s }", "{ at: 1e308s, downtime: 36500d }",
        "{ from: 0s, to: 36500d }", "[0s, 36500d, 36500d]", "&a [1s]", "*a", "&b { x: *b }",
        "{ soft: 0, hard: 0 }", "{ soft: 2147483647, hard: -1 }", "process", "vm", "gif", "reuse", "proxy", "per-invocation",
    ];

    /// <summary>Key names a user could misspell or move.</summary>
    public static readonly string[] Keys =
    [
        "name", "seed", "horizon", "platform", "freeze", "reap", "after", "mode", "coldStart", "functions", "strategy",
        "client", "commandTimeout", "maxIdle", "server", "preset", "idleTimeout", "limits", "network", "latency", "traffic",
        "function", "at", "every", "burst", "count", "over", "events", "serverRestart", "downtime", "partition", "expect",
        "outcome", "origin", "search", "vary", "range", "values", "replications", "work", "timeout", "middleboxes", "host",
    ];

    /// <summary>A scenario index and the edits, as numbers CsCheck draws and shrinks.</summary>
    public static Gen<(int Scenario, uint[] Edits)> Gen(int scenarios) =>
        CsCheck.Gen.Select(CsCheck.Gen.Int[0, scenarios - 1], CsCheck.Gen.UInt.Array[1, 4]);

    /// <summary>Applies the edits to <paramref name="yaml"/>.</summary>
    public static string Apply(string yaml, IEnumerable<uint> edits)
    {
        foreach (uint e in edits)
            yaml = Apply(yaml, e);
        return yaml;
    }

    private static string Apply(string yaml, uint e)
    {
        var lines = yaml.Split('\n').ToList();
        int kind = (int)(e % 10);
        uint r = e / 10;
        int line = (int)(r % (uint)lines.Count);
        uint pick = r / (uint)lines.Count;
        switch (kind)
        {
            case 0: // a byte flipped
            {
                if (yaml.Length == 0)
                    return "x";
                var b = Encoding.UTF8.GetBytes(yaml);
                int at = (int)(r % (uint)b.Length);
                b[at] ^= (byte)(1 << (int)(pick % 8));
                return Encoding.UTF8.GetString(b);
            }
            case 1: // a line deleted
                lines.RemoveAt(line);
                break;
            case 2: // a key renamed
            {
                int colon = lines[line].IndexOf(':');
                if (colon > 0)
                {
                    string indent = lines[line][..(lines[line].Length - lines[line].TrimStart().Length)];
                    lines[line] = indent + Keys[pick % (uint)Keys.Length] + lines[line][colon..];
                }
                break;
            }
            case 3: // a value swapped
            {
                int colon = lines[line].IndexOf(": ", StringComparison.Ordinal);
                if (colon > 0)
                    lines[line] = lines[line][..(colon + 2)] + Values[pick % (uint)Values.Length];
                break;
            }
            case 4: // a line repeated
                lines.Insert(line, lines[line]);
                break;
            case 5: // deep nesting in a value
            {
                int colon = lines[line].IndexOf(": ", StringComparison.Ordinal);
                int depth = 1 + (int)(pick % 200);
                if (colon > 0)
                    lines[line] = lines[line][..(colon + 2)] + new string('[', depth) + "1s" + new string(']', depth);
                break;
            }
            case 6: // a huge number somewhere a number is
                lines[line] = System.Text.RegularExpressions.Regex.Replace(lines[line], @"\d+",
                    pick % 2 == 0 ? "99999999999999999999" : "10675199");
                break;
            case 7: // an alias bomb appended
                lines.Add("bomb: &a0 [x, x, x, x, x, x, x, x, x, x]");
                for (int i = 1; i <= 2 + pick % 8; i++)
                    lines.Add($"bomb{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
                        + $"*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]");
                break;
            case 8: // the file cut short
                return yaml[..(int)(r % (uint)(yaml.Length + 1))];
            default: // a value anchored and aliased elsewhere
            {
                int colon = lines[line].IndexOf(": ", StringComparison.Ordinal);
                int other = (int)(pick % (uint)lines.Count);
                int colon2 = lines[other].IndexOf(": ", StringComparison.Ordinal);
                if (colon > 0 && colon2 > 0)
                {
                    lines[line] = lines[line][..(colon + 2)] + "&m " + lines[line][(colon + 2)..];
                    lines[other] = lines[other][..(colon2 + 2)] + "*m";
                }
                break;
            }
        }
        return string.Join('\n', lines);
    }
}
