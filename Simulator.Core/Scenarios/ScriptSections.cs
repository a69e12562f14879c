using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using Zombiesim.Core.Clients;
using Zombiesim.Core.Network;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Random;
using Zombiesim.Core.Servers;
using Zombiesim.Core.Traffic;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Scenarios;

/// <summary>The sections that script a run: traffic, events, expectations and the search.</summary>
internal static class ScriptSections
{
    /// <summary>The most invocations one burst schedules (all of them are scheduled when the run starts).</summary>
    public const int MaxBurst = 10_000_000;

    internal static TrafficSpec ReadTraffic(Reader r, IReadOnlySet<string> functions, TimeSpan horizon)
    {
        string function = r.Name("function", "the function invoked", functions, required: true)!;
        var at = r.DistributionList("at", "explicit instants; each may be a distribution, like [0s, { uniform: [250s, 350s] }]");
        var every = r.OptionalDistribution("every",
            "time between invocations: a plain duration gives a steady rate, { exponential: { mean: 200s } } Poisson arrivals");
        var from = r.Duration("from", TimeSpan.Zero, "start of 'every' or 'burst' traffic");
        var until = r.OptionalDuration("until", "end of 'every' traffic (default: the horizon)");
        var (count, over) = r.Section("burst", "count invocations spread evenly over a span, starting at 'from'", b => (
            b.Int("count", 0, "how many", 0, MaxBurst),
            b.Duration("over", TimeSpan.Zero, "the span they are spread over")));
        var rate = r.Section("rate", "arrivals at a rate, in requests per second, from 'from' to 'until': "
            + "exactly one of perSecond (constant), steps (piecewise) or daily (a day's curve)", RateSection.Read);
        if (r.SchemaOnly)
            return null!;
        if (at.Count == 0 && every is null && count == 0 && !r.Has("rate"))
            throw r.Error($"traffic for '{function}' needs 'at', 'every', 'burst' or 'rate'");
        if (every is not null && every.Mean <= 0)
            throw r.ErrorAt("every", "'every' must have a positive mean");
        if (until is { } u && u < from)
            throw r.ErrorAt("until", $"'until' ({DurationText.Format(u)}) is before 'from' ({DurationText.Format(from)})");
        var curve = RateSection.Curve(r, rate, horizon);
        var traffic = new TrafficSpec
        {
            Function = function, At = at, Every = every, From = from, Until = until, BurstCount = count,
            BurstAt = from, BurstOver = over, Rate = curve
        };
        if (every is not null)
        {
            var window = WorkEstimate.Window(traffic, horizon);
            double n = WorkEstimate.EveryInvocations(every, window);
            if (double.IsPositiveInfinity(n))
                throw r.ErrorAt("every", "'every' draws gaps that are 0 s once rounded to the simulator's resolution (100 ns): "
                    + "simulated time would stand still; give the gaps a positive part, like { exponential: { mean: 200ms } }");
            if (n > WorkEstimate.Refused)
                throw r.ErrorAt("every",
                    $"'every' asks for about {WorkEstimate.About(n)} invocations in {DurationText.Format(window)}, more than the "
                    + $"{WorkEstimate.Refused:N0} a run can simulate in reasonable time; "
                    + "lengthen the gaps or shorten 'horizon' or 'until'");
        }
        if (curve is not null && curve.Expected(from, WorkEstimate.Window(traffic, horizon) + from) is var n2 && n2 > WorkEstimate.Refused)
            throw r.ErrorAt("rate", $"'rate' asks for about {WorkEstimate.About(n2)} invocations in "
                + $"{DurationText.Format(WorkEstimate.Window(traffic, horizon))}, more than the {WorkEstimate.Refused:N0} a run can "
                + "simulate in reasonable time; lower the rate or shorten 'horizon' or 'until'");
        return traffic;
    }

    private static readonly Dictionary<string, OldNode> OldNodes = new()
    {
        ["reset"] = OldNode.Reset, ["gone"] = OldNode.Gone, ["readOnly"] = OldNode.ReadOnly,
    };

    internal static EventSpec ReadEvent(Reader r, IReadOnlySet<string> functions, IReadOnlyList<string> servers)
    {
        var partition = r.Section("partition", "the path drops everything in both directions",
            p => (p.OptionalDuration("from", "start"), p.OptionalDuration("to", "end")));
        var redeploy = r.Section("redeploy", "a new version: environments of the function are abandoned",
            p => (p.OptionalDuration("at", "when"), p.Name("function", "which function", functions, required: false)));
        var restart = r.Section("serverRestart",
            "the server process restarts: its connections are closed, and it listens again after the downtime",
            p => (p.OptionalDuration("at", "when"), p.Duration("downtime", TimeSpan.FromSeconds(1), "how long it is down"),
                p.Name("server", "which server (default: the first)", servers, required: false)));
        var failover = r.Section("failover",
            "the server's name moves to a new node (a promoted replica) after a delay; the old node's connections get "
                + "what 'oldNode' says",
            p => (p.OptionalDuration("at", "when the old node fails"),
                p.Duration("delay", TimeSpan.FromSeconds(30), "until the new node is promoted and the name points to it "
                    + "(Aurora: typically under 30 s, FOLK)"),
                p.Name("server", "which server (default: the first)", servers, required: false),
                p.Choice("oldNode", OldNode.Gone, "gone: it is gone, its connections' segments are lost (Aurora fences the "
                    + "old writer: the client must time out); reset: it comes back up without its connections (their "
                    + "segments get RST); readOnly: it is demoted, connections stay and every command gets the kind's "
                    + "read-only error", OldNodes),
                p.Duration("dnsTtl", TimeSpan.FromSeconds(5), "how long a resolver keeps the name's answer "
                    + "(Aurora's endpoints: 5 s)")));
        r.ExactlyOneOf("partition", "redeploy", "serverRestart", "failover");
        if (r.SchemaOnly)
            return null!;
        int kinds = new[] { "partition", "redeploy", "serverRestart", "failover" }.Count(r.Has);
        if (kinds != 1)
            throw r.Error("each event is exactly one of: partition: { from, to }, "
                + "redeploy: { at, function }, serverRestart: { at, downtime }, failover: { at, delay }");
        if (r.Has("partition"))
        {
            if (partition.Item1 is not { } from || partition.Item2 is not { } to || to <= from)
                throw r.ErrorAt("partition", "a partition needs 'from' and 'to', with to after from, like { from: 5s, to: 120s }");
            return new EventSpec(EventKind.Partition, from, to, null);
        }
        if (r.Has("redeploy"))
        {
            if (redeploy.Item1 is not { } at || redeploy.Item2 is not { } f)
                throw r.ErrorAt("redeploy", "a redeploy needs 'at' and 'function', like { at: 30m, function: hello }");
            return new EventSpec(EventKind.Redeploy, at, at, f);
        }
        if (r.Has("failover"))
        {
            var (at, delay, name, oldNode, ttl) = failover;
            if (at is not { } fails)
                throw r.ErrorAt("failover", "a failover needs 'at', like { at: 10m, delay: 30s }");
            if (delay <= TimeSpan.Zero)
                throw r.ErrorAt("failover", "a failover's 'delay' must be positive, like 30s: the new node is promoted after it");
            return new EventSpec(EventKind.Failover, fails, fails + delay, null) { Server = name, OldNode = oldNode, DnsTtl = ttl };
        }
        if (restart.Item1 is not { } when)
            throw r.ErrorAt("serverRestart", "a server restart needs 'at', like { at: 10m, downtime: 5s }");
        return new EventSpec(EventKind.ServerRestart, when, when + restart.Item2, null) { Server = restart.Item3 };
    }

    internal static ExpectSpec ReadExpect(Reader r, IReadOnlySet<string> functions)
    {
        var at = r.OptionalDuration("at", "the instant: the request that starts then, or the moment a count is taken");
        string? function = r.Name("function", "only requests of this function", functions, required: false);
        string? outcome = r.OptionalString("outcome",
            "ok, error (any error), EOF, ECONNRESET, EPIPE, ETIMEDOUT, ECONNREFUSED, EACCES, REJECTED, THROTTLED or SERVER_ERROR",
            OutcomeNames.ExpectationWords);
        string? origin = r.OptionalString("origin", "fin, rst, kernel-timeout, library-timeout, server or platform",
            OutcomeNames.OriginWords);
        int? count = r.OptionalInt("count", "exactly this many", 0);
        int? atLeast = r.OptionalInt("atLeast", "at least this many", 0);
        int? atMost = r.OptionalInt("atMost", "at most this many", 0);
        int? zombies = r.OptionalInt("zombies", "server sockets whose client environment is frozen or destroyed, at 'at'", 0);
        int? serverConnections = r.OptionalInt("serverConnections", "server sockets (optionally in 'state') at 'at'", 0);
        string? state = r.OptionalString("state", "with serverConnections: a TCP state such as ESTABLISHED or FIN_WAIT_2");
        string? server = r.OptionalString("server",
            "with zombies or serverConnections: count only this server's sockets (a name in servers)");
        if (r.SchemaOnly)
            return null!;
        var outcomes = OutcomeNames.ExpectationWords;
        Outcome? parsedOutcome = null;
        if (outcome is not null && outcome != OutcomeNames.AnyError)
            parsedOutcome = OutcomeNames.TryParse(outcome, out Outcome o) ? o
                : throw r.ErrorAt("outcome",
                    $"'{outcome}' is not an outcome: expected one of {string.Join(", ", outcomes)}"
                        + $"{Suggestions.Suggest(outcome, outcomes)}");
        Origin? parsedOrigin = null;
        if (origin is not null)
            parsedOrigin = OutcomeNames.TryParse(origin, out Origin g) ? g
                : throw r.ErrorAt("origin", $"'{origin}' is not an origin: expected one of {string.Join(", ", OutcomeNames.OriginWords)}");
        TcpState? parsedState = null;
        if (state is not null)
        {
            var states = Enum.GetValues<TcpState>().ToDictionary(s => s.Name(), s => s);
            parsedState = states.TryGetValue(state, out var st) ? st
                : throw r.ErrorAt("state",
                    $"'{state}' is not a TCP state: expected one of "
                        + $"{string.Join(", ", states.Keys)}{Suggestions.Suggest(state, states.Keys)}");
        }
        int kinds = (outcome is not null || origin is not null ? 1 : 0) + (zombies is not null ? 1 : 0)
            + (serverConnections is not null ? 1 : 0);
        if (kinds != 1)
            throw r.Error("each expectation is about one thing: an 'outcome' (with at, function, "
                + "count/atLeast/atMost), 'zombies' or 'serverConnections' (with at)");
        if (zombies is not null || serverConnections is not null)
        {
            if (at is null)
                throw r.Error("'zombies' and 'serverConnections' need 'at', the instant they are counted");
            return new ExpectSpec
            {
                Kind = zombies is not null ? ExpectKind.Zombies : ExpectKind.ServerConnections, At = at,
                Count = zombies ?? serverConnections, State = parsedState, Server = server,
                Text = (zombies is not null ? $"at {DurationText.Format(at.Value)}: {zombies} zombies"
                    : $"at {DurationText.Format(at.Value)}: {serverConnections} server connections{(state is null ? "" : " in " + state)}")
                    + (server is null ? "" : $" on {server}"),
            };
        }
        if (at is not null && (count ?? atLeast ?? atMost) is not null)
            throw r.Error("an outcome expectation with 'at' is about the one request starting then; "
                + "drop count/atLeast/atMost, or drop 'at'");
        if (at is null && (count ?? atLeast ?? atMost) is null)
            throw r.Error("an outcome expectation needs 'at' (one request) or count/atLeast/atMost (how many requests)");
        string what = $"{outcome ?? "any outcome"}{(origin is null ? "" : $" ({origin})")}{(function is null ? "" : $" for {function}")}";
        string text = at is { } a ? $"the request at {DurationText.Format(a)}{(function is null ? "" : $" of {function}")} "
            + $"is {outcome ?? "any outcome"}{(origin is null ? "" : $" ({origin})")}"
            : count is { } c ? $"exactly {c} requests {what}"
            : $"{(atLeast is { } l ? $"at least {l} " : "")}"
                + $"{(atMost is { } m ? $"{(atLeast is null ? "" : "and ")}at most {m} " : "")}requests {what}";
        return new ExpectSpec
        {
            Kind = ExpectKind.Outcome, At = at, Function = function, Outcome = parsedOutcome,
            AnyError = outcome == OutcomeNames.AnyError, Origin = parsedOrigin, Count = count, AtLeast = atLeast, AtMost = atMost,
            Text = text
        };
    }

    internal static SearchSection ReadSearch(Reader r)
    {
        var vary = r.List("vary", "the parameters to vary", v =>
        {
            string path = v.RequiredString("path", "a scenario path, as for --set: server.idleTimeout");
            string? range = v.OptionalString("range", "FROM..TO[:STEP], like 60s..400s:10s");
            var values = v.Strings("values", "the values, instead of a range: [250s, 300s, 310s]");
            if (v.SchemaOnly)
                return default;
            if ((range is null) == (values.Count == 0))
                throw v.Error($"vary '{path}' needs either 'range' (like 60s..400s:10s) or 'values' (like [250s, 300s, 310s])");
            try
            {
                return (path, range is null ? values : Zombiesim.Core.Search.Parameter.ParseValues(range, "range"));
            }
            catch (BadInputException e)
            {
                throw v.ErrorAt("range", e.Problem);
            }
        });
        int? replications = r.OptionalInt("replications", "runs per point, replication i with seed + i at every point (default 100)",
            1, 1_000_000);
        string? goal = r.OptionalString("goal", "'no EOF,ECONNRESET,EPIPE,ETIMEDOUT' or 'errors <= 1% at 95%'");
        string? objective = r.OptionalString("objective",
            "'min server.idleTimeout', 'min peakServerConnections', 'min zombieSeconds', ...");
        string? strategy = r.OptionalString("strategy", "bisect (one monotone parameter) or grid");
        int? margin = r.OptionalInt("marginSteps", "steps above the boundary to recommend (default 1)", 0, 1000);
        if (r.SchemaOnly)
            return null!;
        return new SearchSection(vary, replications, goal, objective, strategy, margin);
    }
}
