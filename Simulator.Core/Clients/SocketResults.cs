using Zombiesim.Core.Connections;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Clients;

/// <summary>What every client library makes of its sockets: the options it opens them with, and the
/// result of a command a socket failed, with the cause the connection's incidents explain.</summary>
internal static class SocketResults
{
    /// <summary>The socket options of <paramref name="spec"/>: a zero keepalive idle time keeps the host's
    /// tcp_keepalive_time, as Node's setKeepAlive(true, 0) does.</summary>
    public static SocketOptions Options(ClientSpec spec) => new()
    {
        KeepAlive = spec.KeepAlive is not null, KeepIdle = spec.KeepAlive > TimeSpan.Zero ? spec.KeepAlive : null,
        UserTimeout = spec.UserTimeout,
    };

    /// <summary>A command failed with what the socket reported.</summary>
    public static Result Error(ConnectionRegistry connections, TcpConnection socket, Errno errno, ErrorOrigin origin, Syscall call)
    {
        var outcome = OutcomeNames.FromErrno(errno);
        return new(outcome, OutcomeNames.FromErrorOrigin(origin), connections.Label(socket), Explain(connections, socket, outcome))
        {
            Call = call,
        };
    }

    /// <summary>A send refused at once: with no origin of its own, the error a RST left on the socket.</summary>
    public static Result SendFailed(ConnectionRegistry connections, TcpConnection socket, Errno errno, ErrorOrigin origin) =>
        Error(connections, socket, errno, origin == ErrorOrigin.None ? ErrorOrigin.Rst : origin, Syscall.Write);

    /// <summary>The server refused the connection: the reply to the command was its refusal.</summary>
    public static Result Rejected(ConnectionRegistry connections, TcpConnection socket)
    {
        var refusal = connections.IncidentOf(socket);
        return new(Outcome.Rejected, Origin.Server, connections.Label(socket), refusal is null ? null : Cause.Of(refusal));
    }

    /// <summary>What the bytes a client reads are when the server wrote an error before closing: its
    /// refusal, or the error it sent with an idle close; null when they are a reply.</summary>
    public static Result? ServerSaid(ConnectionRegistry connections, TcpConnection socket)
    {
        var info = connections.Info(socket);
        if (info.Rejected)
            return Rejected(connections, socket);
        return info.ServerError is { } said ? new(Outcome.ServerError, Origin.Server, info.Label, Cause.Of(said)) : null;
    }

    /// <summary>Why the socket failed as it did: nothing listening, the incident on the connection, or
    /// retransmissions never acknowledged.</summary>
    public static Cause? Explain(ConnectionRegistry connections, TcpConnection socket, Outcome outcome)
    {
        var incident = connections.IncidentOf(socket);
        return outcome switch
        {
            Outcome.ECONNREFUSED => new Cause(CauseKind.NothingListening),
            _ when incident is not null => Cause.Of(incident),
            Outcome.ETIMEDOUT => new Cause(CauseKind.NeverAcknowledged),
            _ => null,
        };
    }
}
