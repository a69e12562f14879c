using Zombiesim.Core.Network;
using Zombiesim.Core.Observation;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Connections;

/// <summary>
/// Who is who among the sockets: each connection's name in traces (c1, c2, ...), its latest
/// incident, whether the server refused it, and which part owns each socket's application events.
/// Several servers may be on the network; a client's socket is keyed by both endpoints. A socket is
/// the server's side when its local end is a server's listening endpoint: a pooler's host holds
/// server sides (its clients') and client sides (its own connections to the server behind it).
/// It watches the network for what explains later errors (a middlebox's drop or RST, a partition)
/// and hands every socket transition to the run's observer. A server's side finds its client's side
/// in the client host's table of sockets, which holds it from connect() until it is closed.
/// </summary>
internal sealed class ConnectionRegistry(IRunObserver observer, IEnumerable<Endpoint> servers, NetworkDriver network) : INetworkObserver
{
    private readonly HashSet<Endpoint> _serverEnds = servers.ToHashSet();
    private readonly bool _wantsTransitions = observer.WantsTransitions;
    private int _nextLabel = 1;

    private readonly bool _wantsSegments = observer.WantsSegments;
    private SegmentTrail? _trail; // the segments' records, made only when the observer wants them

    /// <summary>Routes an application event to the socket's owner, if it still has one. An event the kernel raised as the
    /// socket closed (the error of a RST) reaches its owner after the close, when the woken application runs.</summary>
    public void Dispatch(TcpConnection c, TcpEvent e) => (c.Owner as ISocketOwner)?.OnSocketEvent(c, e);

    /// <summary>The part the socket's events go to (an environment, a server's or a pooler's connection, a pooler's pool).</summary>
    public void Own(TcpConnection c, ISocketOwner owner) => c.Owner = owner;

    public void Disown(TcpConnection c) => c.Owner = null;

    public ConnectionInfo Info(TcpConnection c)
    {
        if (c.Tag is ConnectionInfo cached)
            return cached;
        var info = (_serverEnds.Contains(c.Local) ? ClientSide(c.Remote, c.Local) : null) ?? new ConnectionInfo($"c{_nextLabel++}");
        c.Tag = info;
        return info;
    }

    /// <summary>What the client's socket of a connection holds, while it is open: null when it has closed or never
    /// looked (a connect refused before it had a port).</summary>
    private ConnectionInfo? ClientSide(Endpoint client, Endpoint server) =>
        network.SocketAt(client, server)?.Tag as ConnectionInfo;

    public string Label(TcpConnection c) => c.State == TcpState.Listen || c.Remote.Address == 0 ? "listener" : Info(c).Label;

    /// <summary>Remember the latest thing that happened to a connection, to explain a later error.</summary>
    public void Incident(TcpConnection c, Incident incident)
    {
        var info = Info(c);
        info.Incident = incident;
        observer.OnIncident(info.Label, incident);
    }

    public Incident? IncidentOf(TcpConnection c) => Info(c).Incident;

    void INetworkObserver.OnSegment(TimeSpan at, string by, in Segment segment, SegmentFate fate)
    {
        if (_wantsSegments)
            (_trail ??= new SegmentTrail(observer, network, _serverEnds.Contains, Info)).OnSegment(at, segment, fate);
        IncidentKind? kind = fate switch
        {
            SegmentFate.DroppedMiddlebox => IncidentKind.MiddleboxDrop,
            SegmentFate.Injected when segment.Rst => IncidentKind.MiddleboxReset,
            SegmentFate.DroppedPartition => IncidentKind.PartitionDrop,
            _ => null,
        };
        if (kind is null)
            return;
        bool fromServer = _serverEnds.Contains(segment.Source);
        var info = fromServer ? ClientSide(segment.Destination, segment.Source) : ClientSide(segment.Source, segment.Destination);
        if (info is not null)
        {
            info.Incident = new Incident(at, kind.Value, kind == IncidentKind.PartitionDrop ? null : by);
            observer.OnIncident(info.Label, info.Incident);
        }
    }

    void INetworkObserver.OnTransition(TimeSpan at, TcpConnection c, TcpState from, TcpState to, TcpCause cause)
    {
        if (_wantsTransitions)
            observer.OnTransition(new TransitionRecord(at, c.Host.Name, Label(c), from, to, cause));
        else if (_wantsSegments)
            Label(c); // named in the same order as when transitions are recorded
    }

    void INetworkObserver.OnEvent(TimeSpan at, TcpConnection connection, in TcpEvent e) { }
}

/// <summary>What both ends of a connection share: its name in traces, the latest incident that may
/// explain a later error, and whether the server refused it. Kept on the sockets.</summary>
internal sealed class ConnectionInfo(string label)
{
    public string Label { get; } = label;
    public Incident? Incident;
    public bool Rejected;

    /// <summary>The initial sequence numbers of the client's and the server's SYNs, once sent (segments' records only).</summary>
    public uint? ClientIsn, ServerIsn;

    /// <summary>The incident whose error reply the server wrote before it closed (MySQL 4031 after
    /// wait_timeout): what a client reading bytes from it reads is that error, not a reply.</summary>
    public Incident? ServerError;

    /// <summary>What the command on its way asks the server (an administrative query: MySQL's process list,
    /// KILL); null: an ordinary command.</summary>
    public Servers.ServerQuery? Query;

    /// <summary>The server's answer to <see cref="Query"/>, left with the reply for the client to read.</summary>
    public Servers.QueryAnswer? Answer;
}
