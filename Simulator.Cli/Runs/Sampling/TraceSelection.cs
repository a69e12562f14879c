using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;

namespace Zombiesim.Cli.Runs.Sampling;

/// <summary>
/// Chooses, as records stream by, what a trace holds (<see cref="TraceSpec"/>), and hands the chosen
/// records to a sink in the order they are chosen; the requests <see cref="RequestSample"/> keeps go to
/// <c>sampled</c> whatever the level. A connection is traced from the moment it is chosen; the last
/// <see cref="Recent"/> records of every connection and environment not yet traced are remembered, so
/// that a traced connection's records start before it was chosen (a failed request's connection
/// shows the close that explains it) and its environment's lifecycle comes with it. Such records are
/// written when the connection is chosen, after records of other connections with later instants.
/// At the default level the trace is bounded: the first <see cref="ChartConnections"/> client
/// connections and the first a server closed (the lifecycle chart's), the connections of the first failed request of each kind,
/// of other sampled failures and of one in <see cref="SuccessConnectionEvery"/> sampled successes (at
/// most <see cref="MaxFailureConnections"/> and <see cref="MaxSuccessConnections"/>), each with at most
/// <see cref="MaxRecordsPerConnection"/> records and its environment with at most as many lifecycle
/// records; notes that concern no connection (restarts, partitions, redeploys) are always written.
/// Segments (when the sink wants them) are written for traced connections from the moment they are chosen, none
/// remembered from before, at most <see cref="MaxRecordsPerConnection"/> a connection at the default level.
/// </summary>
public sealed class TraceSelection : IRunObserver
{
    public const int ChartConnections = 3, MaxFailureConnections = 50, MaxSuccessConnections = 50, SuccessConnectionEvery = 40;
    public const int MaxRecordsPerConnection = 200, Recent = 8;

    private readonly TraceSpec _spec;
    private readonly RequestSample _requests;
    private readonly IRunObserver _sink;
    private readonly Action<RequestRecord>? _sampled;
    private readonly Dictionary<string, Ring> _recentOfConnection = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Ring> _recentOfEnvironment = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _connections = new(StringComparer.Ordinal); // traced: records written
    private readonly Dictionary<string, int> _environments = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _segments = new(StringComparer.Ordinal); // segments written, by connection
    private readonly HashSet<(Outcome, Origin?)> _failureKinds = new();
    private int _chart, _failureConnections, _successConnections;
    private bool _firstClose;

    public TraceSelection(Scenario scenario, TraceSpec spec, IRunObserver sink, Action<RequestRecord>? sampled = null)
    {
        _spec = spec;
        _requests = new RequestSample(scenario);
        _sink = sink;
        _sampled = sampled;
    }

    public TraceSpec Spec => _spec;
    public RequestSample Requests => _requests;
    /// <summary>Connections whose records the trace holds.</summary>
    public int ConnectionsTraced => _connections.Count;
    /// <summary>Records of traced connections and environments past <see cref="MaxRecordsPerConnection"/>.</summary>
    public long RecordsPastCap { get; private set; }

    public bool WantsTransitions => true;
    public bool KeepsSamples => _sink.KeepsSamples;
    public bool WantsSegments => _sink.WantsSegments;
    public void OnSample(Sample s) => _sink.OnSample(s);

    public void OnRequest(RequestRecord r)
    {
        bool sampled = _requests.Take(r, out long index);
        if (sampled)
            _sampled?.Invoke(r);
        switch (_spec.Level)
        {
            case TraceLevel.All:
                _sink.OnRequest(r);
                break;
            case TraceLevel.Sample when sampled:
                _sink.OnRequest(r);
                if (r.Connection is { } c && !_connections.ContainsKey(c))
                {
                    if (!r.Ok && (_failureKinds.Add((r.Outcome, r.Origin)) || _failureConnections < MaxFailureConnections))
                    {
                        _failureConnections++;
                        Trace(c, r.Environment);
                    }
                    else if (r.Ok && index % SuccessConnectionEvery == 0 && _successConnections < MaxSuccessConnections)
                    {
                        _successConnections++;
                        Trace(c, r.Environment);
                    }
                }
                break;
            case TraceLevel.Errors when !r.Ok:
                _sink.OnRequest(r);
                if (r.Connection is { } failed)
                    Trace(failed, r.Environment);
                break;
            case TraceLevel.Function when r.Function == _spec.Name:
            case TraceLevel.Connection when r.Connection == _spec.Name:
                _sink.OnRequest(r);
                break;
        }
    }

    public void OnTransition(TransitionRecord t)
    {
        if (_spec.Level == TraceLevel.All)
        {
            _sink.OnTransition(t);
            return;
        }
        string c = t.Connection;
        if (c == "listener")
        {
            _sink.OnTransition(t); // the server's listening socket: one transition a start
            return;
        }
        bool client = t.Host != "server";
        bool traced = _connections.ContainsKey(c);
        if (!traced && client && Chosen(t))
        {
            Trace(c, t.Host);
            traced = true;
        }
        if (traced)
            Write(c, t);
        else
        {
            Remember(_recentOfConnection, c, t);
            if (t.To == TcpState.Closed)
                _recentOfConnection.Remove(c);
        }
    }

    public void OnSegment(SegmentRecord s)
    {
        if (_spec.Level != TraceLevel.All)
        {
            if (!_connections.ContainsKey(s.Connection))
                return;
            int written = _segments.GetValueOrDefault(s.Connection);
            if (_spec.Level == TraceLevel.Sample && written >= MaxRecordsPerConnection)
            {
                RecordsPastCap++;
                return;
            }
            _segments[s.Connection] = written + 1;
        }
        _sink.OnSegment(s);
    }

    public void OnLifecycle(LifecycleRecord l)
    {
        if (_spec.Level == TraceLevel.All)
        {
            _sink.OnLifecycle(l);
            return;
        }
        if (_spec.Level == TraceLevel.Function && FunctionOf(l.Environment) == _spec.Name)
            _environments.TryAdd(l.Environment, 0);
        if (_environments.TryGetValue(l.Environment, out int written))
        {
            if (_spec.Level == TraceLevel.Sample && written >= MaxRecordsPerConnection)
                RecordsPastCap++;
            else
            {
                _environments[l.Environment] = written + 1;
                _sink.OnLifecycle(l);
            }
        }
        else
        {
            Remember(_recentOfEnvironment, l.Environment, l);
            if (l.Event == LifecycleEvent.Destroyed)
                _recentOfEnvironment.Remove(l.Environment);
        }
    }

    public void OnNote(NoteRecord n)
    {
        if (_spec.Level == TraceLevel.All || Subject(n) is not { } c)
        {
            // Notes that concern no connection (a restart, a partition, a redeploy) explain everything after them.
            _sink.OnNote(n);
            return;
        }
        if (_spec.Level == TraceLevel.Sample && n.Kind == NoteKind.Close && !_firstClose)
        {
            _firstClose = true; // the lifecycle chart's: the first connection a server let go of
            if (!_connections.ContainsKey(c) && ClientOf(c) is { } environment)
                Trace(c, environment);
        }
        if (_connections.ContainsKey(c))
            Write(c, n);
        else
            Remember(_recentOfConnection, c, n);
    }

    /// <summary>The environment of a connection not yet traced: the host of its remembered active open, if remembered.</summary>
    private string? ClientOf(string connection) =>
        _recentOfConnection.TryGetValue(connection, out var recent)
            ? recent.Items().OfType<TransitionRecord>().FirstOrDefault(t => t.Cause == TcpCause.ActiveOpen)?.Host
            : null;

    /// <summary>Whether a client connection seen for the first time is traced from its first record.</summary>
    private bool Chosen(TransitionRecord t) => _spec.Level switch
    {
        TraceLevel.Sample => _chart < ChartConnections && !_recentOfConnection.ContainsKey(t.Connection) && t.Connection.StartsWith('c')
            && ++_chart > 0,
        TraceLevel.Function => FunctionOf(t.Host) == _spec.Name,
        TraceLevel.Connection => t.Connection == _spec.Name,
        _ => false,
    };

    /// <summary>From now on the records of <paramref name="connection"/> and of its environment's lifecycle are
    /// written; those remembered are written first.</summary>
    private void Trace(string connection, string environment)
    {
        if (_environments.TryAdd(environment, 0) && _recentOfEnvironment.Remove(environment, out var lifecycle))
        {
            foreach (var l in lifecycle.Items())
                OnLifecycle((LifecycleRecord)l);
        }
        if (_connections.TryAdd(connection, 0) && _recentOfConnection.Remove(connection, out var recent))
        {
            foreach (var record in recent.Items())
                Write(connection, record);
        }
    }

    private void Write(string connection, object record)
    {
        int written = _connections[connection];
        if (_spec.Level == TraceLevel.Sample && written >= MaxRecordsPerConnection)
        {
            RecordsPastCap++;
            return;
        }
        _connections[connection] = written + 1;
        if (record is TransitionRecord t)
            _sink.OnTransition(t);
        else
            _sink.OnNote((NoteRecord)record);
    }

    private static void Remember(Dictionary<string, Ring> rings, string key, object record)
    {
        if (!rings.TryGetValue(key, out var ring))
            rings[key] = ring = new Ring();
        ring.Add(record);
    }

    /// <summary>The function of an environment named "function#n".</summary>
    private static string FunctionOf(string environment) =>
        environment.LastIndexOf('#') is var i and > 0 ? environment[..i] : environment;

    /// <summary>The connection a server's or pooler's refusal or close is about.</summary>
    private static string? Subject(NoteRecord n) => n.Kind is NoteKind.Refusal or NoteKind.Close ? n.Connection : null;

    /// <summary>The last <see cref="Recent"/> records of something not yet traced.</summary>
    private sealed class Ring
    {
        private readonly object[] _items = new object[Recent];
        private int _next, _count;

        public void Add(object item)
        {
            _items[_next] = item;
            _next = (_next + 1) % Recent;
            _count = Math.Min(_count + 1, Recent);
        }

        public IEnumerable<object> Items()
        {
            for (int i = 0; i < _count; i++)
                yield return _items[(_next - _count + i + Recent) % Recent];
        }
    }
}
