using FluentAssertions;
using Xunit;
using Zombiesim.Core.Engine;

namespace Zombiesim.Tests.Core;

public class EngineTests
{
    private sealed class Recorder(Scheduler engine) : EventReceiver
    {
        public readonly List<(TimeSpan At, long Arg)> Fired = new();
        public Action<long>? Also;

        public override void OnEvent(long arg)
        {
            Fired.Add((engine.Now, arg));
            Also?.Invoke(arg);
        }
    }

    private sealed class Reverse : ISameInstantOrder
    {
        public readonly List<int> Offered = new();

        public int ChooseNext(ReadOnlySpan<ScheduledEvent> candidates)
        {
            Offered.Add(candidates.Length);
            return candidates.Length - 1;
        }
    }

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Events_run_in_time_order_and_advance_the_clock()
    {
        var engine = new Scheduler(2);
        var r = new Recorder(engine);
        foreach (var (t, a) in new[] { (5.0, 1L), (1.0, 2L), (3.0, 3L), (0.0, 4L), (4.0, 5L) })
            engine.Schedule(S(t), r, a);
        engine.RunToCompletion();
        r.Fired.Should().Equal((S(0), 4L), (S(1), 2L), (S(3), 3L), (S(4), 5L), (S(5), 1L));
        engine.Now.Should().Be(S(5));
        engine.Executed.Should().Be(5);
    }

    [Fact]
    public void Events_at_the_same_instant_run_in_insertion_order_by_default()
    {
        var engine = new Scheduler();
        var r = new Recorder(engine);
        for (int i = 0; i < 100; i++)
            engine.Schedule(S(i % 2 == 0 ? 7 : 3), r, i);
        engine.RunToCompletion();
        r.Fired.Select(f => f.Arg).Should().Equal(
            Enumerable.Range(0, 100).Where(i => i % 2 == 1).Concat(Enumerable.Range(0, 100).Where(i => i % 2 == 0)).Select(i => (long)i));
    }

    [Fact]
    public void An_event_scheduled_for_now_runs_after_those_already_due_now()
    {
        var engine = new Scheduler();
        var r = new Recorder(engine);
        r.Also = arg => { if (arg == 1) engine.Schedule(engine.Now, r, 99); };
        engine.Schedule(S(1), r, 1);
        engine.Schedule(S(1), r, 2);
        engine.RunToCompletion();
        r.Fired.Select(f => f.Arg).Should().Equal(1L, 2L, 99L);
    }

    [Fact]
    public void A_custom_same_instant_order_is_honoured()
    {
        var engine = new Scheduler();
        var order = new Reverse();
        engine.SameInstantOrder = order;
        var r = new Recorder(engine);
        engine.Schedule(S(2), r, 10);
        engine.Schedule(S(1), r, 1);
        engine.Schedule(S(1), r, 2);
        engine.Schedule(S(1), r, 3);
        engine.RunToCompletion();
        r.Fired.Select(f => f.Arg).Should().Equal(3L, 2L, 1L, 10L);
        order.Offered.Should().Equal(3, 2); // asked only when there is a choice
    }

    [Fact]
    public void A_cancelled_event_never_runs_and_cancelling_twice_is_harmless()
    {
        var engine = new Scheduler();
        var r = new Recorder(engine);
        engine.Schedule(S(1), r, 1);
        var h = engine.Schedule(S(2), r, 2);
        engine.Schedule(S(3), r, 3);
        engine.Pending.Should().Be(3);
        engine.IsPending(h).Should().BeTrue();
        engine.Cancel(h).Should().BeTrue();
        engine.Cancel(h).Should().BeFalse();
        engine.IsPending(h).Should().BeFalse();
        engine.Pending.Should().Be(2);
        engine.RunToCompletion();
        r.Fired.Select(f => f.Arg).Should().Equal(1L, 3L);
        engine.Executed.Should().Be(2);
    }

    [Fact]
    public void A_handle_of_a_fired_event_cannot_cancel_the_slot_s_next_event()
    {
        var engine = new Scheduler(1);
        var r = new Recorder(engine);
        var old = engine.Schedule(S(1), r, 1);
        engine.Step();
        var fresh = engine.Schedule(S(2), r, 2); // reuses the freed slot
        fresh.Slot.Should().Be(old.Slot);
        engine.Cancel(old).Should().BeFalse();
        engine.RunToCompletion();
        r.Fired.Select(f => f.Arg).Should().Equal(1L, 2L);
    }

    [Fact]
    public void A_cancelled_event_s_slot_is_taken_at_once_and_its_entry_still_in_the_queue_never_runs()
    {
        var engine = new Scheduler(1);
        var r = new Recorder(engine);
        var cancelled = engine.Schedule(S(1), r, 1);
        engine.Cancel(cancelled).Should().BeTrue();
        var next = engine.Schedule(S(2), r, 2); // the slot is free before the cancelled entry leaves the queue
        next.Slot.Should().Be(cancelled.Slot);
        engine.Pending.Should().Be(1);
        engine.Cancel(cancelled).Should().BeFalse();
        engine.IsPending(next).Should().BeTrue();
        engine.RunToCompletion();
        r.Fired.Should().Equal((S(2), 2L)); // the entry at 1 s met a slot holding another event: dropped
        engine.Executed.Should().Be(1);
    }

    [Fact]
    public void Cancelling_most_events_keeps_the_rest_in_order()
    {
        var engine = new Scheduler();
        var r = new Recorder(engine);
        var handles = new List<TimerHandle>();
        for (int i = 0; i < 1000; i++)
            handles.Add(engine.Schedule(S(1000 - i), r, i));
        for (int i = 0; i < 1000; i++)
            if (i % 10 != 0) engine.Cancel(handles[i]);
        engine.Pending.Should().Be(100);
        engine.RunToCompletion();
        r.Fired.Select(f => f.Arg).Should().Equal(Enumerable.Range(0, 100).Select(k => (long)(990 - 10 * k)));
    }

    [Fact]
    public void Cancellation_is_honoured_under_a_custom_order()
    {
        var engine = new Scheduler { SameInstantOrder = new Reverse() };
        var r = new Recorder(engine);
        TimerHandle second = default;
        r.Also = arg => { if (arg == 3) engine.Cancel(second); };
        engine.Schedule(S(1), r, 1);
        second = engine.Schedule(S(1), r, 2);
        engine.Schedule(S(1), r, 3);
        engine.RunToCompletion();
        r.Fired.Select(f => f.Arg).Should().Equal(3L, 1L);
    }

    [Fact]
    public void Running_to_a_horizon_stops_before_later_events_and_sets_the_clock()
    {
        var engine = new Scheduler();
        var r = new Recorder(engine);
        engine.Schedule(S(10), r, 1);
        engine.Schedule(S(20), r, 2);
        engine.Schedule(S(30), r, 3);
        engine.RunUntil(S(20));
        r.Fired.Select(f => f.Arg).Should().Equal(1L, 2L);
        engine.Now.Should().Be(S(20));
        engine.Pending.Should().Be(1);
        engine.RunUntil(S(25));
        engine.Now.Should().Be(S(25));
        engine.RunUntil(S(100));
        r.Fired.Select(f => f.At).Should().Equal(S(10), S(20), S(30));
        engine.Now.Should().Be(S(100));
    }

    [Fact]
    public void Scheduling_in_the_past_is_rejected()
    {
        var engine = new Scheduler();
        var r = new Recorder(engine);
        engine.Schedule(S(5), r);
        engine.RunToCompletion();
        ((Action)(() => engine.Schedule(S(4), r))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => engine.ScheduleAfter(S(-1), r))).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Same_inputs_give_the_same_event_order_every_run()
    {
        static List<(TimeSpan, long)> RunOnce()
        {
            var engine = new Scheduler(4);
            var r = new Recorder(engine);
            var rng = new Zombiesim.Core.Random.SeededChoices(9).Stream("e");
            r.Also = arg => { if (arg < 5000) engine.ScheduleAfter(TimeSpan.FromTicks(rng.NextInt64(0, 3)), r, arg + 10); };
            for (int i = 0; i < 10; i++) engine.Schedule(TimeSpan.FromTicks(rng.NextInt64(0, 3)), r, i);
            engine.RunToCompletion();
            return r.Fired;
        }
        var first = RunOnce();
        first.Should().HaveCount(5010);
        RunOnce().Should().Equal(first);
    }

    [Theory]
    [InlineData(1, 3L)]          // many ties: every instant in a few ticks
    [InlineData(2, 1_000L)]
    [InlineData(3, 10_000_000_000L)] // spread over many digits of the queue's buckets
    public void Events_run_in_time_then_scheduling_order_through_cancels_horizons_and_refiling(int seed, long spread)
    {
        // A reference: every scheduled event with its order of scheduling, sorted by (time, order).
        var engine = new Scheduler(4);
        var r = new Recorder(engine);
        var rng = new Zombiesim.Core.Random.SeededChoices((ulong)seed).Stream("e");
        var expected = new SortedSet<(long Time, long Order)>();
        var handles = new List<(TimerHandle Handle, long Time, long Order)>();
        long order = 0, outOfOrder = 0;
        void Add(long at)
        {
            long o = order++;
            handles.Add((engine.Schedule(new TimeSpan(at), r, o), at, o));
            expected.Add((at, o));
        }
        r.Also = arg =>
        {
            if (expected.Min.Order != arg || expected.Min.Time != engine.Now.Ticks)
                outOfOrder++;
            expected.Remove(expected.Min);
            if (order < 20_000)
            {
                Add(engine.Now.Ticks + rng.NextInt64(0, spread));
                if (rng.NextInt64(0, 4) == 0)
                    Add(engine.Now.Ticks); // at now: after everything already due now
            }
            if (rng.NextInt64(0, 3) == 0 && handles.Count > 0)
            {
                var (handle, time, o) = handles[(int)rng.NextInt64(0, handles.Count)];
                if (engine.Cancel(handle))
                    expected.Remove((time, o)).Should().BeTrue();
            }
        };
        for (int i = 0; i < 500; i++)
            Add(rng.NextInt64(0, spread));
        long horizon = 0;
        while (engine.Pending > 0)
        {
            // Stop short of the next event now and then, and schedule before it (the queue re-files).
            horizon += rng.NextInt64(0, spread * 4 + 1);
            engine.RunUntil(new TimeSpan(horizon));
            if (engine.Pending > 0 && order < 20_000)
                Add(horizon + rng.NextInt64(0, 2));
            expected.Count.Should().Be(engine.Pending);
        }
        r.Fired.Should().HaveCountGreaterThan(10_000);
        outOfOrder.Should().Be(0);
        expected.Should().BeEmpty();
    }

    [Fact]
    public void The_hold_benchmark_allocates_nothing_per_event_in_steady_state()
    {
        var result = HoldBenchmark.Run(pending: 1000, events: 300_000);
        result.EngineBytesPerEvent.Should().Be(0);
        result.Events.Should().Be(300_000);
    }

    [Fact]
    public void A_reset_scheduler_forgets_its_events_and_hands_out_the_handles_and_order_of_a_new_one()
    {
        static (List<TimerHandle> Handles, List<(TimeSpan, long)> Fired, long Executed) Use(Scheduler engine)
        {
            var r = new Recorder(engine);
            var handles = new List<TimerHandle>();
            for (int i = 0; i < 40; i++)
                handles.Add(engine.Schedule(S(100 - i % 7), r, i));
            engine.Cancel(handles[3]);
            engine.RunUntil(S(96));
            handles.Add(engine.ScheduleAfter(S(1), r, 99));
            engine.RunToCompletion();
            return (handles, r.Fired, engine.Executed);
        }

        var used = new Scheduler(4);
        var stale = new Recorder(used);
        for (int i = 0; i < 300; i++)
            used.Schedule(S(50 + i % 13), stale, i); // pending when reset: grows the queue and slots beyond 4
        used.Cancel(used.Schedule(S(60), stale, -1));
        used.RunUntil(S(55));
        used.Reset();

        used.Now.Should().Be(TimeSpan.Zero);
        used.Pending.Should().Be(0);
        var again = Use(used);
        var fresh = Use(new Scheduler(4));
        again.Handles.Should().Equal(fresh.Handles);
        again.Fired.Should().Equal(fresh.Fired);
        again.Executed.Should().Be(fresh.Executed).And.Be(40);
        stale.Fired.Should().OnlyContain(f => f.At <= S(55)); // nothing pending at the reset ran after it
    }
}
