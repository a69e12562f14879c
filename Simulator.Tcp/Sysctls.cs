using System.Numerics;

namespace Zombiesim.Tcp;

/// <summary>
/// A host's TCP settings, named after the Linux sysctls they model
/// (Documentation/networking/ip-sysctl.rst, include/net/tcp.h), with Linux's defaults.
/// </summary>
public sealed record Sysctls
{
    /// <summary>net.ipv4.tcp_fin_timeout: how long an orphaned socket stays in FIN_WAIT_2. Default 60 s.</summary>
    public TimeSpan TcpFinTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>net.ipv4.tcp_retries2: retransmission budget, as the "hypothetical timeout" of this
    /// many exponential retries from TCP_RTO_MIN capped at RTO_max (<see cref="RetransmitBudget"/>). Default 15 (924.6 s).</summary>
    public int TcpRetries2 { get; init; } = 15;

    /// <summary>net.ipv4.tcp_syn_retries: SYN retransmissions before connect() fails. Default 6.</summary>
    public int TcpSynRetries { get; init; } = 6;

    /// <summary>net.ipv4.tcp_synack_retries: SYN-ACK retransmissions for a passive open. Default 5.</summary>
    public int TcpSynackRetries { get; init; } = 5;

    /// <summary>net.ipv4.tcp_syn_linear_timeouts (Linux 6.5+): SYN retransmissions at a fixed
    /// initial RTO before exponential backoff starts; they come on top of tcp_syn_retries.
    /// 0 is the classic kernel (connect fails after 127 s); 4 gives 131 s.</summary>
    public int TcpSynLinearTimeouts { get; init; }

    /// <summary>net.ipv4.tcp_orphan_retries: budget for orphaned sockets; 0 means 8 (tcp_orphan_retries()).</summary>
    public int TcpOrphanRetries { get; init; }

    /// <summary>net.ipv4.tcp_keepalive_time: idle time before the first probe. Default 7200 s.</summary>
    public TimeSpan TcpKeepaliveTime { get; init; } = TimeSpan.FromSeconds(7200);

    /// <summary>net.ipv4.tcp_keepalive_intvl: time between probes. Default 75 s.</summary>
    public TimeSpan TcpKeepaliveIntvl { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>net.ipv4.tcp_keepalive_probes: unanswered probes before ETIMEDOUT. Default 9.</summary>
    public int TcpKeepaliveProbes { get; init; } = 9;

    /// <summary>net.ipv4.tcp_rto_min_us: the RTO floor. Default 200 ms (TCP_RTO_MIN).</summary>
    public TimeSpan TcpRtoMin { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>net.ipv4.tcp_rto_max_ms (Linux 6.15+): the RTO cap. Default 120 s (TCP_RTO_MAX).</summary>
    public TimeSpan TcpRtoMax { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>The RTO before any RTT sample, also the SYN timeout base. 1 s (TCP_TIMEOUT_INIT, RFC 6298).</summary>
    public TimeSpan TcpTimeoutInit { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The shortest delayed-ACK timeout and the initial ACK timeout (ato). 40 ms (TCP_DELACK_MIN = TCP_ATO_MIN =
    /// HZ/25 jiffies, constants in Linux); measured about 40 ms for the ACK of a FIN.</summary>
    public TimeSpan TcpDelackMin { get; init; } = TimeSpan.FromMilliseconds(40);

    /// <summary>net.ipv4.tcp_pingpong_thresh: replies sent within ato of data received before a connection counts as
    /// interactive (its ACKs delayed to ride on replies). Default 1 (Linux 6.18, ip-sysctl.rst).</summary>
    public int TcpPingpongThresh { get; init; } = 1;

    /// <summary>TIME_WAIT length. 60 s (TCP_TIMEWAIT_LEN, a constant in Linux, not a sysctl).</summary>
    public TimeSpan TimeWaitLength { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>net.core.somaxconn: the most a listen() backlog may be. 4096 since Linux 5.4 (128 before;
    /// include/linux/socket.h SOMAXCONN); net/socket.c __sys_listen caps the backlog with it.</summary>
    public int SoMaxConn { get; init; } = 4096;

    /// <summary>CONFIG_HZ: the kernel's timer ticks a second; RTOs and timers are whole jiffies.
    /// Default 250 (Debian and Ubuntu generic kernels); 100, 300 and 1000 exist (kernel/Kconfig.hz).</summary>
    public int Hz { get; init; } = 250;

    /// <summary>Whether timers fire on the timer wheel's buckets (late by up to 1/8 of their length)
    /// or exactly their jiffies after they were armed. Off by default.</summary>
    public TimerSlack TimerSlack { get; init; } = TimerSlack.Off;

    /// <summary>The kernel's time base for <see cref="Hz"/> and <see cref="TimerSlack"/>.</summary>
    public Jiffies Jiffies => new(Hz, TimerSlack);

    /// <summary>The classic kernel profile: connect() to a black hole fails after 127 s.</summary>
    public static Sysctls Classic { get; } = new();

    /// <summary>Newer kernels with tcp_syn_linear_timeouts=4: connect() fails after 131 s.</summary>
    public static Sysctls LinearSynTimeouts { get; } = new() { TcpSynLinearTimeouts = 4 };

    /// <summary>The effective orphan budget: tcp_orphan_retries 0 means 8 (net/ipv4/tcp_timer.c).</summary>
    public int EffectiveOrphanRetries => OrphanRetries(alive: true);

    /// <summary>net/ipv4/tcp_timer.c tcp_orphan_retries (Linux 6.18): 0 means 8 while the socket is
    /// "alive" (its RTO below tcp_rto_max), and stays 0 once the RTO has reached the cap.</summary>
    public int OrphanRetries(bool alive) => TcpOrphanRetries == 0 && alive ? 8 : TcpOrphanRetries;

    /// <summary>
    /// Linux's "hypothetical timeout" of <paramref name="boundary"/> retransmissions, in whole
    /// milliseconds (net/ipv4/tcp_timer.c tcp_model_timeout, Linux 6.18): exponential from the
    /// constant TCP_RTO_MIN (HZ/5 jiffies = 200 ms, not the tcp_rto_min sysctl), linear past
    /// ilog2(tcp_rto_max / TCP_RTO_MIN) retries with steps of tcp_rto_max (the sysctl since 6.15),
    /// then jiffies_to_msecs. For 15 retries with the defaults: 924.6 s.
    /// </summary>
    public TimeSpan RetransmitBudget(int boundary)
    {
        var j = Jiffies;
        long rtoBase = Hz / 5, rtoMax = j.From(TcpRtoMax);
        int linearBackoffThresh = rtoMax >= rtoBase ? BitOperations.Log2((ulong)(rtoMax / rtoBase)) : 0; // ilog2
        long timeout = boundary <= linearBackoffThresh
            ? ((2L << boundary) - 1) * rtoBase
            : ((2L << linearBackoffThresh) - 1) * rtoBase + (boundary - linearBackoffThresh) * rtoMax;
        return TimeSpan.FromMilliseconds(j.ToMilliseconds(timeout));
    }
}

/// <summary>Per-socket options set by the application (setsockopt).</summary>
public sealed record SocketOptions
{
    /// <summary>SO_KEEPALIVE: off by default.</summary>
    public bool KeepAlive { get; init; }

    /// <summary>TCP_KEEPIDLE; null uses the host's tcp_keepalive_time.</summary>
    public TimeSpan? KeepIdle { get; init; }

    /// <summary>TCP_KEEPINTVL; null uses the host's tcp_keepalive_intvl.</summary>
    public TimeSpan? KeepInterval { get; init; }

    /// <summary>TCP_KEEPCNT; null uses the host's tcp_keepalive_probes.</summary>
    public int? KeepCount { get; init; }

    /// <summary>TCP_USER_TIMEOUT: when set, replaces tcp_retries2: abort when sent data stays
    /// unacknowledged this long. Off (null) by default.</summary>
    public TimeSpan? UserTimeout { get; init; }

    public static SocketOptions Default { get; } = new();
}
