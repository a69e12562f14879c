using Zombiesim.Core.Observation;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// The segments of each connection as the server's interface sees them, model against capture. The model's are those
/// the server sent (delivered, or lost at a paused or destroyed environment), at the instant they left, and those that
/// reached it (delivered, lost or a middlebox's RST), at the instant they arrived; the capture's are every segment it saw,
/// when it saw it. In each connection's order, a model segment agrees with the next real one of the same direction and
/// flags (the real ones skipped to reach it, at most <see cref="Lookahead"/>, were seen only in reality) when its instant
/// is within the base tolerance; lengths are shown, not compared (the model's command and reply sizes are its own).
/// </summary>
public static class SegmentDiff
{
    /// <summary>How many real segments the diff skips, at most, to find the one a model segment is.</summary>
    public const int Lookahead = 4;

    private sealed record Seen(double T, string From, string To, string Flags, int Length);

    public static void Compare(IReadOnlyList<SegmentRecord> model, IReadOnlyList<SegmentRecord> real, Tolerance tol, List<DiffLine> lines)
    {
        var m = model.Select(AtServer).OfType<(string Connection, Seen Seen)>().ToList();
        var r = real.Select(s => (s.Connection, Seen: new Seen(s.T.TotalSeconds, s.From, s.To, s.FlagText, s.Length))).ToList();
        var connections = m.Concat(r).GroupBy(x => x.Connection).OrderBy(g => g.Min(x => x.Seen.T)).Select(g => g.Key);
        foreach (string c in connections)
        {
            var ms = m.Where(x => x.Connection == c).Select(x => x.Seen).OrderBy(x => x.T).ToList();
            var rs = r.Where(x => x.Connection == c).Select(x => x.Seen).OrderBy(x => x.T).ToList();
            int j = 0;
            foreach (var s in ms)
            {
                int k = Enumerable.Range(j, Math.Max(0, Math.Min(Lookahead + 1, rs.Count - j)))
                    .FirstOrDefault(i => Same(rs[i], s), -1);
                if (k < 0)
                {
                    lines.Add(new DiffLine("segment", c, What(s), s.T, null, tol.Base, Verdict.Disagree, "not seen in reality"));
                    continue;
                }
                for (; j < k; j++)
                    lines.Add(RealOnly(c, rs[j], tol));
                bool ok = Math.Abs(rs[k].T - s.T) <= tol.Base;
                string length = rs[k].Length == s.Length ? "" : $" (real {rs[k].Length} bytes)";
                lines.Add(new DiffLine("segment", c, What(s) + length, s.T, rs[k].T, tol.Base, ok ? Verdict.Agree : Verdict.Disagree));
                j = k + 1;
            }
            for (; j < rs.Count; j++)
                lines.Add(RealOnly(c, rs[j], tol));
        }
    }

    private static DiffLine RealOnly(string connection, Seen s, Tolerance tol) =>
        new("segment", connection, What(s), null, s.T, tol.Base, Verdict.Disagree, "seen in reality, not in the model");

    private static bool Same(Seen a, Seen b) => a.From == b.From && a.To == b.To && a.Flags == b.Flags;

    private static string What(Seen s) => $"{s.From}>{s.To} [{s.Flags}] {s.Length} bytes";

    /// <summary>A model segment as the server's interface sees it, or null when it never passes there.</summary>
    private static (string, Seen)? AtServer(SegmentRecord s)
    {
        double? at = s.From == "server" && s.Fate is SegmentOutcome.Delivered or SegmentOutcome.Lost ? s.T.TotalSeconds
            : s.To == "server" && s.Fate != SegmentOutcome.Dropped ? s.Arrived?.TotalSeconds
            : null;
        return at is { } t ? (s.Connection, new Seen(t, s.From, s.To, s.FlagText, s.Length)) : null;
    }
}
