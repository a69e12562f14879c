namespace Zombiesim.Tcp;

/// <summary>
/// A host's constants of the delayed-ACK engine, in jiffies (include/net/tcp.h, net/ipv4/tcp_output.c
/// <c>tcp_delack_max</c>, Linux 6.18): built once per host, shared by its sockets.
/// </summary>
internal sealed class DelayedAckLimits
{
    public DelayedAckLimits(Sysctls sys, Jiffies hz)
    {
        Hz = hz;
        AtoMin = hz.From(sys.TcpDelackMin);
        DelackMax = hz.Hz / 5;
        HalfSecond = hz.Hz / 2;
        Cap = Math.Min(DelackMax, Math.Max(hz.From(sys.TcpRtoMin), 2) - 1);
        PingpongThresh = sys.TcpPingpongThresh;
    }

    public Jiffies Hz { get; }

    /// <summary>TCP_ATO_MIN = TCP_DELACK_MIN = HZ/25 jiffies (40 ms).</summary>
    public long AtoMin { get; }

    /// <summary>TCP_DELACK_MAX = HZ/5 jiffies (200 ms): the bound for an interactive (ping-pong) or pushed receiver.</summary>
    public long DelackMax { get; }

    /// <summary>HZ/2 jiffies: the bound of tcp_send_delayed_ack otherwise.</summary>
    public long HalfSecond { get; }

    /// <summary>tcp_delack_max(): min(icsk_delack_max = TCP_DELACK_MAX, max(tcp_rto_min, 2) - 1): 49 jiffies at HZ=250.</summary>
    public long Cap { get; }

    /// <summary>net.ipv4.tcp_pingpong_thresh (default 1).</summary>
    public int PingpongThresh { get; }
}

/// <summary>
/// Linux's delayed-ACK engine for one socket (<c>icsk_ack</c>; net/ipv4/tcp_input.c, tcp_output.c, tcp_timer.c,
/// include/net/tcp.h and inet_connection_sock.h, Linux 6.18): quick-ACK mode (up to TCP_MAX_QUICKACKS ACKs sent
/// at once when data arrives, at the start and after a gap longer than the RTO), ping-pong (interactive) mode,
/// the adaptive ACK timeout <c>ato</c> and the delayed-ACK timer. The connection tells it what arrives, what is
/// sent and what the application reads; it says when an ACK must go now. A value type inside the connection:
/// no allocation.
/// </summary>
internal struct DelayedAck
{
    /// <summary>TCP_MAX_QUICKACKS. tcp_incr_quickack grants min(rcv_wnd / (2 rcv_mss), 16): 16 for any default window.</summary>
    public const int MaxQuickAcks = 16;

    [Flags]
    private enum Pending : byte
    {
        None = 0,
        Sched = 1,    // ICSK_ACK_SCHED: an ACK is owed
        Timer = 2,    // ICSK_ACK_TIMER: the delayed-ACK timer is armed
        Pushed = 4,   // ICSK_ACK_PUSHED: a short (pushed) segment arrived
        Pushed2 = 8,  // ICSK_ACK_PUSHED2: a second one before the ACK
    }

    private readonly DelayedAckLimits _limits;
    private Pending _pending;
    private byte _quick;     // icsk_ack.quick
    private byte _pingpong;  // icsk_ack.pingpong
    private byte _ato;       // icsk_ack.ato, jiffies: an 8-bit field (ATO_BITS), 0 until the first data arrives
    private long _lrcvtime;  // icsk_ack.lrcvtime: the jiffy of the last data received
    private TimeSpan _timerAt;

    public DelayedAck(DelayedAckLimits limits) => _limits = limits;

    /// <summary>When the delayed-ACK timer fires, or null when none is armed (or the ACK has gone since).</summary>
    public readonly TimeSpan? TimerAt => (_pending & Pending.Timer) != 0 ? _timerAt : null;

    /// <summary>inet_csk_ack_scheduled: an ACK of received data or FIN is owed.</summary>
    public readonly bool Scheduled => (_pending & Pending.Sched) != 0;

    /// <summary>tcp_in_quickack_mode: quick ACKs left and not interactive.</summary>
    public readonly bool QuickAckMode => _quick != 0 && !PingpongMode;

    /// <summary>inet_csk_in_pingpong_mode.</summary>
    public readonly bool PingpongMode => _pingpong >= _limits.PingpongThresh;

    /// <summary>The adaptive ACK timeout in jiffies (tcpi_ato), 0 before any data arrived.</summary>
    public readonly int Ato => _ato;

    /// <summary>Quick ACKs left (icsk_ack.quick).</summary>
    public readonly int QuickLeft => _quick;

    /// <summary>
    /// tcp_event_data_recv with tcp_measure_rcv_mss: in-sequence data arrived. The first data starts the engine
    /// (quick ACKs, ato = TCP_ATO_MIN); later ones adapt ato to the gap since the previous data, and a gap longer
    /// than the RTO grants quick ACKs again. Every model segment ends an application write and is shorter than
    /// rcv_mss, so it is "pushed" (a second before the ACK: PUSHED2).
    /// </summary>
    public void OnDataReceived(TimeSpan now, long rto)
    {
        _pending |= Pending.Sched | ((_pending & Pending.Pushed) != 0 ? Pending.Pushed2 : Pending.None) | Pending.Pushed;
        long jiffy = _limits.Hz.Clock(now);
        long atoMin = _limits.AtoMin;
        if (_ato == 0)
        {
            IncrementQuick();
            _ato = (byte)atoMin;
        }
        else
        {
            long m = jiffy - _lrcvtime;
            if (m <= atoMin / 2)
                _ato = (byte)((_ato >> 1) + atoMin / 2);
            else if (m < _ato)
            {
                _ato = (byte)((_ato >> 1) + m); // stored in 8 bits, then capped by the RTO (also stored in 8 bits)
                if (_ato > rto)
                    _ato = (byte)rto;
            }
            else if (m > rto)
                IncrementQuick(); // "Too long gap. Apparently sender failed to restart window"
        }
        _lrcvtime = jiffy;
    }

    /// <summary>tcp_fin: an ACK is owed; a FIN that moves ESTABLISHED or SYN_RECEIVED to CLOSE_WAIT also enters
    /// ping-pong mode, so its ACK is delayed.</summary>
    public void OnFin(bool toCloseWait)
    {
        _pending |= Pending.Sched;
        if (toCloseWait)
            _pingpong = (byte)_limits.PingpongThresh;
    }

    /// <summary>tcp_send_dupack / tcp_data_queue for data already received (our ACK was lost):
    /// tcp_enter_quickack_mode(TCP_MAX_QUICKACKS) and an ACK owed.</summary>
    public void OnDuplicate()
    {
        IncrementQuick();
        _pingpong = 0;
        _ato = (byte)_limits.AtoMin;
        _pending |= Pending.Sched;
    }

    /// <summary>An ACK is owed for a segment the connection answers at once (out of order, beyond a hole).</summary>
    public void Schedule() => _pending |= Pending.Sched;

    /// <summary>
    /// __tcp_ack_snd_check, after a segment was processed: true when the owed ACK must go now (quick-ACK mode);
    /// otherwise tcp_send_delayed_ack arms the timer, or answers true when the armed one is about to fire.
    /// </summary>
    public bool AckNow(TimeSpan now, long srttTicks)
    {
        if (!Scheduled)
            return false;
        return QuickAckMode || DelayAck(now, srttTicks);
    }

    /// <summary>tcp_send_delayed_ack (tcp_output.c): the timer is ato bounded by the RTT, TCP_DELACK_MAX for an
    /// interactive or pushed receiver (else HZ/2) and tcp_delack_max; an armed timer is kept when earlier, and
    /// one due within a quarter of the new timeout sends the ACK now (true).</summary>
    private bool DelayAck(TimeSpan now, long srttTicks)
    {
        long ato = _ato;
        if (ato > _limits.AtoMin)
        {
            long maxAto = PingpongMode || (_pending & Pending.Pushed) != 0 ? _limits.DelackMax : _limits.HalfSecond;
            if (srttTicks != 0)
                maxAto = Math.Min(maxAto, Math.Max(_limits.Hz.From(TimeSpan.FromTicks(srttTicks)), _limits.AtoMin));
            ato = Math.Min(ato, maxAto);
        }
        ato = Math.Min(ato, _limits.Cap);
        TimeSpan timeout = _limits.Hz.Fire(now, ato);
        if ((_pending & Pending.Timer) != 0)
        {
            if (_timerAt <= _limits.Hz.Fire(now, ato >> 2))
                return true;
            if (timeout >= _timerAt)
                timeout = _timerAt;
        }
        _pending |= Pending.Sched | Pending.Timer;
        _timerAt = timeout;
        return false;
    }

    /// <summary>tcp_delack_timer_handler: the timer fired. True when an ACK is still owed and must go: a missed
    /// delayed ACK doubles ato (up to the RTO), or, in ping-pong mode, leaves it and resets ato.</summary>
    public bool OnTimer(long rto)
    {
        _pending &= ~Pending.Timer;
        if (!Scheduled)
            return false;
        if (!PingpongMode)
            _ato = (byte)Math.Min(_ato << 1, rto);
        else
        {
            _pingpong = 0;
            _ato = (byte)_limits.AtoMin;
        }
        return true;
    }

    /// <summary>
    /// __tcp_cleanup_rbuf after a read that emptied the receive queue: true when the owed ACK goes now, because
    /// two pushed segments waited, or one did and the connection is not interactive. (The window-update ACK and
    /// the "more than one full frame" rule are left out: the model has no receive buffer and no MSS.)
    /// </summary>
    public readonly bool AckOnRead() =>
        Scheduled && ((_pending & Pending.Pushed2) != 0 || ((_pending & Pending.Pushed) != 0 && !PingpongMode));

    /// <summary>tcp_event_ack_sent: a segment carrying the ACK of everything received left. A quick ACK is used
    /// up when an ACK was owed (tcp_dec_quickack_mode; ato back to TCP_ATO_MIN when the last goes); nothing is
    /// owed any more and the timer is off.</summary>
    public void OnAckSent()
    {
        if (_quick != 0 && Scheduled)
        {
            if (--_quick == 0)
                _ato = (byte)_limits.AtoMin;
        }
        _pending = Pending.None;
    }

    /// <summary>tcp_event_data_sent: data sent within ato of the last data received counts towards ping-pong.</summary>
    public void OnDataSent(TimeSpan now)
    {
        if (_limits.Hz.Clock(now) - _lrcvtime < _ato && _pingpong < byte.MaxValue)
            _pingpong++;
    }

    /// <summary>The socket is gone: no timer.</summary>
    public void Stop() => _pending = Pending.None;

    private void IncrementQuick()
    {
        if (_quick < MaxQuickAcks)
            _quick = MaxQuickAcks;
    }
}
