using Zombiesim.Core.Clients;
using Zombiesim.Core.Connections;
using Zombiesim.Core.Engine;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Core.Scenarios;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Handlers;

/// <summary>The function's code: what an invocation does once its environment runs it. It ends the
/// invocation through the environment's <see cref="IProcess"/>.</summary>
internal interface IHandler
{
    void Handle(Invocation inv);
}

/// <summary>Which handler and client library a function's environment runs, by its strategy.</summary>
internal static class Handler
{
    public static (IHandler Handler, IClientLibrary? Client) For(FunctionRuntime fn, IProcess process, Platform platform)
    {
        if (fn.Spec.Strategy == Strategy.Proxy)
            return (new ProxyHandler(fn, platform.Function(fn.Spec.Proxy!), platform.Clock, process), null);
        var spec = fn.Spec.Client;
        var server = platform.ServerFor(spec.Server);
        // A library without a pool holds one connection: the pool of one, kept for the next invocation with strategy
        // reuse, ended after each command (client.close) with per-invocation. Cloudflare Workers: a socket cannot
        // outlive its request, so a lone connection is not kept (a pool is emptied when the request ends:
        // Environment.Finish).
        bool single = spec.Pool is null;
        bool keeps = !single || (fn.Spec.Strategy == Strategy.Reuse && !platform.Spec.PerRequestSockets);
        var pool = new PooledClient(single ? spec with { Pool = ClientPresets.OneConnection } : spec, single ? Hold.Command : fn.Spec.Hold,
            keeps, process, platform.Clock, platform.Connections, server,
            new ConnectionDraws(fn.DrawSetup, fn.DrawConnectionLifetime, fn.DrawReconnect));
        IClientLibrary client = pool;
        if (spec.ZombieKiller is { } killer && single)
            client = new ZombieKiller(pool, killer, platform.Clock, fn.DrawUnit);
        if (spec.Monitoring is { } monitoring)
        {
            // The monitor's checks wait for the connect timeout (mongodb 7.5.0 src/sdam/monitor.ts:356).
            var checkTimeout = spec.ConnectTimeout ?? TimeSpan.FromSeconds(30);
            client = new MonitoredClient(pool, monitoring, spec.Pool!.OverdueTimers, platform.Clock, changed =>
                new ServerMonitor(monitoring, checkTimeout, process, platform.Clock, platform.Connections, platform.Observer,
                    server, fn.Words.Address, SocketResults.Options(spec), changed));
        }
        return (new CommandHandler(fn, platform.Clock, client, process), client);
    }
}

/// <summary>Works for the drawn time, then runs the function's commands through the client library:
/// one, or several at once (<c>parallel</c>, as a handler awaiting Promise.all does), in rounds one
/// after another (<c>commands</c>) with drawn work between two. The invocation ends with the first
/// failure, or succeeds when every command has; a command still running when another failed goes
/// on, and its result is dropped.</summary>
internal sealed class CommandHandler : IHandler
{
    private readonly FunctionRuntime _fn;
    private readonly Clock _clock;
    private readonly IClientLibrary _client;
    private readonly IProcess _process;

    public CommandHandler(FunctionRuntime fn, Clock clock, IClientLibrary client, IProcess process)
    {
        _fn = fn;
        _clock = clock;
        _client = client;
        _process = process;
    }

    public void Handle(Invocation inv) => WorkThen(inv, 0, _fn.DrawWork());

    /// <summary>A work timer: each invocation has its own (an instance may run several at once); a fired
    /// one is kept for the next, so that an invocation's work allocates nothing.</summary>
    private sealed class WorkTimer(CommandHandler handler) : EventReceiver
    {
        public Invocation? Invocation;
        public int Round;

        public override void OnEvent(long stamp)
        {
            var inv = Invocation!;
            int round = Round;
            Invocation = null;
            handler._spare.Push(this);
            if (inv.Owns(stamp))
                handler.RunCommands(inv, round);
        }
    }

    private readonly Stack<WorkTimer> _spare = new();

    private void WorkThen(Invocation inv, int round, TimeSpan work)
    {
        if (work <= TimeSpan.Zero)
        {
            RunCommands(inv, round);
            return;
        }
        var timer = _spare.Count > 0 ? _spare.Pop() : new WorkTimer(this);
        timer.Invocation = inv;
        timer.Round = round;
        _clock.At(_clock.Now + work, timer, inv.Number);
    }

    /// <summary>A round of an invocation's commands waiting for their results. A library gives each command's result
    /// once, so a round whose results are all in is kept for the next: commands allocate no callback.</summary>
    private sealed class Round
    {
        private readonly CommandHandler _handler;
        public readonly Action<Result> Done;
        public Invocation? Invocation;
        public int Number, Pending;

        public Round(CommandHandler handler)
        {
            _handler = handler;
            Done = r => _handler.OnResult(this, r);
        }
    }

    private readonly Stack<Round> _spareRounds = new();

    private void RunCommands(Invocation inv, int round)
    {
        if (inv.Finished)
            return;
        int parallel = _fn.Spec.Parallel;
        var commands = _spareRounds.Count > 0 ? _spareRounds.Pop() : new Round(this);
        commands.Invocation = inv;
        commands.Number = round;
        commands.Pending = parallel;
        for (int i = 0; i < parallel && !inv.Finished; i++)
            _client.Command(inv, commands.Done);
    }

    private void OnResult(Round commands, Result r)
    {
        var inv = commands.Invocation ?? throw new InvalidOperationException("a command's result came twice");
        int round = commands.Number, pending = --commands.Pending;
        if (pending == 0)
        {
            commands.Invocation = null;
            _spareRounds.Push(commands);
        }
        if (inv.Finished)
            return;
        if (r.Outcome != Outcome.Ok)
            _process.Finish(inv, r);
        else if (pending == 0 && round + 1 < _fn.Spec.Commands)
            WorkThen(inv, round + 1, _fn.DrawBetween());
        else if (pending == 0 && _client.RunsAtEnd)
            EndThenFinish(inv, r);
        else if (pending == 0)
            _process.Finish(inv, r);
    }

    /// <summary>The library's last call (<see cref="IClientLibrary.End"/>), whose result ends the invocation.</summary>
    private void EndThenFinish(Invocation inv, Result r) =>
        _client.End(inv, r, last =>
        {
            if (!inv.Finished)
                _process.Finish(inv, last);
        });
}

/// <summary>Works for the drawn time, then invokes another function (the DB-proxy pattern) and
/// ends with its result, each invocation hop taking the configured latency.</summary>
internal sealed class ProxyHandler(FunctionRuntime fn, FunctionRuntime proxy, Clock clock, IProcess process) : IHandler
{
    public void Handle(Invocation inv)
    {
        TimeSpan work = fn.DrawWork();
        TimeSpan hop = fn.Spec.ProxyInvokeLatency;
        clock.Schedule(clock.Now + work + hop, () =>
        {
            if (inv.Finished) return;
            proxy.Invoke(r => clock.Schedule(clock.Now + hop, () =>
            {
                if (!inv.Finished) process.Finish(inv, r);
            }));
        });
    }
}
