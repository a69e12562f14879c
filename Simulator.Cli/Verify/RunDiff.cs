using Zombiesim.Core.Observation;

namespace Zombiesim.Cli.Verify;

public enum Verdict { Agree, Disagree, Unobservable, Input }

/// <summary>One event side by side: what (a request, a transition, a platform action), the model's instant, the real one,
/// the allowance, and the verdict; the outcome of a request, compared exactly, is in <see cref="What"/>.</summary>
public sealed record DiffLine(string Kind, string Subject, string What, double? Model, double? Real, double Tolerance, Verdict Verdict,
    string? Note = null)
{
    public double? Delta => Model is { } m && Real is { } r ? r - m : null;
}

/// <summary>
/// `zombiesim diff MODEL REAL`: every request (outcome, origin, environment and connection must match exactly; its end
/// instant within tolerance), every socket transition per host and connection (states in order, instants within
/// tolerance; a model state too short to be seen by polling may be missing from the real side) and every platform
/// action (inputs, replayed: their instants show how closely the real run kept to the model's); and, when both documents
/// have segments, every segment at the server's interface per connection (<see cref="SegmentDiff"/>).
/// </summary>
public static class RunDiff
{
    public static IReadOnlyList<DiffLine> Compare(VerifyDocument model, VerifyDocument real, Tolerance tol)
    {
        var lines = new List<DiffLine>();
        Requests(model.Requests, real.Requests, tol, lines);
        Transitions(model.Transitions, real.Transitions, tol, lines);
        Lifecycle(model.Lifecycle, real.Lifecycle, tol, lines);
        if (model.Segments is { } m && real.Segments is { } r)
            SegmentDiff.Compare(m, r, tol, lines);
        return lines;
    }

    public static bool Agrees(IReadOnlyList<DiffLine> lines) => lines.All(l => l.Verdict != Verdict.Disagree);

    private static void Requests(IReadOnlyList<RequestRecord> model, IReadOnlyList<RequestRecord> real, Tolerance tol, List<DiffLine> lines)
    {
        for (int i = 0; i < Math.Max(model.Count, real.Count); i++)
        {
            var m = i < model.Count ? model[i] : null;
            var r = i < real.Count ? real[i] : null;
            string Text(RequestRecord? x) => x is null ? "(none)"
                : $"{x.Outcome.Name()}{(x.Origin is { } o ? $" ({o.Name()})" : "")} {x.Environment} {x.Connection ?? "-"}";
            double? End(RequestRecord? x) => x is null ? null : x.T.TotalSeconds + x.LatencyMs / 1000;
            double allowance = tol.ForRequest(m?.Origin?.Name(), (m?.LatencyMs ?? 0) / 1000);
            bool same = m is not null && r is not null && Text(m) == Text(r);
            bool inTime = End(m) is { } a && End(r) is { } b && Math.Abs(b - a) <= allowance;
            string what = same ? Text(m) : $"model {Text(m)}, real {Text(r)}";
            lines.Add(new DiffLine("request", $"{m?.Function ?? r!.Function} at {(m ?? r)!.T.TotalSeconds:0.###}s", what, End(m), End(r),
                allowance, same && inTime ? Verdict.Agree : Verdict.Disagree, same ? null : "outcomes differ"));
        }
    }

    private static void Transitions(IReadOnlyList<DocTransition> model, IReadOnlyList<DocTransition> real, Tolerance tol,
        List<DiffLine> lines)
    {
        var keys = model.Concat(real).Select(t => (t.Host, t.Connection)).Distinct()
            .OrderBy(k => model.Concat(real).Where(t => (t.Host, t.Connection) == k).Min(t => t.T)).ToList();
        foreach (var key in keys)
        {
            var m = model.Where(t => (t.Host, t.Connection) == key).OrderBy(t => t.T).ToList();
            var r = real.Where(t => (t.Host, t.Connection) == key).OrderBy(t => t.T).ToList();
            string subject = $"{key.Host} {key.Connection}";
            int j = 0;
            for (int i = 0; i < m.Count; i++)
            {
                double since = i == 0 ? 0 : m[i].T - m[i - 1].T;
                double allowance = tol.ForTransition(key.Host, m[i].Cause, since);
                // A connection that lived too short for any poll (a connect refused within a round trip) ends unseen.
                double dwell = i + 1 < m.Count ? m[i + 1].T - m[i].T
                    : r.Count == 0 && m[i].To == "CLOSED" ? m[i].T - m[0].T : double.PositiveInfinity;
                string what = $"{m[i].From} -> {m[i].To} ({m[i].Cause})";
                if (j < r.Count && r[j].To == m[i].To)
                {
                    // Polling knows the change happened between the poll before (Since) and the one that saw it (T).
                    double earliest = r[j].Since ?? r[j].T;
                    bool ok = m[i].T >= earliest - allowance && m[i].T <= r[j].T + allowance;
                    // Agreeing by the interval only (the poll that saw it is further than the allowance): say so.
                    string? between = ok && Math.Abs(r[j].T - m[i].T) > allowance
                        ? $"began between the polls at {earliest:0.0000} s (not yet) and {r[j].T:0.0000} s" : null;
                    lines.Add(new DiffLine("transition", subject, what, m[i].T, r[j].T, allowance, ok ? Verdict.Agree : Verdict.Disagree,
                        between));
                    j++;
                }
                else if (dwell < tol.Unobservable)
                    lines.Add(new DiffLine("transition", subject, what, m[i].T, null, allowance, Verdict.Unobservable,
                        $"lasted {dwell * 1000:0.###} ms in the model, polls every {tol.Facts.PollMs:0.#} ms"));
                else
                    lines.Add(new DiffLine("transition", subject, what, m[i].T, null, allowance, Verdict.Disagree, "not seen in reality"));
            }
            for (; j < r.Count; j++)
                lines.Add(new DiffLine("transition", subject, $"{r[j].From} -> {r[j].To} ({r[j].Cause})", null, r[j].T, 0, Verdict.Disagree,
                    "seen in reality, not in the model"));
        }
    }

    private static void Lifecycle(IReadOnlyList<LifecycleRecord> model, IReadOnlyList<LifecycleRecord> real, Tolerance tol,
        List<DiffLine> lines)
    {
        var remaining = real.ToList();
        foreach (var m in model)
        {
            int i = remaining.FindIndex(x => x.Environment == m.Environment && x.Event == m.Event);
            LifecycleRecord? r = i < 0 ? null : remaining[i];
            if (i >= 0)
                remaining.RemoveAt(i);
            bool ok = r is { } found && Math.Abs((found.T - m.T).TotalSeconds) <= tol.Base;
            lines.Add(new DiffLine("platform", m.Environment, m.Event.Name(), m.T.TotalSeconds, r?.T.TotalSeconds, tol.Base,
                ok ? Verdict.Input : Verdict.Disagree, r is null ? "not done in reality" : null));
        }
        foreach (var r in remaining)
            lines.Add(new DiffLine("platform", r.Environment, r.Event.Name(), null, r.T.TotalSeconds, tol.Base, Verdict.Disagree,
                "done in reality, not in the model"));
    }
}
