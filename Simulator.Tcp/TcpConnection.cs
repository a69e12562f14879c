namespace Zombiesim.Tcp;

/// <summary>
/// One TCP endpoint (a TCB), as RFC 9293 §3.10 describes it and Linux implements it. Sans-I/O:
/// every input carries <c>now</c>; outputs (segments, application events, transitions and the next
/// deadline) are queued and handed to the host's <see cref="ITcpDriver"/> once the input is
/// processed. The connection never reads a clock.
/// Simplifications, each noted where it applies: data is a byte count; no flow or congestion
/// control (a send goes out as one segment); out-of-order segments are dropped and recovered by
/// retransmission rather than queued; no SACK, timestamps, urgent data or Fast Open.
/// </summary>
public sealed class TcpConnection
{
    private const uint ReceiveWindow = 1u << 20;

    private readonly TcpHost _host;
    private readonly Sysctls _sys;
    private readonly Jiffies _hz;      // every kernel timer is whole jiffies (include/linux/jiffies.h)
    private readonly long _rtoMax;     // tcp_rto_max in jiffies (msecs_to_jiffies rounds up)

    // Send sequence space (RFC 9293 §3.3.1).
    private uint _iss, _sndUna, _sndNxt;
    private int _unsent;               // bytes accepted by send() before the connection was established
    private bool _finSent;
    private uint _finSeq;

    // Receive sequence space.
    private uint _irs, _rcvNxt;
    private int _readable;             // bytes received and not yet read
    private bool _finReceived;         // Linux SOCK_DONE: reads return EOF once data is consumed

    private Errno _pendingError;       // Linux sk_err: reported once by the next read or write
    private ErrorOrigin _pendingOrigin;
    private readonly bool _passive;    // born from a listener (SYN_RECEIVED child)

    // Timers: at most one of each, like Linux's per-socket timers.
    private TimeSpan? _rtxAt, _keepaliveAt, _stateTimerAt;
    private TimeSpan? _reportedDeadline;
    private DelayedAck _ack;           // the delayed-ACK engine and its timer (quick ACKs, ping-pong, ato)

    // Retransmission state (RFC 6298 with Linux's floor, cap, tail-loss probe and time budgets).
    private long _srtt, _rttvar;       // ticks; _srtt == 0 means no sample yet
    private long _rto;                 // jiffies, as icsk_rto
    private int _retransmits;
    private bool _probeSent;           // the tail-loss probe of the current flight went out
    private TimeSpan? _retransStamp;   // retrans_stamp: first RTO-driven retransmission; budgets count from here
    private bool _timing;              // Karn: an RTT measurement is running on _timedSeq
    private uint _timedSeq;
    private TimeSpan _timedAt;

    // Keepalive.
    private TimeSpan _lastReceived;
    private int _probesOut;

    internal TcpConnection(TcpHost host, long id, Endpoint local, Endpoint remote, SocketOptions options, bool passive)
    {
        _host = host;
        _sys = host.Sysctls;
        Id = id;
        Local = local;
        Remote = remote;
        Options = options;
        _passive = passive;
        _hz = host.Jiffies;
        _rtoMax = _hz.From(_sys.TcpRtoMax);
        _rto = _hz.From(_sys.TcpTimeoutInit);
        _ack = new DelayedAck(host.AckLimits);
    }

    public TcpHost Host => _host;

    /// <summary>Whatever the driver wants to attach (a label). The connection never reads it.</summary>
    public object? Tag { get; set; }

    /// <summary>Who the world hands this socket's application events to, for as long as the socket lives (an event raised
    /// just before it closed may reach its owner after). The connection never reads it.</summary>
    public object? Owner { get; set; }

    /// <summary>The driver's own state for this socket (the engine timer that serves its deadlines), apart from
    /// <see cref="Tag"/>, which the application side uses. The connection never reads it.</summary>
    public object? DriverState { get; set; }

    /// <summary>Unique within its host, in creation order.</summary>
    public long Id { get; }

    public Endpoint Local { get; }
    public Endpoint Remote { get; }
    public SocketOptions Options { get; }
    public TcpState State { get; private set; } = TcpState.Closed;

    /// <summary>The application called close(): the kernel owns the socket now (an orphan).</summary>
    public bool Orphaned { get; private set; }

    /// <summary>Established and waiting in its listener's accept queue for the application's accept().</summary>
    internal bool InAcceptQueue { get; set; }

    /// <summary>Held in its host's table (from creation to <see cref="TcpHost.Forget"/>), and so in its counts by state.</summary>
    internal bool InTable { get; set; }

    /// <summary>Bytes the application has not read yet.</summary>
    public int Readable => _readable;

    /// <summary>Data bytes the peer has acknowledged (SYN and FIN excluded).</summary>
    public long BytesAcknowledged
    {
        get
        {
            if (State is TcpState.Listen || !Seq.Gt(_sndUna, _iss))
                return 0;
            uint acked = _sndUna - _iss - 1;
            if (_finSent && Seq.Gt(_sndUna, _finSeq))
                acked--;
            return acked;
        }
    }

    /// <summary>True when sent data, SYN or FIN is unacknowledged.</summary>
    public bool HasUnacknowledged => _sndUna != _sndNxt;

    /// <summary>The current retransmission timeout (with backoff), whole jiffies.</summary>
    public TimeSpan Rto => _hz.ToTime(_rto);

    /// <summary>The smoothed RTT, or null before the first sample.</summary>
    public TimeSpan? Srtt => _srtt == 0 ? null : TimeSpan.FromTicks(_srtt);

    /// <summary>The instant the connection next wants <see cref="TcpHost.OnTimer"/>, or null.</summary>
    public TimeSpan? NextDeadline => Min(Min(_rtxAt, _ack.TimerAt), Min(_keepaliveAt, _stateTimerAt));

    /// <summary>The delayed-ACK engine's adaptive ACK timeout (tcpi_ato), 0 before any data arrived.</summary>
    public TimeSpan AckTimeout => _hz.ToTime(_ack.Ato);

    /// <summary>Quick ACKs left (icsk_ack.quick); they apply while the connection is not <see cref="Interactive"/>.</summary>
    public int QuickAcksLeft => _ack.QuickLeft;

    /// <summary>In ping-pong (interactive) mode: owed ACKs wait to ride on replies.</summary>
    public bool Interactive => _ack.PingpongMode;

    public override string ToString() => $"{_host.Name}#{Id} {Local}->{Remote} {State.Name()}";

    /// <summary>Identity equality (the default) with a cheap, stable hash: drivers key dictionaries by connection.</summary>
    public override int GetHashCode() => unchecked((int)Id * 397 ^ (int)Local.Address);

    public override bool Equals(object? obj) => ReferenceEquals(this, obj);

    // ---------------------------------------------------------------- application calls

    /// <summary>send(): queue <paramref name="bytes"/> for transmission. Succeeds locally even when
    /// the peer is gone; the failure shows on a later call (FACTS: measured).</summary>
    public CallResult Send(TimeSpan now, int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1);
        _host.EnsureApplicationRuns(this);
        if (Orphaned)
            return new CallResult(Errno.EINVAL);
        if (TakePendingError() is { IsOk: false } error)
            return error; // sk_stream_error: a pending sk_err is reported (and cleared) first
        switch (State)
        {
            case TcpState.SynSent:
            case TcpState.SynReceived:
                _unsent += bytes; // RFC 9293 §3.10.2: queue until ESTABLISHED
                return CallResult.Ok;
            case TcpState.Established:
            case TcpState.CloseWait:
                TransmitData(now, bytes);
                Commit();
                _host.Dispatch();
                return CallResult.Ok;
            default:
                // LISTEN: Linux does not implement RFC 9293's LISTEN -> SYN_SENT on SEND
                // (sk_stream_wait_connect returns EPIPE). CLOSED after a reset or timeout: EPIPE.
                return new CallResult(Errno.EPIPE);
        }
    }

    /// <summary>read(): all readable bytes; EOF after the peer's FIN; else a pending error once;
    /// EOF again once the connection is gone (tcp_recvmsg's order of checks).</summary>
    public ReadResult Read(TimeSpan now)
    {
        _host.EnsureApplicationRuns(this);
        if (Orphaned || State == TcpState.Listen)
            return new ReadResult(0, false, Errno.EINVAL, ErrorOrigin.None);
        if (_readable > 0)
        {
            int n = _readable;
            _readable = 0;
            if (State != TcpState.Closed && _ack.AckOnRead())
            {
                Emit(_sndNxt, 0, TcpFlags.Ack); // __tcp_cleanup_rbuf: the read drained pushed data
                Commit();
                _host.Dispatch();
            }
            return new ReadResult(n, false, Errno.None, ErrorOrigin.None);
        }
        if (_finReceived)
            return new ReadResult(0, true, Errno.None, ErrorOrigin.None);
        if (TakePendingError() is { IsOk: false } error)
            return new ReadResult(0, false, error.Errno, error.Origin);
        if (State == TcpState.Closed)
            return new ReadResult(0, true, Errno.None, ErrorOrigin.None);
        return default; // nothing yet (EAGAIN)
    }

    /// <summary>close(): sends FIN where the state calls for one (RFC 9293 §3.10.4) and hands the
    /// socket to the kernel. Unread data turns the FIN into a RST (Linux tcp_close, RFC 2525).</summary>
    public CallResult Close(TimeSpan now)
    {
        _host.EnsureApplicationRuns(this);
        if (Orphaned)
            return new CallResult(Errno.EINVAL);
        Orphaned = true;
        switch (State)
        {
            case TcpState.Listen:
            case TcpState.SynSent:
                SetState(TcpState.Closed, TcpCause.Close); // delete the TCB, nothing to send
                break;
            case TcpState.SynReceived:
            case TcpState.Established:
            case TcpState.CloseWait:
                if (_readable > 0)
                {
                    SendReset();
                    SetState(TcpState.Closed, TcpCause.Abort);
                    break;
                }
                _unsent = 0;
                SendFin(now);
                SetState(State == TcpState.CloseWait ? TcpState.LastAck : TcpState.FinWait1, TcpCause.Close);
                break;
            case TcpState.FinWait2:
                _stateTimerAt = Arm(now, _sys.TcpFinTimeout);
                break;
            default:
                break; // already closing or closed: the kernel finishes on its own
        }
        Commit();
        _host.Dispatch();
        return CallResult.Ok;
    }

    /// <summary>close() with SO_LINGER 0: a RST in synchronized states (Linux tcp_need_reset), then CLOSED.</summary>
    public void Abort(TimeSpan now)
    {
        _host.EnsureApplicationRuns(this);
        Orphaned = true;
        if (State is TcpState.Established or TcpState.CloseWait or TcpState.FinWait1 or TcpState.FinWait2 or TcpState.SynReceived)
            SendReset();
        if (State != TcpState.Closed)
            SetState(TcpState.Closed, TcpCause.Abort);
        Commit();
        _host.Dispatch();
    }

    // ---------------------------------------------------------------- host calls

    internal void OpenPassive()
    {
        SetState(TcpState.Listen, TcpCause.PassiveOpen);
    }

    internal void OpenActive(TimeSpan now, uint iss)
    {
        _iss = iss;
        _sndUna = iss;
        _sndNxt = iss + 1;
        StartTiming(now, _sndNxt);
        Emit(iss, 0, TcpFlags.Syn);
        ArmRetransmit(now);
        SetState(TcpState.SynSent, TcpCause.ActiveOpen);
        Commit();
    }

    /// <summary>connect() failed before the SYN: the error waits for the application's next read.</summary>
    internal void Refuse(Errno errno)
    {
        _pendingError = errno;
        _pendingOrigin = ErrorOrigin.LocalPolicy;
    }

    /// <summary>A SYN reached a listener: this new connection is its child (LISTEN -> SYN_RECEIVED).</summary>
    internal void AcceptSyn(TimeSpan now, in Segment syn, uint iss)
    {
        _host.Moved(this, State, TcpState.Listen); // the child is born from the listener's LISTEN state (no transition of its own)
        State = TcpState.Listen;
        _irs = syn.Seq;
        _rcvNxt = syn.Seq + 1;
        _iss = iss;
        _sndUna = iss;
        _sndNxt = iss + 1;
        _lastReceived = now;
        StartTiming(now, _sndNxt);
        Emit(iss, 0, TcpFlags.Syn | TcpFlags.Ack);
        ArmRetransmit(now);
        SetState(TcpState.SynReceived, TcpCause.RcvSyn);
        Commit();
    }

    internal void OnSegment(TimeSpan now, in Segment s)
    {
        switch (State)
        {
            case TcpState.Listen:
                _host.OnListenerSegment(now, this, s);
                return;
            case TcpState.SynSent:
                OnSegmentSynSent(now, s);
                break;
            case TcpState.Closed:
                return;
            default:
                OnSegmentSynchronized(now, s);
                break;
        }
        Commit();
    }

    internal void OnTimer(TimeSpan now)
    {
        if (_stateTimerAt <= now)
        {
            _stateTimerAt = null;
            // TIME_WAIT's 2MSL, or an orphaned FIN_WAIT_2 at tcp_fin_timeout: gone without a segment.
            SetState(TcpState.Closed, State == TcpState.TimeWait ? TcpCause.TimeWaitExpired : TcpCause.FinWait2Timeout);
        }
        if (State != TcpState.Closed && _ack.TimerAt <= now && _ack.OnTimer(_rto))
            Emit(_sndNxt, 0, TcpFlags.Ack);
        if (State != TcpState.Closed && _rtxAt <= now)
        {
            _rtxAt = null;
            OnRetransmitTimer(now);
        }
        if (State != TcpState.Closed && _keepaliveAt <= now)
        {
            _keepaliveAt = null;
            OnKeepaliveTimer(now);
        }
        Commit();
    }

    /// <summary>The host was destroyed or restarted: the socket vanishes and nothing is sent.</summary>
    internal void Vanish(TcpCause cause = TcpCause.HostDestroyed)
    {
        if (State != TcpState.Closed)
            SetState(TcpState.Closed, cause);
        Commit();
    }

    // ---------------------------------------------------------------- segment arrival

    /// <summary>RFC 9293 §3.10.7.3, SYN-SENT.</summary>
    private void OnSegmentSynSent(TimeSpan now, in Segment s)
    {
        bool ackAcceptable = s.HasAck && Seq.Gt(s.Ack, _iss) && Seq.Le(s.Ack, _sndNxt);
        if (s.HasAck && !ackAcceptable)
        {
            if (!s.Rst)
                EmitResetFor(s); // an old duplicate: <SEQ=SEG.ACK><CTL=RST>
            return;
        }
        if (s.Rst)
        {
            if (ackAcceptable)
                Fail(Errno.ECONNREFUSED, ErrorOrigin.Rst, TcpCause.RcvRst); // "connection refused"
            return;
        }
        if (!s.Syn)
            return;
        _irs = s.Seq;
        _rcvNxt = s.Seq + 1;
        _lastReceived = now;
        if (ackAcceptable)
        {
            OnNewAck(now, s.Ack);
            Emit(_sndNxt, 0, TcpFlags.Ack);
            SetState(TcpState.Established, TcpCause.RcvSynAck);
            OnEstablished(now);
            _host.RaiseEvent(this, new TcpEvent(TcpEventKind.Connected));
        }
        else
        {
            // Simultaneous open: SYN-SENT -> SYN-RECEIVED. Linux answers with SYN,ACK (RFC: ACK).
            _timing = false;
            Emit(_iss, 0, TcpFlags.Syn | TcpFlags.Ack);
            SetState(TcpState.SynReceived, TcpCause.RcvSyn);
        }
    }

    /// <summary>RFC 9293 §3.10.7.4, the synchronized states and SYN-RECEIVED, in its order of checks.</summary>
    private void OnSegmentSynchronized(TimeSpan now, in Segment s)
    {
        // First: sequence number acceptability.
        if (!Acceptable(s))
        {
            if (State == TcpState.SynReceived && s.Syn && !s.HasAck && s.Seq == _irs)
            {
                Emit(_iss, 0, TcpFlags.Syn | TcpFlags.Ack); // the peer retransmitted its SYN
                return;
            }
            if (!s.Rst)
            {
                if (State == TcpState.TimeWait && s.Fin)
                    _stateTimerAt = Arm(now, _sys.TimeWaitLength); // a retransmitted FIN restarts 2MSL (tcp_timewait_state_process)
                else if (s.SeqLength > 0 && Seq.Lt(s.Seq, _rcvNxt))
                    _ack.OnDuplicate(); // tcp_send_dupack: our ACK was lost; quick-ACK mode
                Emit(_sndNxt, 0, TcpFlags.Ack);
            }
            return;
        }

        // Second: RST.
        if (s.Rst)
        {
            OnReset();
            return;
        }

        // Fourth (the third, security, is not modelled): SYN in a synchronized state draws a
        // challenge ACK (RFC 5961 §4, Linux tcp_validate_incoming).
        if (s.Syn)
        {
            Emit(_sndNxt, 0, TcpFlags.Ack);
            return;
        }

        // Fifth: ACK.
        if (!s.HasAck)
            return;
        _lastReceived = now;
        _probesOut = 0;
        if (State == TcpState.SynReceived)
        {
            if (!(Seq.Gt(s.Ack, _sndUna) && Seq.Le(s.Ack, _sndNxt)))
            {
                EmitResetFor(s);
                return;
            }
            // Linux tcp_check_req -> tcp_v4_syn_recv_sock: with the listener's accept queue full the ACK (and
            // any data on it) is dropped; the SYN-ACK timer goes on (tcp_abort_on_overflow 0: no RST).
            if (_passive && _host.AcceptQueueFull(Local.Port))
                return;
            OnNewAck(now, s.Ack);
            SetState(TcpState.Established, TcpCause.RcvAckOfSyn);
            OnEstablished(now);
            if (_passive)
                _host.EnqueueAccepted(this);
            _host.RaiseEvent(this, new TcpEvent(_passive ? TcpEventKind.Accepted : TcpEventKind.Connected));
        }
        else if (Seq.Gt(s.Ack, _sndNxt))
        {
            Emit(_sndNxt, 0, TcpFlags.Ack); // acknowledges something not yet sent
            return;
        }
        else if (Seq.Gt(s.Ack, _sndUna))
        {
            OnNewAck(now, s.Ack);
        }

        bool finAcked = _finSent && Seq.Gt(_sndUna, _finSeq);
        switch (State)
        {
            case TcpState.FinWait1 when finAcked:
                SetState(TcpState.FinWait2, TcpCause.RcvAckOfFin);
                if (Orphaned)
                    _stateTimerAt = Arm(now, _sys.TcpFinTimeout);
                break;
            case TcpState.Closing when finAcked:
                EnterTimeWait(now, TcpCause.RcvAckOfFin);
                return;
            case TcpState.LastAck when finAcked:
                SetState(TcpState.Closed, TcpCause.RcvAckOfFin);
                return;
            case TcpState.TimeWait:
                return;
        }

        // Seventh: segment text.
        bool received = false, peerClosed = false; // data or FIN taken: tcp_ack_snd_check decides on the ACK it owes
        int fresh = 0;
        uint seq = s.Seq;
        if (s.Length > 0)
        {
            uint end = seq + (uint)s.Length;
            bool canReceive = State is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2;
            if (canReceive && Orphaned && Seq.Gt(end, _rcvNxt))
            {
                // Linux tcp_rcv_state_process: new data for a socket the application closed is
                // answered with RST and the socket is destroyed.
                EmitResetFor(s);
                SetState(TcpState.Closed, TcpCause.RcvDataAfterClose);
                return;
            }
            if (canReceive && Seq.Le(seq, _rcvNxt) && Seq.Gt(end, _rcvNxt))
            {
                fresh = (int)(end - _rcvNxt);
                _rcvNxt = end;
                _readable += fresh;
                _ack.OnDataReceived(now, _rto);
                received = true;
            }
            else
            {
                _ack.Schedule();
                Emit(_sndNxt, 0, TcpFlags.Ack); // beyond a hole (not queued), or after our FIN: ACK at once
                return;
            }
        }

        // Eighth: FIN, only when it is next in sequence.
        if (s.Fin && seq + (uint)s.Length == _rcvNxt)
        {
            _rcvNxt++;
            _finReceived = true;
            received = true;
            _ack.OnFin(toCloseWait: State is TcpState.SynReceived or TcpState.Established);
            switch (State)
            {
                case TcpState.SynReceived:
                case TcpState.Established:
                    SetState(TcpState.CloseWait, TcpCause.RcvFin); // ping-pong: the ACK of the FIN is delayed
                    peerClosed = !Orphaned;
                    break;
                case TcpState.FinWait1:
                    Emit(_sndNxt, 0, TcpFlags.Ack);
                    SetState(TcpState.Closing, TcpCause.RcvFin); // simultaneous close
                    break;
                case TcpState.FinWait2:
                    Emit(_sndNxt, 0, TcpFlags.Ack);
                    EnterTimeWait(now, TcpCause.RcvFin);
                    break;
            }
        }

        // tcp_ack_snd_check: an ACK owed goes now in quick-ACK mode, else on the delayed-ACK timer. The kernel sends it
        // before the application, woken, can run.
        if (received && State != TcpState.Closed && _ack.AckNow(now, _srtt))
            Emit(_sndNxt, 0, TcpFlags.Ack);
        if (fresh > 0)
            _host.RaiseEvent(this, new TcpEvent(TcpEventKind.Readable, fresh));
        if (peerClosed)
            _host.RaiseEvent(this, new TcpEvent(TcpEventKind.PeerClosed));
    }

    private bool Acceptable(in Segment s)
    {
        uint len = s.SeqLength;
        uint wndEnd = _rcvNxt + ReceiveWindow;
        if (len == 0)
            return Seq.Ge(s.Seq, _rcvNxt) && Seq.Lt(s.Seq, wndEnd);
        uint last = s.Seq + len - 1;
        return (Seq.Ge(s.Seq, _rcvNxt) && Seq.Lt(s.Seq, wndEnd)) || (Seq.Ge(last, _rcvNxt) && Seq.Lt(last, wndEnd));
    }

    /// <summary>An acceptable RST (RFC 9293 §3.10.7.4, second check; errno from Linux tcp_reset).</summary>
    private void OnReset()
    {
        switch (State)
        {
            case TcpState.SynReceived:
                if (_passive)
                    SetState(TcpState.Closed, TcpCause.RcvRst); // the embryonic connection just goes
                else
                    Fail(Errno.ECONNREFUSED, ErrorOrigin.Rst, TcpCause.RcvRst);
                break;
            case TcpState.CloseWait:
                Fail(Errno.EPIPE, ErrorOrigin.Rst, TcpCause.RcvRst);
                break;
            case TcpState.Established:
            case TcpState.FinWait1:
            case TcpState.FinWait2:
                Fail(Errno.ECONNRESET, ErrorOrigin.Rst, TcpCause.RcvRst);
                break;
            default: // CLOSING, LAST_ACK, TIME_WAIT
                SetState(TcpState.Closed, TcpCause.RcvRst);
                break;
        }
    }

    private void OnNewAck(TimeSpan now, uint ack)
    {
        if (_timing && Seq.Ge(ack, _timedSeq))
        {
            _timing = false;
            SampleRtt((now - _timedAt).Ticks);
        }
        _sndUna = ack;
        _retransmits = 0;
        _probeSent = false;
        _retransStamp = null;
        _rto = ComputeRto();
        if (HasUnacknowledged)
            ArmRetransmit(now);
        else
        {
            _rtxAt = null;
        }
    }

    private void OnEstablished(TimeSpan now)
    {
        _lastReceived = now;
        ArmKeepalive(now);
        if (_unsent > 0)
        {
            int n = _unsent;
            _unsent = 0;
            TransmitData(now, n);
        }
    }

    private void EnterTimeWait(TimeSpan now, TcpCause cause)
    {
        _rtxAt = null;
        _keepaliveAt = null;
        _stateTimerAt = Arm(now, _sys.TimeWaitLength);
        SetState(TcpState.TimeWait, cause);
    }

    // ---------------------------------------------------------------- timers

    private void OnRetransmitTimer(TimeSpan now)
    {
        switch (State)
        {
            case TcpState.SynSent:
            {
                // Linux tcp_write_timeout: SYN_SENT gives up after tcp_syn_retries (plus the linear
                // ones) retransmissions; backoff starts after tcp_syn_linear_timeouts of them.
                if (_retransmits >= _sys.TcpSynRetries + _sys.TcpSynLinearTimeouts)
                {
                    Fail(Errno.ETIMEDOUT, ErrorOrigin.KernelTimeout, TcpCause.SynTimeout);
                    return;
                }
                _timing = false;
                Emit(_iss, 0, TcpFlags.Syn);
                _retransmits++;
                if (_retransmits > _sys.TcpSynLinearTimeouts)
                    _rto = Math.Min(_rto * 2, _rtoMax);
                ArmRetransmit(now);
                return;
            }
            case TcpState.SynReceived:
            {
                if (_retransmits >= _sys.TcpSynackRetries)
                {
                    if (_passive)
                        SetState(TcpState.Closed, TcpCause.SynAckTimeout); // no application ever saw it
                    else
                        Fail(Errno.ETIMEDOUT, ErrorOrigin.KernelTimeout, TcpCause.SynAckTimeout);
                    return;
                }
                _timing = false;
                Emit(_iss, 0, TcpFlags.Syn | TcpFlags.Ack);
                _retransmits++;
                _rto = Math.Min(_rto * 2, _rtoMax);
                ArmRetransmit(now);
                return;
            }
        }
        if (!HasUnacknowledged)
            return;
        if (!_probeSent)
        {
            // Measured on Linux 6.x: the first retransmission is a tail-loss probe one RTO after the
            // original; it does not back off, and the RTO timer is re-armed from it (tcp_output.c
            // tcp_schedule_loss_probe: min(2 SRTT + TCP_RTO_MIN, RTO), the RTO on the paths modelled;
            // tcp_send_loss_probe uses __tcp_retransmit_skb, so retrans_stamp stays unset).
            _probeSent = true;
            Retransmit(now);
            ArmRetransmit(now);
            return;
        }
        if (_retransStamp is { } start && TimedOut(now, start))
            return;
        _retransStamp ??= now; // tcp_retransmit_skb: "Save stamp of the first (attempted) retransmit."
        Retransmit(now);
        _retransmits++;
        _rto = Math.Min(_rto * 2, _rtoMax);
        _rtxAt = _hz.Fire(now, ClampRtoToUserTimeout(now));
    }

    /// <summary>
    /// net/ipv4/tcp_timer.c tcp_write_timeout and retransmits_timed_out (Linux 6.18): at an RTO
    /// expiry after the first RTO-driven retransmission, the time since retrans_stamp on the
    /// millisecond clock (tcp_time_stamp_ms), compared with <c>&gt;=</c> against TCP_USER_TIMEOUT when
    /// set, else the budget of tcp_retries2 (tcp_orphan_retries for an orphan). A connection found
    /// timed out is not retransmitted (tcp_write_err); an orphan goes without a segment.
    /// </summary>
    private bool TimedOut(TimeSpan now, TimeSpan start)
    {
        TimeSpan? user = Options.UserTimeout;
        bool orphan = Orphaned && State is TcpState.FinWait1 or TcpState.Closing or TcpState.LastAck;
        int boundary = orphan ? _sys.OrphanRetries(alive: _rto < _rtoMax) : _sys.TcpRetries2;
        TimeSpan limit = user ?? _sys.RetransmitBudget(boundary);
        if (ElapsedMs(now, start) < WholeMs(limit))
            return false;
        var cause = user is not null ? TcpCause.UserTimeout : orphan ? TcpCause.OrphanRetriesExhausted : TcpCause.RetransmitTimeout;
        Fail(Errno.ETIMEDOUT, ErrorOrigin.KernelTimeout, cause); // an orphan: nobody to tell, destroyed silently
        return true;
    }

    /// <summary>net/ipv4/tcp_timer.c tcp_clamp_rto_to_user_timeout (Linux 6.18): with TCP_USER_TIMEOUT,
    /// the RTO timer fires no later than retrans_stamp + user timeout (msecs_to_jiffies of what
    /// remains), or in one jiffy once it has passed.</summary>
    private long ClampRtoToUserTimeout(TimeSpan now)
    {
        if (Options.UserTimeout is not { } u || _retransStamp is not { } start)
            return _rto;
        long remaining = WholeMs(u) - ElapsedMs(now, start);
        return remaining <= 0 ? 1 : Math.Min(_rto, _hz.From(TimeSpan.FromMilliseconds(remaining)));
    }

    /// <summary>tcp_time_stamp_ms differences: both instants truncated to whole milliseconds.</summary>
    private static long ElapsedMs(TimeSpan now, TimeSpan start) =>
        now.Ticks / TimeSpan.TicksPerMillisecond - start.Ticks / TimeSpan.TicksPerMillisecond;

    private static long WholeMs(TimeSpan d) => d.Ticks / TimeSpan.TicksPerMillisecond;

    /// <summary>Linux tcp_keepalive_timer (net/ipv4/tcp_timer.c, 6.18): probe after the idle time,
    /// then every interval; never probe while data is unacknowledged; give up after the probe count
    /// (or the user timeout) with a RST (tcp_send_active_reset), then ETIMEDOUT (tcp_write_err).</summary>
    private void OnKeepaliveTimer(TimeSpan now)
    {
        if (!Options.KeepAlive || State is not (TcpState.Established or TcpState.CloseWait))
            return;
        TimeSpan idle = Whole(Options.KeepIdle ?? _sys.TcpKeepaliveTime);
        TimeSpan interval = Whole(Options.KeepInterval ?? _sys.TcpKeepaliveIntvl);
        int probes = Options.KeepCount ?? _sys.TcpKeepaliveProbes;
        if (HasUnacknowledged)
        {
            _keepaliveAt = Arm(now, idle);
            return;
        }
        TimeSpan elapsed = now - _lastReceived;
        if (elapsed < idle)
        {
            _keepaliveAt = Arm(now, idle - elapsed); // "It is tp->rcv_tstamp + keepalive_time_when(tp)"
            return;
        }
        bool expired = Options.UserTimeout is { } u ? elapsed >= Whole(u) && _probesOut > 0 : _probesOut >= probes;
        if (expired)
        {
            SendReset();
            Fail(Errno.ETIMEDOUT, ErrorOrigin.KernelTimeout, TcpCause.KeepaliveTimeout);
            return;
        }
        Emit(_sndUna - 1, 0, TcpFlags.Ack); // a probe: one byte before the window, draws an ACK
        _probesOut++;
        _keepaliveAt = Arm(now, interval);
    }

    private void ArmKeepalive(TimeSpan now)
    {
        if (Options.KeepAlive)
            _keepaliveAt = Arm(now, Options.KeepIdle ?? _sys.TcpKeepaliveTime);
    }

    /// <summary>tcp_reset_xmit_timer with icsk_rto: the RTO timer, no clamp (tcp_rearm_rto).</summary>
    private void ArmRetransmit(TimeSpan now) => _rtxAt = _hz.Fire(now, _rto);

    /// <summary>A kernel timer of <paramref name="d"/>, in whole jiffies rounded up, on the host's clock.</summary>
    private TimeSpan Arm(TimeSpan now, TimeSpan d) => _hz.Fire(now, _hz.From(d));

    /// <summary>A duration as the kernel holds it: whole jiffies, rounded up.</summary>
    private TimeSpan Whole(TimeSpan d) => _hz.ToTime(_hz.From(d));

    // ---------------------------------------------------------------- RTT (RFC 6298 §2, Linux floor)

    private void StartTiming(TimeSpan now, uint endSeq)
    {
        if (_timing)
            return;
        _timing = true;
        _timedSeq = endSeq;
        _timedAt = now;
    }

    private void SampleRtt(long r)
    {
        r = Math.Max(r, 1);
        if (_srtt == 0)
        {
            _srtt = r;
            _rttvar = r / 2;
        }
        else
        {
            _rttvar = (3 * _rttvar + Math.Abs(_srtt - r)) / 4;
            _srtt = (7 * _srtt + r) / 8;
        }
    }

    /// <summary>RTO = SRTT + max(4 RTTVAR, tcp_rto_min) (Linux keeps the floor inside the variance term,
    /// tcp_rtt_estimator), in jiffies rounded up (__tcp_set_rto: usecs_to_jiffies), capped at
    /// tcp_rto_max (tcp_bound_rto); TCP_TIMEOUT_INIT (1 s) before any sample. net/ipv4/tcp_input.c, 6.18.</summary>
    private long ComputeRto()
    {
        if (_srtt == 0)
            return _hz.From(_sys.TcpTimeoutInit);
        long rto = _srtt + Math.Max(4 * _rttvar, _sys.TcpRtoMin.Ticks);
        return Math.Min(_hz.From(TimeSpan.FromTicks(rto)), _rtoMax);
    }

    // ---------------------------------------------------------------- output

    private void TransmitData(TimeSpan now, int bytes)
    {
        if (!HasUnacknowledged)
        {
            _probeSent = false;
            ArmRetransmit(now);
        }
        uint seq = _sndNxt;
        _sndNxt += (uint)bytes;
        StartTiming(now, _sndNxt);
        Emit(seq, bytes, TcpFlags.Ack);
        _ack.OnDataSent(now);
    }

    private void SendFin(TimeSpan now)
    {
        if (!HasUnacknowledged)
        {
            _probeSent = false;
            ArmRetransmit(now);
        }
        _finSent = true;
        _finSeq = _sndNxt;
        _sndNxt++;
        Emit(_finSeq, 0, TcpFlags.Fin | TcpFlags.Ack);
    }

    /// <summary>Resend everything unacknowledged from SND.UNA as one segment (Karn: stop timing).</summary>
    private void Retransmit(TimeSpan now)
    {
        _timing = false;
        bool finOutstanding = _finSent && Seq.Le(_sndUna, _finSeq);
        uint dataEnd = finOutstanding ? _finSeq : _sndNxt;
        int bytes = (int)(dataEnd - _sndUna);
        Emit(_sndUna, bytes, TcpFlags.Ack | (finOutstanding ? TcpFlags.Fin : TcpFlags.None));
        if (bytes > 0)
            _ack.OnDataSent(now);
    }

    private void SendReset() => Emit(_sndNxt, 0, TcpFlags.Rst | TcpFlags.Ack);

    /// <summary>RFC 9293 §3.10.7.1 reset generation for a segment that does not belong here.</summary>
    private void EmitResetFor(in Segment s) => _host.Transmit(TcpHost.ResetFor(s));

    private void Emit(uint seq, int length, TcpFlags flags)
    {
        uint ack = (flags & TcpFlags.Ack) != 0 ? _rcvNxt : 0;
        if ((flags & TcpFlags.Ack) != 0)
            _ack.OnAckSent(); // tcp_event_ack_sent: the ACK rides on this segment
        _host.Transmit(new Segment(Local, Remote, seq, ack, flags, length));
    }

    // ---------------------------------------------------------------- bookkeeping

    private void Fail(Errno errno, ErrorOrigin origin, TcpCause cause)
    {
        if (!Orphaned)
        {
            _pendingError = errno;
            _pendingOrigin = origin;
            _host.RaiseEvent(this, new TcpEvent(TcpEventKind.Error, 0, errno, origin));
        }
        SetState(TcpState.Closed, cause);
    }

    private CallResult TakePendingError()
    {
        if (_pendingError == Errno.None)
            return CallResult.Ok;
        var r = new CallResult(_pendingError, _pendingOrigin);
        _pendingError = Errno.None;
        _pendingOrigin = ErrorOrigin.None;
        return r;
    }

    private void SetState(TcpState to, TcpCause cause)
    {
        TcpState from = State;
        State = to;
        _host.Moved(this, from, to);
        if (to == TcpState.Closed)
        {
            _rtxAt = _keepaliveAt = _stateTimerAt = null;
            _ack.Stop();
            _host.Forget(this);
        }
        _host.ReportTransition(this, from, to, cause);
    }

    /// <summary>The input is processed: the next deadline may have moved (reported when the host dispatches).</summary>
    private void Commit() => _host.Outputs.Touch(this);

    /// <summary>The next deadline, if it moved since it was last reported.</summary>
    internal bool TakeMovedDeadline(out TimeSpan? deadline)
    {
        deadline = NextDeadline;
        if (deadline == _reportedDeadline)
            return false;
        _reportedDeadline = deadline;
        return true;
    }

    private static TimeSpan? Min(TimeSpan? a, TimeSpan? b) =>
        a is null ? b : b is null ? a : a.Value <= b.Value ? a : b;
}
