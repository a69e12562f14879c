using Zombiesim.Core.Engine;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Servers;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Clients;

/// <summary>
/// serverless-mysql's connection management around its one mysql2 connection (2.1.0, index.js). At
/// end(), which the handler awaits before it returns, each step a round trip on the instance's own
/// connection: the server's limit, cached for maxConnsFreq (:338-361); the count of connections and the
/// longest `time` in the process list, cached for usedConnsFreq (:364-385); above connUtilization of
/// the limit, the sleeping connections whose `time` is at least the longest one seen, clamped to
/// [zombieMinTimeout, zombieMaxTimeout], are listed and each is KILLed, one at a time, a failed KILL
/// (ER_NO_SUCH_THREAD) not counted (:389-414); if none was killed, the instance quits its own
/// connection (:199-202, :213-220); below it, connections asleep past zombieMaxTimeout are killed
/// (:205-207). A connect the server refuses is tried again up to maxRetries times after a full-jitter
/// backoff (:115-132, :78). The race it causes: the connections it kills may belong to instances that
/// are frozen, not dead, whose next query finds its connection closed.
/// </summary>
internal sealed class ZombieKiller : IClientLibrary
{
    private readonly PooledClient _inner;
    private readonly ZombieKillerSpec _spec;
    private readonly Clock _clock;
    private readonly Func<double> _unit;
    private readonly Alarm _backoff;
    private Invocation? _waiting; // the invocation whose connect waits out the backoff
    private Action<Result>? _waitingDone;
    private int _retries; // connect attempts refused in a row (reset by a success, as resetRetries())
    private TimeSpan? _maxConnsAt, _usedConnsAt; // when each cached answer was read; null: never
    private int _maxConns, _used, _maxAge;

    public ZombieKiller(PooledClient inner, ZombieKillerSpec spec, Clock clock, Func<double> unit)
    {
        _inner = inner;
        _spec = spec;
        _clock = clock;
        _unit = unit;
        _backoff = new Alarm(clock, OnBackoff);
    }

    public bool RunsAtEnd => _spec.ManageConns;

    public bool HoldsConnections => _inner.HoldsConnections;

    public void Command(Invocation inv, Action<Result> done) => _inner.Command(inv, r =>
    {
        if (r.Outcome == Outcome.Rejected && r.Origin == Origin.Server && _retries < _spec.MaxRetries && !inv.Finished)
        {
            // "Too many connections" is in tooManyConnsErrors: sleep, then connect again (index.js:119-126).
            _retries++;
            _waiting = inv;
            _waitingDone = done;
            _backoff.Set(_clock.Now + FullJitter(), inv.Number);
            return;
        }
        if (r.Outcome == Outcome.Ok)
            _retries = 0;
        done(r);
    });

    /// <summary>randRange(0, min(cap, base x 2^retries)) whole milliseconds (index.js:77-78).</summary>
    private TimeSpan FullJitter()
    {
        double ceiling = Math.Min(_spec.BackoffCap.TotalMilliseconds, _spec.BackoffBase.TotalMilliseconds * Math.Pow(2, _retries));
        return TimeSpan.FromMilliseconds(Math.Floor(_unit() * (Math.Floor(ceiling) + 1)));
    }

    private void OnBackoff(long stamp)
    {
        if (_waiting is { } inv && inv.Owns(stamp) && !inv.Finished)
            Command(inv, _waitingDone!);
    }

    // ---------------------------------------------------------------- end()

    public void End(Invocation inv, Result result, Action<Result> done)
    {
        if (!_inner.HoldsConnections)
        {
            done(result); // client === null: nothing to manage
            return;
        }
        if (_maxConnsAt is { } at && _clock.Now - at <= _spec.MaxConnsFreq)
        {
            CountConnections(inv, result, done);
            return;
        }
        Ask(inv, new MaxConnectionsQuery(), done, a =>
        {
            _maxConns = a.Total;
            _maxConnsAt = _clock.Now;
            CountConnections(inv, result, done);
        });
    }

    private void CountConnections(Invocation inv, Result result, Action<Result> done)
    {
        if (_usedConnsAt is { } at && _clock.Now - at <= _spec.UsedConnsFreq)
        {
            Decide(inv, result, done);
            return;
        }
        Ask(inv, new ProcessCountQuery(), done, a =>
        {
            (_used, _maxAge) = (a.Total, a.MaxAge);
            _usedConnsAt = _clock.Now;
            Decide(inv, result, done);
        });
    }

    /// <summary>index.js:190-207: a limit of 0 reads as infinitely used, as JavaScript's division does.</summary>
    private void Decide(Invocation inv, Result result, Action<Result> done)
    {
        int min = Seconds(_spec.ZombieMinTimeout), max = Seconds(_spec.ZombieMaxTimeout);
        bool over = _maxConns == 0 ? _used > 0 : (double)_used / _maxConns > _spec.ConnUtilization;
        if (over)
        {
            int timeout = Math.Min(Math.Max(_maxAge, min), max);
            if (timeout > _maxAge)
            {
                _inner.Quit();
                done(result);
                return;
            }
            Kill(inv, timeout, done, killed =>
            {
                if (killed == 0)
                    _inner.Quit();
                done(result);
            });
        }
        else if (_maxAge > max)
            Kill(inv, max, done, _ => done(result));
        else
            done(result);
    }

    private static int Seconds(TimeSpan t) => (int)(t.Ticks / TimeSpan.TicksPerSecond);

    /// <summary>Lists the sleeping connections of at least <paramref name="timeout"/> seconds and KILLs each in turn.</summary>
    private void Kill(Invocation inv, int timeout, Action<Result> failed, Action<int> then) =>
        Ask(inv, new SleepingQuery(timeout), failed, a => KillFrom(inv, a.Rows ?? [], 0, 0, then));

    private void KillFrom(Invocation inv, IReadOnlyList<ProcessRow> rows, int next, int killed, Action<int> then)
    {
        if (next == rows.Count || inv.Finished)
        {
            then(killed);
            return;
        }
        // A KILL's failure is caught and counted as none (onKillError, index.js:405-409).
        _inner.Query(inv, new KillQuery(rows[next].Id), (r, a) =>
            KillFrom(inv, rows, next + 1, killed + (r.Outcome == Outcome.Ok && a is { Error: null } ? 1 : 0), then));
    }

    /// <summary>One query of end(); a failure ends the invocation with it (end() throws), and a server that
    /// keeps no process list answers nothing, which ends end() as it is.</summary>
    private void Ask(Invocation inv, ServerQuery query, Action<Result> done, Action<QueryAnswer> then) =>
        _inner.Query(inv, query, (r, answer) =>
        {
            if (inv.Finished)
                return;
            if (r.Outcome != Outcome.Ok || answer is null)
                done(r);
            else
                then(answer);
        });

    // ---------------------------------------------------------------- the rest is the connection's

    public void OnSocketEvent(TcpConnection socket, TcpEvent e) => _inner.OnSocketEvent(socket, e);

    public void Finished()
    {
        _backoff.Cancel();
        _waiting = null;
        _waitingDone = null;
        _inner.Finished();
    }

    public string? Abandon() => _inner.Abandon();

    public void Idle() => _inner.Idle();

    public void Pause() => _inner.Pause();

    public void Freeze() => _inner.Freeze();

    public void Thawed(bool beforeHandler) => _inner.Thawed(beforeHandler);

    public void CloseAll() => _inner.CloseAll();

    public void ConnectInInit() => _inner.ConnectInInit();
}
