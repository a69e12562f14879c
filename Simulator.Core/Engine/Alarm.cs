namespace Zombiesim.Core.Engine;

/// <summary>
/// One timer of a part, for one purpose (an environment's freeze, a library's command timeout):
/// when it fires, the part's method gets the stamp it was set with, so that a late event of a
/// finished invocation can tell it is stale. Setting it again does not cancel an earlier event;
/// <see cref="Cancel"/> cancels the latest one, and cancelling a fired or cancelled one is harmless.
/// </summary>
public sealed class Alarm(Clock clock, Action<long> fire) : EventReceiver
{
    private TimerHandle _latest;

    /// <summary>Fires at <paramref name="at"/> (clamped to now) with <paramref name="stamp"/>; the handle cancels this
    /// event alone (<see cref="Clock.Cancel"/>) when several are pending.</summary>
    public TimerHandle Set(TimeSpan at, long stamp = 0) => _latest = clock.At(at, this, stamp);

    public void Cancel() => clock.Cancel(ref _latest);

    public override void OnEvent(long stamp) => fire(stamp);
}
