using Zombiesim.Core.Engine;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Clients;

/// <summary>
/// A pool behind server selection, as the MongoDB driver runs one: a command goes to the pool once
/// the <see cref="ServerMonitor"/> knows the server, and otherwise waits for it, at most the server
/// selection timeout (mongodb 7.5.0 src/sdam/topology.ts:638-639). A failed check clears the pool
/// (src/cmap/connection_pool.ts:417-464: the generation is raised, idle connections are closed,
/// those in use are closed when released). Commands in use are not interrupted (the driver does so
/// on a heartbeat timeout; not modelled).
/// </summary>
internal sealed class MonitoredClient : IClientLibrary
{
    private sealed class Selection(Invocation inv, Action<Result> done, Alarm timer)
    {
        public Invocation Invocation { get; } = inv;
        public Action<Result> Done { get; } = done;
        public Alarm Timer { get; } = timer;
    }

    private readonly PooledClient _pool;
    private readonly MonitorSpec _spec;
    private readonly OverdueTimers _overdue;
    private readonly Clock _clock;
    private readonly List<Selection> _selecting = new();

    public MonitoredClient(PooledClient pool, MonitorSpec spec, OverdueTimers overdue, Clock clock,
        Func<Action<bool>, ServerMonitor> monitor)
    {
        _pool = pool;
        _spec = spec;
        _overdue = overdue;
        _clock = clock;
        Monitor = monitor(OnServerChanged);
    }

    public ServerMonitor Monitor { get; }

    public bool HoldsConnections => _pool.HoldsConnections || Monitor.HoldsConnection;

    public void Command(Invocation inv, Action<Result> done)
    {
        Monitor.Start();
        if (Monitor.Known)
        {
            _pool.Command(inv, done);
            return;
        }
        Selection? s = null;
        s = new Selection(inv, done, new Alarm(_clock, _ => SelectionTimedOut(s!)));
        s.Timer.Set(_clock.Now + _spec.ServerSelectionTimeout);
        _selecting.Add(s);
        Monitor.RequestCheck();
    }

    private void SelectionTimedOut(Selection s)
    {
        if (!_selecting.Remove(s) || s.Invocation.Finished)
            return;
        s.Done(new Result(Outcome.ETIMEDOUT, Origin.LibraryTimeout, null,
            new Cause(CauseKind.ServerSelectionTimeout, Timeout: _spec.ServerSelectionTimeout)));
    }

    private void OnServerChanged(bool known)
    {
        if (!known)
        {
            _pool.Clear();
            if (_selecting.Count > 0)
                Monitor.RequestCheck(); // server selection keeps asking while commands wait (topology.ts selectServer)
            return;
        }
        var ready = _selecting.ToArray();
        _selecting.Clear();
        foreach (var s in ready)
        {
            s.Timer.Cancel();
            if (!s.Invocation.Finished)
                _pool.Command(s.Invocation, s.Done);
        }
    }

    public void OnSocketEvent(TcpConnection socket, TcpEvent e)
    {
        if (Monitor.Owns(socket))
            Monitor.OnSocketEvent(socket, e);
        else
            _pool.OnSocketEvent(socket, e);
    }

    public void Finished() => _pool.Finished();

    public string? Abandon()
    {
        foreach (var s in _selecting)
            s.Timer.Cancel();
        _selecting.Clear();
        Monitor.Stop();
        return _pool.Abandon();
    }

    public void Idle() => _pool.Idle();

    public void Pause() => _pool.Pause();

    public void Freeze()
    {
        Monitor.Freeze();
        _pool.Freeze();
    }

    public void Thawed(bool beforeHandler)
    {
        if (beforeHandler == (_overdue == OverdueTimers.BeforeHandler))
            Monitor.Thawed();
        _pool.Thawed(beforeHandler);
    }

    /// <summary>The init code connects: the MongoClient's connect() starts the monitor and opens a pooled connection.</summary>
    public void ConnectInInit()
    {
        Monitor.Start();
        _pool.ConnectInInit();
    }

    public TimeSpan? PendingTimersUntil => _pool.PendingTimersUntil;

    public void CloseAll()
    {
        Monitor.Stop();
        _pool.CloseAll();
    }
}
