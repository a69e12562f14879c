using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Clients;

/// <summary>A connection's maximum lifetime as a pool whose <see cref="PoolSpec.LifetimeRule"/> is a timer enforces it: a
/// timer per connection, started when it opens, closes it the instant its lifetime passes if it is free, and marks it to be
/// closed at its release if it is busy (pg-pool 3.14.0 index.js:311-328 and :400-405; postgres.js 3.4.9 src/connection.js:371
/// and :413-420; PgBouncer's janitor, src/janitor.c check_unused_servers, and release_server, src/objects.c). The timer is
/// a user-space timer: it stops while the process is frozen and, overdue at the thaw, runs with the idle timers.</summary>
internal sealed partial class PooledClient
{
    private bool LifetimeTimers => _pool.LifetimeRule == LifetimeRule.Timer;

    /// <summary>A connection that opened starts its lifetime timer, when the pool has one.</summary>
    private void StartLifetime(PooledConnection c)
    {
        if (LifetimeTimers && c.Lifetime is not null && !_frozen)
            c.ArmLifetime();
    }

    private void OnLifetime(PooledConnection c)
    {
        if (_frozen || _process.State == EnvironmentState.Destroyed || !_bySocket.ContainsKey(c.Socket))
            return;
        LifetimePassed(c);
    }

    /// <summary>A free connection closes now, whatever the pool's minimum; a busy or held one when it is released.</summary>
    private void LifetimePassed(PooledConnection c)
    {
        c.LifeOver = true;
        if (_free.Contains(c))
            Close(c);
    }

    /// <summary>The process stops: its lifetime timers stop with it, and keep their deadlines.</summary>
    private void PauseLifetimes()
    {
        if (!LifetimeTimers)
            return;
        foreach (var c in _bySocket.Values)
            c.CancelLifetime();
    }

    /// <summary>The process runs again: lifetimes that passed while it was frozen end now, the others at their deadlines.</summary>
    private void ResumeLifetimes()
    {
        if (!LifetimeTimers)
            return;
        foreach (var c in _bySocket.Values.ToArray())
        {
            if (c.Lifetime is null || c.LifeOver || !_bySocket.ContainsKey(c.Socket))
                continue;
            if (c.LifetimeDeadline <= _clock.Now)
                LifetimePassed(c);
            else
                c.ArmLifetime();
        }
    }
}
