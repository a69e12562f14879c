namespace Zombiesim.Tcp;

/// <summary>The connection states of RFC 9293 §3.3.2.</summary>
public enum TcpState
{
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

/// <summary>The errors an application sees, as Linux reports them.</summary>
public enum Errno
{
    None,
    ECONNRESET,
    EPIPE,
    ETIMEDOUT,
    ECONNREFUSED,
    ENOTCONN,
    EISCONN,
    EINVAL,
    EALREADY,
    EAGAIN,
    /// <summary>connect() refused by a local policy before any segment left: Windows' WSAEACCES, which
    /// libuv reports as EACCES (src/win/error.c), when a sandbox's outbound connection limit is reached.</summary>
    EACCES,
}

/// <summary>Where an error came from.</summary>
public enum ErrorOrigin
{
    None,
    /// <summary>A RST arrived (ECONNRESET, EPIPE in CLOSE_WAIT, ECONNREFUSED in SYN_SENT).</summary>
    Rst,
    /// <summary>A kernel timer ran out: retransmissions, SYN retries, keepalive probes or TCP_USER_TIMEOUT.</summary>
    KernelTimeout,
    /// <summary>A policy of the host refused the call before anything was sent (EACCES from connect()).</summary>
    LocalPolicy,
}

/// <summary>Why a connection changed state: what a trace shows next to each transition.</summary>
public enum TcpCause
{
    ActiveOpen,
    PassiveOpen,
    Close,
    Abort,
    RcvSyn,
    RcvSynAck,
    RcvAckOfSyn,
    RcvFin,
    RcvAckOfFin,
    RcvFinAckOfFin,
    RcvRst,
    /// <summary>New data reached a socket whose application had closed it: Linux resets (tcp_rcv_state_process).</summary>
    RcvDataAfterClose,
    TimeWaitExpired,
    FinWait2Timeout,
    RetransmitTimeout,
    SynTimeout,
    SynAckTimeout,
    KeepaliveTimeout,
    UserTimeout,
    OrphanRetriesExhausted,
    HostDestroyed,
    /// <summary>The host restarted: its sockets vanished without a segment, and the host answers what
    /// arrives for them with RST, as for no socket.</summary>
    HostRebooted,
}

public static class TcpNames
{
    /// <summary>The state's name as RFC 9293 and `ss` print it: ESTABLISHED, FIN_WAIT_1, ...</summary>
    public static string Name(this TcpState s) => s switch
    {
        TcpState.Closed => "CLOSED",
        TcpState.Listen => "LISTEN",
        TcpState.SynSent => "SYN_SENT",
        TcpState.SynReceived => "SYN_RECEIVED",
        TcpState.Established => "ESTABLISHED",
        TcpState.FinWait1 => "FIN_WAIT_1",
        TcpState.FinWait2 => "FIN_WAIT_2",
        TcpState.CloseWait => "CLOSE_WAIT",
        TcpState.Closing => "CLOSING",
        TcpState.LastAck => "LAST_ACK",
        TcpState.TimeWait => "TIME_WAIT",
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, null),
    };

    /// <summary>kebab-case name of a cause, for traces.</summary>
    public static string Name(this TcpCause c) => c switch
    {
        TcpCause.ActiveOpen => "active-open",
        TcpCause.PassiveOpen => "passive-open",
        TcpCause.Close => "close",
        TcpCause.Abort => "abort",
        TcpCause.RcvSyn => "rcv-syn",
        TcpCause.RcvSynAck => "rcv-syn-ack",
        TcpCause.RcvAckOfSyn => "rcv-ack-of-syn",
        TcpCause.RcvFin => "rcv-fin",
        TcpCause.RcvAckOfFin => "rcv-ack-of-fin",
        TcpCause.RcvFinAckOfFin => "rcv-fin-ack-of-fin",
        TcpCause.RcvRst => "rcv-rst",
        TcpCause.RcvDataAfterClose => "rcv-data-after-close",
        TcpCause.TimeWaitExpired => "time-wait-expired",
        TcpCause.FinWait2Timeout => "fin-wait-2-timeout",
        TcpCause.RetransmitTimeout => "retransmit-timeout",
        TcpCause.SynTimeout => "syn-timeout",
        TcpCause.SynAckTimeout => "syn-ack-timeout",
        TcpCause.KeepaliveTimeout => "keepalive-timeout",
        TcpCause.UserTimeout => "user-timeout",
        TcpCause.OrphanRetriesExhausted => "orphan-retries-exhausted",
        TcpCause.HostDestroyed => "host-destroyed",
        TcpCause.HostRebooted => "host-rebooted",
        _ => throw new ArgumentOutOfRangeException(nameof(c), c, null),
    };

    public static string Name(this ErrorOrigin o) => o switch
    {
        ErrorOrigin.None => "",
        ErrorOrigin.Rst => "rst",
        ErrorOrigin.KernelTimeout => "kernel-timeout",
        _ => throw new ArgumentOutOfRangeException(nameof(o), o, null),
    };
}

/// <summary>An IPv4 address and port. Addresses are plain numbers; the world names its hosts.</summary>
public readonly record struct Endpoint(uint Address, ushort Port)
{
    public override string ToString() => $"{Address >> 24}.{(Address >> 16) & 255}.{(Address >> 8) & 255}.{Address & 255}:{Port}";
}

[Flags]
public enum TcpFlags : byte
{
    None = 0,
    Fin = 1,
    Syn = 2,
    Rst = 4,
    Ack = 16,
}

/// <summary>A segment on the wire. Data is a byte count, not a payload.</summary>
public readonly record struct Segment(Endpoint Source, Endpoint Destination, uint Seq, uint Ack, TcpFlags Flags, int Length)
{
    public bool Syn => (Flags & TcpFlags.Syn) != 0;
    public bool Fin => (Flags & TcpFlags.Fin) != 0;
    public bool Rst => (Flags & TcpFlags.Rst) != 0;
    public bool HasAck => (Flags & TcpFlags.Ack) != 0;

    /// <summary>Sequence space the segment occupies: data, plus one each for SYN and FIN.</summary>
    public uint SeqLength => (uint)Length + (Syn ? 1u : 0u) + (Fin ? 1u : 0u);

    public override string ToString()
    {
        var f = new List<string>(4);
        if (Syn) f.Add("SYN");
        if (Fin) f.Add("FIN");
        if (Rst) f.Add("RST");
        if (HasAck) f.Add("ACK");
        return $"{Source}>{Destination} [{string.Join(',', f)}] seq={Seq} ack={Ack} len={Length}";
    }
}

/// <summary>Modular 32-bit sequence arithmetic (RFC 9293 §3.4).</summary>
internal static class Seq
{
    public static bool Lt(uint a, uint b) => (int)(a - b) < 0;
    public static bool Le(uint a, uint b) => (int)(a - b) <= 0;
    public static bool Gt(uint a, uint b) => (int)(a - b) > 0;
    public static bool Ge(uint a, uint b) => (int)(a - b) >= 0;
}

/// <summary>What the kernel tells the application, pushed as it happens.</summary>
public enum TcpEventKind
{
    /// <summary>connect() completed (SYN_SENT to ESTABLISHED).</summary>
    Connected,
    /// <summary>A listener has a new established connection to accept.</summary>
    Accepted,
    /// <summary>New bytes can be read.</summary>
    Readable,
    /// <summary>The peer's FIN arrived: a read returns EOF once the data is consumed.</summary>
    PeerClosed,
    /// <summary>The connection failed with an errno (pending until the application reads or writes).</summary>
    Error,
}

public readonly record struct TcpEvent(TcpEventKind Kind, int Bytes = 0, Errno Errno = Errno.None, ErrorOrigin Origin = ErrorOrigin.None);

/// <summary>The result of a read: bytes, end of stream, nothing yet, or an error.</summary>
public readonly record struct ReadResult(int Bytes, bool Eof, Errno Errno, ErrorOrigin Origin)
{
    public bool WouldBlock => Bytes == 0 && !Eof && Errno == Errno.None;
    public override string ToString() => Errno != Errno.None ? Errno.ToString() : Eof ? "EOF" : Bytes == 0 ? "EAGAIN" : $"{Bytes} bytes";
}

/// <summary>The result of a call that can fail (send, close, connect): Errno.None is success.</summary>
public readonly record struct CallResult(Errno Errno, ErrorOrigin Origin = ErrorOrigin.None)
{
    public static readonly CallResult Ok = new(Errno.None);
    public bool IsOk => Errno == Errno.None;
    public override string ToString() => IsOk ? "ok" : Errno.ToString();
}
