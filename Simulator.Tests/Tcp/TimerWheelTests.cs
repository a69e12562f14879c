using FluentAssertions;
using Xunit;
using Zombiesim.Tcp;
using static Zombiesim.Tests.Tcp.TcpLab;

namespace Zombiesim.Tests.Tcp;

/// <summary>
/// `timerSlack: linux`: kernel timers fire on the timer wheel's buckets (kernel/time/timer.c, Linux
/// 6.18, calc_wheel_index and calc_index): a timer expiring delta jiffies ahead goes to the first
/// level whose range holds delta (level n: below 63 x 8^n) and fires at ((expires &gt;&gt; 3n) + 1) &lt;&lt; 3n.
/// </summary>
public class TimerWheelTests
{
    private static readonly Jiffies Hz250 = new(250, TimerSlack.Linux);

    [Theory]
    [InlineData(1000, 51, 1052)]      // level 0 (delta < 63): one jiffy past the expiry
    [InlineData(1000, 102, 1104)]     // level 1 (granularity 8): (1102 >> 3) + 1 = 138, x 8
    [InlineData(1000, 816, 1856)]     // level 2 (granularity 64): (1816 >> 6) + 1 = 29, x 64
    [InlineData(1000, 15000, 16384)]  // level 3 (granularity 512 = 2.048 s): TIME_WAIT's 60 s
    public void A_timer_fires_at_its_level_s_bucket(long clk, long delta, long bucket) =>
        Hz250.WheelBucket(clk, clk + delta).Should().Be(bucket);

    [Theory]
    [InlineData(100)]
    [InlineData(250)]
    [InlineData(300)]
    [InlineData(1000)]
    public void Jiffy_arithmetic_is_the_same_on_either_side_of_its_64_bit_fast_path(int hz)
    {
        // Beyond about 29 years of ticks (or 9.2e11 jiffies) the products need 128 bits; below, 64 bits give the same.
        var exact = new Jiffies(hz);
        foreach (long ticks in new[] { 1L, 9_999_999L, 10_000_001L, 864_000_000_000L, long.MaxValue / 1000 - 10_000_000L,
                     long.MaxValue / 1000 - 9_999_999L, long.MaxValue / 1000 + 12_345L, long.MaxValue / 4 })
        {
            var d = TimeSpan.FromTicks(ticks);
            long jiffies = (long)(((Int128)ticks * hz + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond);
            exact.From(d).Should().Be(jiffies, $"{ticks} ticks at HZ={hz}");
            long j = Math.Min(jiffies, long.MaxValue / TimeSpan.TicksPerSecond + 5);
            exact.ToTime(j).Ticks.Should().Be((long)(((Int128)j * TimeSpan.TicksPerSecond + hz - 1) / hz));
        }
    }

    [Fact]
    public void Off_fires_exactly_the_whole_jiffies_after_arming()
    {
        var off = new Jiffies(250);
        off.Fire(S(1.0021), 51).Should().Be(S(1.2061));
        off.From(Ms(200.1)).Should().Be(51, "usecs_to_jiffies rounds up");
        off.From(Ms(204)).Should().Be(51);
    }

    [Fact]
    public void With_slack_the_retransmissions_of_tcp_retries2_3_fall_inside_the_measured_windows()
    {
        // Measured on Linux 6.18, HZ=250, RTT about 0.03 ms (../shared/FACTS.md): retransmissions
        // 0.204-0.208, 0.412-0.416, 0.824-0.856, 1.656-1.688, 3.320-3.352 s after the send,
        // ETIMEDOUT 6.65-6.81 s after it.
        foreach (double t0 in new[] { 1.0, 1.0021, 1.0039 })
        {
            var sys = new Sysctls { TcpRetries2 = 3, TimerSlack = TimerSlack.Linux };
            var lab = new TcpLab(client: sys, oneWay: TimeSpan.FromMicroseconds(15));
            var (c, _) = lab.Establish();
            lab.At(S(t0), () => { lab.Path.Partitioned = true; c.Send(lab.Now, 100); });
            lab.RunUntil(S(20));
            var after = lab.SentBy(lab.Client).Where(x => x.S.Length == 100).Skip(1).Select(x => (x.At - S(t0)).TotalSeconds).ToList();
            after.Should().HaveCount(5);
            after[0].Should().BeInRange(0.204, 0.208);
            after[1].Should().BeInRange(0.412, 0.416);
            after[2].Should().BeInRange(0.824, 0.856);
            after[3].Should().BeInRange(1.656, 1.688);
            after[4].Should().BeInRange(3.320, 3.352);
            var dead = lab.Of(c).Last();
            dead.Cause.Should().Be(TcpCause.RetransmitTimeout);
            (dead.At - S(t0)).TotalSeconds.Should().BeInRange(6.65, 6.81);
        }
    }

    [Fact]
    public void With_slack_time_wait_ends_60_to_62_1_s_after_it_began()
    {
        var lab = new TcpLab(client: new Sysctls { TimerSlack = TimerSlack.Linux });
        var (c, s) = lab.Establish();
        lab.At(S(1), () => c.Close(lab.Now));
        lab.At(S(2), () => s.Close(lab.Now));
        lab.RunUntil(S(100));
        var entered = lab.WhenEntered(c, TcpState.TimeWait);
        var ended = lab.Of(c).Last();
        ended.Cause.Should().Be(TcpCause.TimeWaitExpired);
        (ended.At - entered).TotalSeconds.Should().BeInRange(60.0, 62.1);
        (ended.At.Ticks % (TimeSpan.TicksPerMillisecond * 4)).Should().Be(0, "a timer fires on a jiffy");
    }
}
