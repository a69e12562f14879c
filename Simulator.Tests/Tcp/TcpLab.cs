using Zombiesim.Core.Network;
using Zombiesim.Core.Random;
using Zombiesim.Tcp;
using Zombiesim.Core.Engine;

namespace Zombiesim.Tests.Tcp;

/// <summary>Two hosts on a path, an engine, and a record of everything that happened.</summary>
internal sealed class TcpLab : INetworkObserver
{
    public readonly Scheduler Engine = new();
    public readonly NetworkDriver Net;
    public readonly TcpHost Client;
    public readonly TcpHost Server;
    public readonly NetworkPath Path;
    public readonly List<(TimeSpan At, TcpConnection C, TcpState From, TcpState To, TcpCause Cause)> Transitions = new();
    public readonly List<(TimeSpan At, string By, Segment S, SegmentFate Fate)> Segments = new();
    public readonly List<(TimeSpan At, TcpConnection C, TcpEvent E)> Events = new();
    public TcpConnection? Accepted;
    public const ushort Port = 6379;

    /// <summary>One-way latency 0.5 ms: RTT 1 ms, so RTO = 1 ms + 200 ms after the handshake.</summary>
    public static readonly TimeSpan OneWay = TimeSpan.FromMilliseconds(0.5);

    public TcpLab(Sysctls? client = null, Sysctls? server = null, IReadOnlyList<Middlebox>? boxes = null,
        NoSocketPolicy serverNoSocket = NoSocketPolicy.Reset, TimeSpan? oneWay = null)
    {
        Net = new NetworkDriver(Engine, this);
        Client = Net.AddHost("client", client);
        Server = Net.AddHost("server", server, serverNoSocket);
        Path = Net.Connect(Client, Server, new Constant((oneWay ?? OneWay).TotalSeconds), new SeededChoices(1), boxes);
        Net.Application = (c, e) =>
        {
            if (e.Kind == TcpEventKind.Accepted)
                Accepted = c;
        };
    }

    public static TimeSpan S(double seconds) => TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));
    public static TimeSpan Ms(double ms) => TimeSpan.FromTicks((long)Math.Round(ms * TimeSpan.TicksPerMillisecond));

    public TimeSpan Now => Engine.Now;

    public void RunUntil(TimeSpan t) => Engine.RunUntil(t);

    /// <summary>Listen on the server, connect from the client, run until both are ESTABLISHED.</summary>
    public (TcpConnection Client, TcpConnection Server) Establish(SocketOptions? clientOptions = null, SocketOptions? serverOptions = null)
    {
        Server.Listen(Port, serverOptions);
        var c = Client.Connect(Now, new Endpoint(Server.Address, Port), clientOptions);
        RunUntil(Now + Ms(2));
        if (c.State != TcpState.Established || Accepted is null)
            throw new InvalidOperationException($"handshake did not complete: {c}");
        return (c, Accepted);
    }

    /// <summary>Run an application action at an instant (the lab's clock moves there first).</summary>
    public T At<T>(TimeSpan t, Func<T> action)
    {
        RunUntil(t);
        return action();
    }

    public void At(TimeSpan t, Action action)
    {
        RunUntil(t);
        action();
    }

    public IEnumerable<(TimeSpan At, TcpState From, TcpState To, TcpCause Cause)> Of(TcpConnection c) =>
        Transitions.Where(x => x.C == c).Select(x => (x.At, x.From, x.To, x.Cause));

    public IEnumerable<TcpState> StatesOf(TcpConnection c) => Of(c).Select(x => x.To);

    public TimeSpan WhenEntered(TcpConnection c, TcpState s) => Of(c).First(x => x.To == s).At;

    public IEnumerable<(TimeSpan At, Segment S)> SentBy(TcpHost h) =>
        Segments.Where(x => x.Fate == SegmentFate.Sent && x.By == h.Name).Select(x => (x.At, x.S));

    public void OnSegment(TimeSpan at, string by, in Segment segment, SegmentFate fate) => Segments.Add((at, by, segment, fate));
    public void OnTransition(TimeSpan at, TcpConnection connection, TcpState from, TcpState to, TcpCause cause) =>
        Transitions.Add((at, connection, from, to, cause));
    public void OnEvent(TimeSpan at, TcpConnection connection, in TcpEvent e) => Events.Add((at, connection, e));
}
