using Zombiesim.Core.Observation;

namespace Zombiesim.Core.Servers;

/// <summary>An administrative query a client sends as one command, and what it asks a server that keeps
/// a process list (MySQL): serverless-mysql 2.1.0 runs these at end() (index.js:343-347, :370-373,
/// :394-397, :403).</summary>
internal abstract record ServerQuery;

/// <summary>`SELECT IF(@@max_user_connections > 0, LEAST(@@max_user_connections,@@max_connections),
/// @@max_connections) AS total`: the connection limit.</summary>
internal sealed record MaxConnectionsQuery : ServerQuery;

/// <summary>`SELECT COUNT(ID) as total, MAX(time) as max_age FROM information_schema.processlist`.</summary>
internal sealed record ProcessCountQuery : ServerQuery;

/// <summary>`SELECT ID,time FROM information_schema.processlist WHERE command = 'Sleep' AND time >= ? AND
/// user = ? ORDER BY time DESC`.</summary>
internal sealed record SleepingQuery(int MinSeconds) : ServerQuery;

/// <summary>`KILL ?`: the server closes that connection.</summary>
internal sealed record KillQuery(long Id) : ServerQuery;

/// <summary>One row of the process list: a connection's id and its `time`, whole seconds in its state.</summary>
internal readonly record struct ProcessRow(long Id, int Time);

/// <summary>The server's answer to a <see cref="ServerQuery"/>: a number and the largest `time`, rows, or an
/// error reply (the connection stays open).</summary>
internal sealed record QueryAnswer(int Total = 0, int MaxAge = 0, IReadOnlyList<ProcessRow>? Rows = null, ServerReply? Error = null);

/// <summary>
/// MySQL's process list as a client sees it through information_schema.PROCESSLIST (reference manual
/// 8.0, "The INFORMATION_SCHEMA PROCESSLIST Table"): one row per connection, `command` Sleep while it
/// waits for a statement, `time` the whole seconds since it entered its state (for a sleeping
/// connection: since its last statement ended), and, when the event scheduler runs (event_scheduler
/// ON by default since 8.0.3, OFF in 5.7), its daemon thread, whose `time` runs from the server's
/// start while it waits on an empty queue. Every client of the model connects as the same user.
/// </summary>
internal static class ProcessList
{
    /// <summary>ER_NO_SUCH_THREAD (1094): a KILL of an id that is gone (serverless-mysql #127).</summary>
    public static ServerReply NoSuchThread(long id) => new("ERROR 1094 (HY000)", $"Unknown thread id: {id}");

    /// <summary>Whole seconds from <paramref name="since"/> to <paramref name="now"/>, as `time` shows them.</summary>
    public static int Seconds(TimeSpan since, TimeSpan now) => (int)((now - since).Ticks / TimeSpan.TicksPerSecond);

    /// <summary>The answer to a query that reads the list: <paramref name="connections"/> are the client
    /// connections, <paramref name="daemonSince"/> the event scheduler's start (null: it does not run).</summary>
    public static QueryAnswer Read(ServerQuery query, IEnumerable<ServerConnection> connections, TimeSpan now, TimeSpan? daemonSince,
        int? maxConnections)
    {
        switch (query)
        {
            case MaxConnectionsQuery:
                return new QueryAnswer(Total: maxConnections ?? 0);
            case ProcessCountQuery:
                int count = 0, maxAge = 0;
                foreach (var c in connections)
                {
                    count++;
                    maxAge = Math.Max(maxAge, Seconds(c.LastActivity, now));
                }
                if (daemonSince is { } since)
                {
                    count++;
                    maxAge = Math.Max(maxAge, Seconds(since, now));
                }
                return new QueryAnswer(Total: count, MaxAge: maxAge);
            case SleepingQuery sleeping:
                var rows = connections.Where(c => c.Busy == 0)
                    .Select(c => new ProcessRow(c.Id, Seconds(c.LastActivity, now)))
                    .Where(r => r.Time >= sleeping.MinSeconds)
                    .OrderByDescending(r => r.Time).ThenBy(r => r.Id) // ties in id order: MySQL leaves it unspecified
                    .ToArray();
                return new QueryAnswer(Total: rows.Length, Rows: rows);
            default:
                throw new InvalidOperationException($"not a query of the process list: {query}");
        }
    }
}
