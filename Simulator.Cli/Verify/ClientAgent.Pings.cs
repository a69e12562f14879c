namespace Zombiesim.Cli.Verify;

/// <summary>
/// The library's idle pings (the scenario's `client.pingInterval`), as the model's pool makes them: when an invocation
/// ends with a free connection, a timer of this process is armed for the interval; when it fires each free connection
/// without a ping on its way is sent the protocol's command, its reply awaited under the command timeout. A reply
/// counts as a use and arms the timer again; an error, the server's EOF or error, or no reply in time closes the
/// connection (FIN). An invocation stops the timer; so does a freeze: verify writes `pause` before SIGSTOP, and the
/// line is read at SIGCONT before an overdue timer could fire, as the model cancels its ping timer when it freezes the
/// environment (a reply's timeout is a timer of the process: it stops while frozen and, overdue at SIGCONT, fails the
/// ping then). A command that takes a connection whose ping is on its way is written at once and reads the ping's reply
/// first, as the model's does.
/// </summary>
internal sealed partial class ClientAgent
{
    private TimeSpan _pingAt = TimeSpan.MaxValue;

    /// <summary>The environment idles after an invocation or a ping's reply: the next ping is armed.</summary>
    private void ArmPing()
    {
        if (spec.PingInterval is { } interval && _free.Count > 0)
            _pingAt = _clock.Elapsed + interval;
    }

    private void PausePings() => _pingAt = TimeSpan.MaxValue;

    /// <summary>Milliseconds until the ping timer or the first ping's reply timeout, for poll; -1: none.</summary>
    private int PingWait()
    {
        var due = _free.Where(c => c.PingPending).Select(c => c.PingDeadline).Append(_pingAt).Min();
        if (due == TimeSpan.MaxValue)
            return -1;
        var left = due - _clock.Elapsed;
        return left <= TimeSpan.Zero ? 0 : (int)Math.Min(int.MaxValue, Math.Ceiling(left.TotalMilliseconds));
    }

    /// <summary>Pings whose reply is overdue fail (the connection is closed); the ping timer, when due, pings.</summary>
    private void RunPingTimers(bool pingTimer)
    {
        foreach (var c in _free.Where(c => c.PingPending && c.PingDeadline <= _clock.Elapsed).ToArray())
            Drop(c);
        if (!pingTimer || _pingAt > _clock.Elapsed)
            return;
        _pingAt = TimeSpan.MaxValue;
        foreach (var c in _free.Where(c => !c.PingPending).ToArray())
        {
            try
            {
                c.Socket.Send(_protocol.Command);
                c.PingPending = true;
                c.PingDeadline = Deadline(_clock.Elapsed, spec.CommandTimeout);
            }
            catch (System.Net.Sockets.SocketException)
            {
                Drop(c);
            }
        }
    }

    /// <summary>Bytes came on a free connection whose ping is on its way: its reply re-arms the timer, an error closes it.
    /// False when the connection was dropped.</summary>
    private bool ReadPingReply(AgentConnection c)
    {
        if (!c.PingPending || c.Count == 0)
            return true;
        var reading = Parse(c);
        if (reading == Reading.More)
            return true;
        if (reading == Reading.Error)
        {
            Drop(c);
            return false;
        }
        c.PingPending = false;
        c.LastUsed = _clock.Elapsed;
        ArmPing();
        return true;
    }
}
