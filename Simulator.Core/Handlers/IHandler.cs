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
        // Cloudflare Workers: a socket cannot outlive its request, so a lone connection is not cached
        // (a pool is emptied when the request ends: Environment.Finish).
        IClientLibrary client = fn.Spec.Client.Pool is not null
            ? new PooledClient(fn.Spec.Client, process, platform.Clock, platform.Connections, platform.Server, fn.DrawSetup,
                fn.DrawConnectionLifetime)
            : new SingleConnectionClient(fn.Spec.Client, fn.Spec.Strategy == Strategy.Reuse && !platform.Spec.PerRequestSockets, process,
                platform.Clock,
                platform.Connections, platform.Server, fn.DrawSetup);
        return (new CommandHandler(fn, platform.Clock, client, process), client);
    }
}

/// <summary>Works for the drawn time, then runs the function's commands through the client library:
/// one, or several at once (<c>parallel</c>, as a handler awaiting Promise.all does). The invocation
/// ends with the first failure, or succeeds when every command has; a command still running when
/// another failed goes on, and its result is dropped.</summary>
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

    /// <summary>Each invocation has its own work timer: an instance may run several at once.</summary>
    public void Handle(Invocation inv)
    {
        TimeSpan work = _fn.DrawWork();
        if (work > TimeSpan.Zero)
            new Alarm(_clock, stamp =>
            {
                if (inv.Owns(stamp))
                    RunCommands(inv);
            }).Set(_clock.Now + work, inv.Number);
        else
            RunCommands(inv);
    }

    private void RunCommands(Invocation inv)
    {
        int parallel = _fn.Spec.Parallel, pending = parallel;
        for (int i = 0; i < parallel && !inv.Finished; i++)
        {
            _client.Command(inv, r =>
            {
                pending--;
                if (r.Outcome != Outcome.Ok || pending == 0)
                    _process.Finish(inv, r);
            });
        }
    }
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
