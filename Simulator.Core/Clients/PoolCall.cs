using Zombiesim.Core.Engine;
using Zombiesim.Core.Platforms;

namespace Zombiesim.Core.Clients;

/// <summary>One command of an invocation in a <see cref="PooledClient"/>, from acquiring a
/// connection to its reply. Its one timer serves each phase in turn, stamped with the phase.</summary>
internal sealed class PoolCall
{
    public const long Opening = 1, Acquiring = 2, Connecting = 3, Waiting = 4;

    private readonly Action<Result> _done;

    public PoolCall(Clock clock, Invocation inv, Action<Result> done, Action<PoolCall, long> onTimer)
    {
        Invocation = inv;
        _done = done;
        Timer = new Alarm(clock, phase => onTimer(this, phase));
    }

    public Invocation Invocation { get; }
    public Alarm Timer { get; }
    public PooledConnection? Conn { get; set; }
    public int Received { get; set; }
    public bool Ended { get; private set; }

    /// <summary>The timer for the next phase, replacing the one before.</summary>
    public void Arm(TimeSpan at, long phase)
    {
        Timer.Cancel();
        Timer.Set(at, phase);
    }

    /// <summary>The process died: the command ends with no result and its timer is cancelled.</summary>
    public void Drop()
    {
        Ended = true;
        Timer.Cancel();
    }

    /// <summary>The command's result goes to its handler, once.</summary>
    public void End(Result r)
    {
        if (Ended)
            return;
        Ended = true;
        Timer.Cancel();
        _done(r);
    }
}
