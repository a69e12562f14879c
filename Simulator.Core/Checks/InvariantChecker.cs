using Zombiesim.Core.Engine;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Checks;

/// <summary>Checks invariants as a run goes, reporting each breach with what, where and when.</summary>
internal sealed class InvariantChecker(Scenario scenario, IReadOnlyList<Invariant> invariants, Action<string> breach) : IRunObserver
{
    private Census? _census;
    private Clock? _clock;
    private readonly List<string> _outcomes = new();

    public bool WantsTransitions => invariants.Any(i => i is HardLimit or ZombiesAtMost);
    public string Signature => string.Join(",", _outcomes);

    /// <summary>The view it counts through and the clock its timed checks observe on.</summary>
    public void Attach(Census census, Clock clock)
    {
        _census = census;
        _clock = clock;
    }

    public void OnRequest(RequestRecord r)
    {
        _outcomes.Add(r.Outcome.Name());
        foreach (var inv in invariants.OfType<NoErrors>())
        {
            if (!r.Ok && (inv.Outcomes is null || inv.Outcomes.Contains(r.Outcome)))
                breach($"[{inv.Text}] the request at {Instant.Format(r.T)} of {r.Function} ({r.Environment}) failed: "
                    + $"{r.Outcome.Name()}{(r.Origin is null ? "" : $" ({r.Origin.Value.Name()})")}"
                    + $"{(r.Cause is null ? "" : ": " + r.Cause.Text())}");
        }
    }

    public void OnTransition(TransitionRecord t)
    {
        if (_census is null || ServerNamed(t.Host) is not { } server)
            return;
        foreach (var inv in invariants)
        {
            switch (inv)
            {
                case HardLimit when t.To == TcpState.Established && (server.HardLimit ?? server.MaxClients) is { } limit:
                    int open = _census.ServerConnectionsOpen(server.Name);
                    if (open > limit)
                        breach($"[{inv.Text}] at {Instant.Format(t.T)} "
                            + $"{(scenario.Servers.Count > 1 ? $"server {server.Name}" : "the server")} holds {open} connections, "
                            + $"above its limit of {limit} ({t.Connection} just established)");
                    break;
                case ZombiesAtMost z:
                    CheckZombies(z, t.T);
                    break;
            }
        }
    }

    /// <summary>The scenario's server on <paramref name="host"/>; null for a client's host (or a failover's standby).</summary>
    private ServerSpec? ServerNamed(string host)
    {
        foreach (var s in scenario.Servers)
            if (s.Name == host) return s;
        return null;
    }

    public void OnLifecycle(LifecycleRecord l)
    {
        if (_census is null || _clock is null)
            return;
        foreach (var inv in invariants)
        {
            if (inv is ZombiesAtMost z && l.Event.After().Unanswering())
                CheckZombies(z, l.T);
            if (inv is GoneWithin g && l.Event == LifecycleEvent.Destroyed && _census.Platform.AddressOf(l.Environment) is { } address)
            {
                var census = _census;
                // A timed check only looks: an observation, never a choice under exploration.
                _clock.Observe(l.T + g.Limit, () =>
                {
                    int left = census.ServerConnectionsOf(address);
                    if (left > 0)
                        breach($"[{g.Text}] {l.Environment} was destroyed at {Instant.Format(l.T)}, "
                            + $"and {DurationText.Format(g.Limit)} later the server still holds {left} of its connections");
                });
            }
        }
    }

    private void CheckZombies(ZombiesAtMost z, TimeSpan at)
    {
        int zombies = _census!.Zombies();
        if (zombies > z.Max)
            breach($"[{z.Text}] at {Instant.Format(at)} the server holds {zombies} zombie connections, above {z.Max}");
    }

    public void AtEnd(RunOutcome outcome)
    {
        foreach (var e in outcome.Expectations.Where(e => !e.Met))
            breach($"[expect] {e.Text}: got {e.Actual}");
    }
}
