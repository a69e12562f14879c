using Zombiesim.Core.Engine;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Checks;

/// <summary>One expectation of the scenario and whether the run met it.</summary>
public sealed record ExpectationResult(string Text, bool Met, string Actual);

/// <summary>
/// The scenario's expectations: outcome expectations evaluated as requests stream by (no request
/// list is kept), and counts (zombies, server sockets) probed at their instant by observation
/// events, which run before every other event due then and are no choice under exploration.
/// </summary>
internal sealed class Expectations(Scenario scenario) : IRunObserver
{
    private readonly Dictionary<ExpectSpec, List<RequestRecord>> _at = new();
    private readonly Dictionary<ExpectSpec, int> _counts = new();
    private readonly Dictionary<ExpectSpec, int> _probes = new();

    /// <summary>Schedules the probes; call before anything else is scheduled, so that they count
    /// before every event due at their instant.</summary>
    public void ScheduleProbes(Clock clock, Census census)
    {
        foreach (var x in scenario.Expect.Where(x => x.Kind != ExpectKind.Outcome && x.At is not null))
            clock.Observe(x.At!.Value, () => _probes[x] = x.Kind == ExpectKind.Zombies
                ? census.Zombies(x.Server) : census.ServerSockets(x.State, x.Server));
    }

    public void OnRequest(RequestRecord r)
    {
        foreach (var x in scenario.Expect)
        {
            if (x.Kind != ExpectKind.Outcome || (x.Function is not null && x.Function != r.Function))
                continue;
            if (x.At is { } at)
            {
                if (r.T == at)
                    (_at.TryGetValue(x, out var l) ? l : _at[x] = new()).Add(r);
            }
            else if (Matches(x, r))
            {
                _counts[x] = _counts.GetValueOrDefault(x) + 1;
            }
        }
    }

    private static bool Matches(ExpectSpec x, RequestRecord r) =>
        (x.AnyError ? !r.Ok : x.Outcome is null || x.Outcome == r.Outcome)
        && (x.Origin is null || x.Origin == r.Origin);

    public IReadOnlyList<ExpectationResult> Results()
    {
        var results = new List<ExpectationResult>();
        foreach (var x in scenario.Expect)
        {
            switch (x.Kind)
            {
                case ExpectKind.Outcome when x.At is not null:
                {
                    var rs = _at.GetValueOrDefault(x) ?? [];
                    if (rs.Count == 0)
                    {
                        results.Add(new(x.Text, false, "no request started at that instant"));
                        break;
                    }
                    var r = rs[0];
                    string actual = $"{r.Outcome.Name()}{(r.Origin is null ? "" : $" ({r.Origin.Value.Name()})")}"
                        + (rs.Count > 1 ? $" (first of {rs.Count} requests then)" : "");
                    results.Add(new(x.Text, Matches(x, r), actual));
                    break;
                }
                case ExpectKind.Outcome:
                {
                    int n = _counts.GetValueOrDefault(x);
                    bool met = (x.Count is null || n == x.Count) && (x.AtLeast is null || n >= x.AtLeast)
                        && (x.AtMost is null || n <= x.AtMost);
                    results.Add(new(x.Text, met, $"{n}"));
                    break;
                }
                default:
                {
                    int? n = _probes.TryGetValue(x, out var p) ? p : null;
                    results.Add(new(x.Text, n == x.Count, n is null ? "not counted (after the horizon?)" : $"{n}"));
                    break;
                }
            }
        }
        return results;
    }
}
