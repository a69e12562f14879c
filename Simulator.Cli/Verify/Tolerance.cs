namespace Zombiesim.Cli.Verify;

/// <summary>
/// How far a real instant may be from the model's and still agree. Every instant: two jiffies at the kernel's HZ (a
/// timer is armed in whole jiffies and fires on the tick after it is due) plus a scheduling allowance (the agent,
/// the orchestrator and the server are ordinary processes on a shared machine). A socket state seen by polling: plus
/// one polling interval. A transition a kernel timer caused (FIN_WAIT_2, TIME_WAIT, retransmission, orphan, keepalive,
/// user and SYN timeouts): plus 1/8 of the time since the socket's previous transition, the timer wheel's rounding of
/// a timer that long (kernel/time/timer.c; measured: a 60 s TIME_WAIT ends 60.0-62.1 s after it began). Redis closes
/// idle clients in a once-a-second cron whose phase is its own: its idle closes, and the FIN and ACK transitions that
/// answer them, get one more second either way. PgBouncer's janitor closes idle clients and server connections every
/// third of a second (src/janitor.c, full_maint_period, 1.18.0 as 1.25.2): a third of a second for the closes of the
/// pooler and of the database behind it, and the transitions that answer them.
/// </summary>
public sealed record Tolerance(RealFacts Facts)
{
    private static readonly HashSet<string> KernelTimerCauses =
    [
        "fin-wait-2-timeout", "time-wait-expired", "retransmit-timeout", "orphan-retries-exhausted", "keepalive-timeout",
        "user-timeout", "syn-timeout", "synack-timeout",
    ];

    private static readonly HashSet<string> CloseFollowUps = ["rcv-fin", "rcv-ack-of-fin", "rcv-fin-ack-of-fin"];

    /// <summary>The period of the timer that closes idle connections on the server's side, when it is not the model's
    /// exact instant: Redis's cron (1 s), PgBouncer's janitor (1/3 s); else null.</summary>
    private double? CloseTimer => Facts.Server == "redis-server" ? 1
        : Janitor ? 1.0 / 3 : null;

    /// <summary>A server's host, not an environment's (the model names those function#N).</summary>
    private static bool IsServer(string host) => !host.Contains('#', StringComparison.Ordinal);

    public double Jiffy => 1.0 / Facts.Hz;

    /// <summary>The allowance for an instant measured directly (a request's end, a platform action).</summary>
    public double Base => 2 * Jiffy + Facts.SchedulingMs / 1000 + 4 * Facts.UnemulatedLatencyMs / 1000;

    /// <summary>The allowance for a transition the model gives with <paramref name="cause"/>, <paramref name="sincePrevious"/>
    /// seconds after the socket's previous transition.</summary>
    public double ForTransition(string host, string cause, double sincePrevious)
    {
        double t = Base + Facts.PollMs / 1000;
        if (KernelTimerCauses.Contains(cause))
            t += sincePrevious / 8;
        if (CloseTimer is { } period && ((IsServer(host) && cause == "close") || CloseFollowUps.Contains(cause)))
            t += period; // the timer's phase is not the model's: its idle close, and the peer's answers to it, move together
        return t;
    }

    /// <summary>The allowance for a request's end: a kernel timeout is a timer too, and so is PgBouncer's janitor, which
    /// writes its error (query_wait_timeout) to a client that waits for it.</summary>
    public double ForRequest(string? origin, double latencySeconds) => Base + (origin == "kernel-timeout" ? latencySeconds / 8 : 0)
        + (origin == "server" && Janitor ? CloseTimer!.Value : 0);

    private bool Janitor => Facts.Server.StartsWith("PgBouncer", StringComparison.Ordinal);

    /// <summary>A model state shorter than this may fall between two polls.</summary>
    public double Unobservable => Facts.PollMs / 1000 + 2 * Jiffy;

    public string Describe() =>
        $"2 jiffies at HZ={Facts.Hz}{(Facts.HzMeasured ? " (measured)" : " (not measured: the scenario's)")} = {2000 * Jiffy:0.#} ms"
        + $" + scheduling {Facts.SchedulingMs:0.#} ms; polled socket states + {Facts.PollMs:0.#} ms; kernel timers"
        + " + 1/8 of the time since the socket's previous transition (timer wheel)"
        + (Facts.Server == "redis-server" ? "; redis idle closes and the FIN and ACK that answer them + 1 s (cron)" : "")
        + (Janitor ? "; the pooler's and the database's closes, the FIN and ACK that answer them and a request's end with the "
            + "pooler's error + 333 ms (PgBouncer's janitor)" : "")
        + (Facts.UnemulatedLatencyMs > 0
            ? $"; no netem: + 2 round trips of the scenario's latency ({4 * Facts.UnemulatedLatencyMs:0.###} ms)"
            : "");
}
