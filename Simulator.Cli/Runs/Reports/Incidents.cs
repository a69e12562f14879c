using Zombiesim.Core.Observation;

namespace Zombiesim.Cli.Runs.Reports;

/// <summary>The first failed request of one kind ("REJECTED (server)"), with its cause.</summary>
public sealed record FirstFailure(string Kind, RequestRecord Request, long Count);

/// <summary>A limit first hit: what it is, when, on what (a connection, a function) and how often in all.</summary>
public sealed record LimitHit(string Limit, TimeSpan At, string Detail, long Count, string Counted);

/// <summary>
/// What a person asks of a run first, gathered as it streams by: the first failed request of each
/// kind with its instant and cause, the instant each limit was first hit (the server's maxclients,
/// hard and soft limits; a function's reserved or the regional concurrency; a pool's size) and how
/// often, and the peaks of server connections and of zombies with the first sample that reached them.
/// Each new first (and each new peak) is a moment the timeline shows the records around.
/// </summary>
public sealed class Incidents : IRunObserver
{
    private readonly Dictionary<string, (RequestRecord First, long Count)> _failures = new(StringComparer.Ordinal);
    private readonly List<string> _failureOrder = new();
    private readonly Dictionary<string, LimitHit> _limits = new(StringComparer.Ordinal);
    private readonly List<string> _limitOrder = new();
    private readonly Action<string, string, TimeSpan>? _moment;

    /// <param name="moment">Hears each moment as it happens: a key (a peak's is the same each time it
    /// rises), its title and its instant.</param>
    public Incidents(Action<string, string, TimeSpan>? moment = null) => _moment = moment;

    /// <summary>The first failure of each kind (the first to end), in the order they ended.</summary>
    public IReadOnlyList<FirstFailure> Failures => _failureOrder
        .Select(k => new FirstFailure(k, _failures[k].First, _failures[k].Count)).OrderBy(f => f.Request.End).ToList();

    /// <summary>Each limit first hit, in the order of their instants.</summary>
    public IReadOnlyList<LimitHit> Limits => _limitOrder.Select(k => _limits[k]).OrderBy(l => l.At).ToList();

    /// <summary>The scenario's scripted events as they happened (restarts, failovers, partitions, redeploys), the first
    /// <see cref="MaxEvents"/>.</summary>
    public IReadOnlyList<NoteRecord> Events => _events;
    /// <summary>Every scripted event, also those past <see cref="MaxEvents"/>.</summary>
    public long EventCount { get; private set; }
    public const int MaxEvents = 16;
    private readonly List<NoteRecord> _events = new();
    private readonly HashSet<(string, NoteKind)> _eventMoments = new();

    public (int Value, TimeSpan At) PeakServerConnections { get; private set; }
    public (int Value, TimeSpan At) PeakZombies { get; private set; }
    /// <summary>Connections the server closed after its idle timeout.</summary>
    public long IdleCloses { get; private set; }

    public void OnRequest(RequestRecord r)
    {
        if (r.Ok)
            return;
        string kind = RunSummary.ErrorName(r.Outcome, r.Origin);
        if (_failures.TryGetValue(kind, out var known))
            _failures[kind] = (known.First, known.Count + 1); // requests are emitted as they end: the first one ended first
        else
        {
            _failures[kind] = (r, 1);
            _failureOrder.Add(kind);
            _moment?.Invoke("failure " + kind, $"first {kind}", r.End);
        }
        // A request refused at the invocation has no environment; a caller's request failed by its callee's is not a limit hit.
        if (r.Cause is { Limit: { } limit } cause && (r.Environment == "-" || cause.Kind == CauseKind.AcquireTimeout))
        {
            string? name = cause.Kind switch
            {
                CauseKind.ReservedConcurrency => $"reserved concurrency {limit} of {r.Function}",
                CauseKind.RegionalConcurrency => $"regional concurrency {limit}",
                CauseKind.AcquireTimeout => $"pool of {limit} of {r.Function} (acquire timeout)",
                _ => null,
            };
            if (name is not null)
                Hit(name, r.T, $"{r.Function} request at {Instant.Format(r.T)}", "requests failed");
        }
    }

    public void OnIncident(string connection, Incident incident)
    {
        string? name = incident.Kind switch
        {
            IncidentKind.RefusedMaxClients or IncidentKind.RefusedHardLimit =>
                $"{incident.LimitName} ({incident.Limit}) of {incident.Server}",
            IncidentKind.Eviction => $"server soft limit {incident.Limit}",
            IncidentKind.OutboundLimit => $"outbound connections {incident.Limit} per instance",
            IncidentKind.QueryWaitTimeout => $"pooler pool of {incident.Limit} (query wait timeout)",
            _ => null,
        };
        if (incident.Kind == IncidentKind.IdleClose)
            IdleCloses++;
        if (name is not null)
            Hit(name, incident.At, $"{connection}: {incident.What}",
                incident.Kind switch
                {
                    IncidentKind.Eviction => "connections evicted",
                    IncidentKind.QueryWaitTimeout => "clients closed",
                    _ => "connections refused",
                });
    }

    /// <summary>A scripted event: listed, and the first of each kind on each part is a moment of the timeline.</summary>
    public void OnNote(NoteRecord n)
    {
        if (!n.Kind.Scripted())
            return;
        EventCount++;
        if (_events.Count < MaxEvents)
            _events.Add(n);
        if (_eventMoments.Add((n.Who, n.Kind)))
            _moment?.Invoke($"event {n.Kind.Name()} {n.Who}", $"{n.Who} {n.Kind.Name()}", n.T);
    }

    public void OnSample(Sample s)
    {
        int total = s.Server.Total, zombies = s.Server["zombie"];
        if (total > PeakServerConnections.Value)
        {
            PeakServerConnections = (total, s.T);
            _moment?.Invoke("peak server", "peak of server connections", s.T);
        }
        if (zombies > PeakZombies.Value)
        {
            PeakZombies = (zombies, s.T);
            _moment?.Invoke("peak zombies", "peak of zombies", s.T);
        }
    }

    private void Hit(string limit, TimeSpan at, string detail, string counted)
    {
        if (_limits.TryGetValue(limit, out var known))
        {
            _limits[limit] = known with { Count = known.Count + 1 };
            return;
        }
        _limits[limit] = new LimitHit(limit, at, detail, 1, counted);
        _limitOrder.Add(limit);
        _moment?.Invoke("limit " + limit, $"{limit} first hit", at);
    }
}
