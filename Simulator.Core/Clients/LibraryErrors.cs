using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Presets;

namespace Zombiesim.Core.Clients;

/// <summary>The system call a failed socket call was: Node names it in its errors ("read ECONNRESET").</summary>
internal enum Syscall { Read, Write, Connect }

/// <summary>What went wrong, in the terms a library words its errors in.</summary>
public enum LibrarySituation
{
    /// <summary>The peer's FIN ended the connection while a command waited (EOF).</summary>
    Closed,
    /// <summary>A RST reached a read: ECONNRESET.</summary>
    ReadReset,
    /// <summary>A write failed after a RST: ECONNRESET or EPIPE.</summary>
    WriteFailed,
    /// <summary>The kernel gave up retransmitting on an established connection.</summary>
    ReadTimedOut,
    /// <summary>The kernel gave up its SYN retries.</summary>
    ConnectTimedOut,
    /// <summary>The SYN was answered with RST.</summary>
    ConnectRefused,
    /// <summary>The platform refused connect() before any SYN: its outbound connection limit (EACCES).</summary>
    ConnectDenied,
    /// <summary>The library's own connect timer ran out.</summary>
    LibraryConnectTimeout,
    /// <summary>The library's own command timer ran out.</summary>
    LibraryCommandTimeout,
    /// <summary>The pool had no connection for the command within its acquire timeout.</summary>
    AcquireTimeout,
    /// <summary>The pool's queue of waiting commands was full.</summary>
    QueueFull,
    /// <summary>The driver's monitor did not find the server within the server selection timeout.</summary>
    ServerSelectionTimeout,
    /// <summary>The command failed on each of the connections the library retried it on.</summary>
    RetriesExhausted,
}

/// <summary>
/// The words a client library gives the application for each failure, read in its source at the
/// version its preset cites (docs/model.md, "What the libraries say"). Templates name
/// {address} (the server's name and port), {syscall}, {errno}, {timeout} and {retries}.
/// A library that says nothing of its own for a situation passes Node's socket error through:
/// "{syscall} {errno}", with the address for connect, as Node's lib/internal/errors.js words it.
/// </summary>
public static class LibraryErrors
{
    private static readonly IReadOnlyDictionary<LibrarySituation, string> Node = new Dictionary<LibrarySituation, string>
    {
        [LibrarySituation.ReadReset] = "read ECONNRESET",
        [LibrarySituation.WriteFailed] = "write {errno}",
        [LibrarySituation.ReadTimedOut] = "read ETIMEDOUT",
        [LibrarySituation.ConnectTimedOut] = "connect ETIMEDOUT {address}",
        [LibrarySituation.ConnectRefused] = "connect ECONNREFUSED {address}",
        [LibrarySituation.ConnectDenied] = "connect EACCES {address}",
    };

    private static IReadOnlyDictionary<LibrarySituation, string> NodeWith(params (LibrarySituation, string)[] own)
    {
        var d = new Dictionary<LibrarySituation, string>(Node);
        foreach (var (s, text) in own)
            d[s] = text;
        return d;
    }

    private static readonly IReadOnlyDictionary<LibrarySituation, string> Mysql2 = NodeWith(
        (LibrarySituation.Closed, "Connection lost: The server closed the connection. (PROTOCOL_CONNECTION_LOST)"),
        (LibrarySituation.LibraryConnectTimeout, "connect ETIMEDOUT"),
        (LibrarySituation.QueueFull, "Queue limit reached."));

    /// <summary>Each preset's words, with where they were read. The neutral `generic` library says nothing of its own.</summary>
    public static PresetTable<IReadOnlyDictionary<LibrarySituation, string>> Table { get; } = new("library-errors",
    [
        new(ClientPresets.Default, new Dictionary<LibrarySituation, string>(),
            new(SourceKind.Folk, "the model's neutral library: outcomes and errnos only"), "no words of its own"),
        new("ioredis", NodeWith(
                (LibrarySituation.Closed, "Connection is closed."),
                (LibrarySituation.LibraryConnectTimeout, "connect ETIMEDOUT"),
                (LibrarySituation.LibraryCommandTimeout, "Command timed out"),
                (LibrarySituation.RetriesExhausted,
                    "Reached the max retries per request limit (which is {retries}). "
                        + "Refer to \"maxRetriesPerRequest\" option for details.")),
            new(SourceKind.Doc, "ioredis v5.9.3 lib/utils/index.ts:314 (Connection is closed.), lib/Redis.ts:259 (connect ETIMEDOUT), "
                + "lib/Command.ts:378 (Command timed out), lib/errors/MaxRetriesPerRequestError.ts:5"),
            "Connection is closed.; connect ETIMEDOUT; Command timed out; Reached the max retries per request limit"),
        new("node-redis", NodeWith(
                (LibrarySituation.Closed, "Socket closed unexpectedly"),
                (LibrarySituation.LibraryConnectTimeout, "Connection timeout")),
            new(SourceKind.Doc,
                "@redis/client 5.12.1 lib/errors.ts:13-16 (ConnectionTimeoutError), :43-46 (SocketClosedUnexpectedlyError)"),
            "Socket closed unexpectedly; Connection timeout"),
        new("mysql2", Mysql2,
            new(SourceKind.Doc, "mysql2 3.23.4 lib/base/connection.js:123-130 (PROTOCOL_CONNECTION_LOST), :249-253 (connect ETIMEDOUT); "
                + "lib/base/pool.js:116 (Queue limit reached.)"),
            "Connection lost: The server closed the connection.; connect ETIMEDOUT; Queue limit reached."),
        new("pg", NodeWith(
                (LibrarySituation.Closed, "Connection terminated unexpectedly"),
                (LibrarySituation.AcquireTimeout, "timeout exceeded when trying to connect"),
                (LibrarySituation.LibraryConnectTimeout, "Connection terminated due to connection timeout")),
            new(SourceKind.Doc, "pg 8.23.0 packages/pg/lib/client.js:204 (Connection terminated unexpectedly); pg-pool 3.14.0 "
                + "index.js:224 (timeout exceeded when trying to connect), :276 (Connection terminated due to connection timeout)"),
            "Connection terminated unexpectedly; timeout exceeded when trying to connect; "
                + "Connection terminated due to connection timeout"),
        new("postgres.js", NodeWith(
                (LibrarySituation.Closed, "write CONNECTION_CLOSED {address}"),
                (LibrarySituation.LibraryConnectTimeout, "write CONNECT_TIMEOUT {address}")),
            new(SourceKind.Doc, "postgres 3.4.9 src/errors.js (Errors.connection: 'write ' + code + ' ' + host:port), "
                + "src/connection.js:453 (CONNECTION_CLOSED), :261-264 (CONNECT_TIMEOUT)"),
            "write CONNECTION_CLOSED host:port; write CONNECT_TIMEOUT host:port"),
        new("mongodb", NodeWith(
                (LibrarySituation.Closed, "connection {connection} to {address} closed"),
                (LibrarySituation.ReadReset, "connection {connection} to {address} closed"),
                (LibrarySituation.AcquireTimeout, "Timed out while checking out a connection from connection pool"),
                (LibrarySituation.ServerSelectionTimeout, "Server selection timed out after {timeoutMs} ms")),
            new(SourceKind.Doc, "mongodb (Node driver) 7.5.0 src/cmap/connection.ts:322, :344 (MongoNetworkError: connection <id> to "
                + "<address> closed), src/cmap/connection_pool.ts:359-362 (WaitQueueTimeoutError), "
                + "src/sdam/topology.ts:638-639 (server selection)"),
            "connection N to host:port closed; Timed out while checking out a connection from connection pool; "
                + "Server selection timed out after N ms"),
        new("prisma", NodeWith(
                (LibrarySituation.Closed, "P1017: Server has closed the connection."),
                (LibrarySituation.LibraryConnectTimeout, "P1001: Can't reach database server at {address}"),
                (LibrarySituation.AcquireTimeout, "P2024: Timed out fetching a new connection from the connection pool. "
                    + "(Current connection pool timeout: {timeout}, connection limit: {limit})")),
            new(SourceKind.Folk, "prisma-engines libs/user-facing-errors/src/common.rs (P1001, P1017) and src/query_engine/mod.rs "
                + "(P2024), at commits whose release was not determined"),
            "P1017 Server has closed the connection.; P1001 Can't reach database server; P2024 Timed out fetching a new connection"),
        new("serverless-mysql", Mysql2,
            new(SourceKind.Doc, "serverless-mysql 2.1.0 index.js:145, :473 (one mysql2 connection: mysql2's words, see mysql2)"),
            "mysql2's words"),
        new("http-agent", NodeWith(
                (LibrarySituation.Closed, "socket hang up (ECONNRESET)")),
            new(SourceKind.Doc, "Node.js 20.20.2 lib/_http_client.js:477, :528 (ConnResetException('socket hang up'), code ECONNRESET)"),
            "socket hang up"),
    ]);

    private static readonly System.Globalization.CultureInfo Inv = System.Globalization.CultureInfo.InvariantCulture;

    /// <summary>What <paramref name="library"/> says of a failed command, or null when it says nothing of its own.</summary>
    internal static string? Message(ClientSpecWords library, Result r, int retries)
    {
        // Refusals by the server or the platform, the function timeout and success have no library words: no situation.
        if (r.Outcome == Outcome.Ok || Situation(r) is not { } s)
            return null;
        var words = Table[library.Library].Values;
        if (retries > 0 && retries >= library.Retries && words.ContainsKey(LibrarySituation.RetriesExhausted))
            s = LibrarySituation.RetriesExhausted;
        if (!words.TryGetValue(s, out var template))
            return null;
        return template
            .Replace("{address}", library.Address)
            .Replace("{errno}", r.Outcome.Errno() ?? r.Outcome.Name())
            .Replace("{connection}", r.Connection ?? "-")
            .Replace("{retries}", library.Retries.ToString(Inv))
            .Replace("{timeoutMs}", r.Cause?.Timeout is { } ms ? ms.TotalMilliseconds.ToString(Inv) : "-")
            .Replace("{timeout}", r.Cause?.Timeout is { } t ? Scenarios.DurationText.Format(t) : "-")
            .Replace("{limit}", r.Cause?.Limit?.ToString(Inv) ?? "-");
    }

    private static LibrarySituation? Situation(Result r) => (r.Outcome, r.Origin, r.Cause?.Kind) switch
    {
        (Outcome.Eof, _, _) => LibrarySituation.Closed,
        (Outcome.Rejected, Origin.Library, CauseKind.QueueLimit) => LibrarySituation.QueueFull,
        (_, Origin.LibraryTimeout, CauseKind.ConnectTimeout) => LibrarySituation.LibraryConnectTimeout,
        (_, Origin.LibraryTimeout, CauseKind.CommandTimeout) => LibrarySituation.LibraryCommandTimeout,
        (_, Origin.LibraryTimeout, CauseKind.AcquireTimeout) => LibrarySituation.AcquireTimeout,
        (_, Origin.LibraryTimeout, CauseKind.ServerSelectionTimeout) => LibrarySituation.ServerSelectionTimeout,
        (Outcome.ECONNREFUSED, _, _) => LibrarySituation.ConnectRefused,
        (Outcome.EACCES, _, _) => LibrarySituation.ConnectDenied,
        (Outcome.ETIMEDOUT, Origin.KernelTimeout, _) when r.Call == Syscall.Connect => LibrarySituation.ConnectTimedOut,
        (Outcome.ETIMEDOUT, Origin.KernelTimeout, _) => LibrarySituation.ReadTimedOut,
        (Outcome.ECONNRESET or Outcome.EPIPE, _, _) when r.Call == Syscall.Write => LibrarySituation.WriteFailed,
        (Outcome.ECONNRESET, _, _) => LibrarySituation.ReadReset,
        (Outcome.EPIPE, _, _) => LibrarySituation.WriteFailed,
        _ => null,
    };
}

/// <summary>What <see cref="LibraryErrors"/> needs of a function's client: the library, its retries, the server it talks to.</summary>
internal readonly record struct ClientSpecWords(string Library, int Retries, string Address);
