using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Platforms;
using Zombiesim.Tcp;

namespace Zombiesim.Cli.Verify;

/// <summary>What the real run recorded: requests as the agents saw them, socket transitions as polled, the platform's
/// actions as done (real instants, seconds from the start), and the facts the diff's tolerance rests on.</summary>
public sealed record RealResult(
    IReadOnlyList<RequestRecord> Requests,
    IReadOnlyList<ObservedTransition> Transitions,
    IReadOnlyList<LifecycleRecord> Lifecycle,
    int? Hz,
    string Kernel,
    string Server,
    bool LatencyEmulated,
    IReadOnlyList<SegmentRecord>? Segments = null);

/// <summary>
/// Runs a <see cref="Schedule"/> on a <see cref="RealWorld"/>: starts the server (redis-server, or zombiesim's built-in
/// generic server) and one client agent per environment, then at each instant does what the model's platform did:
/// sends an invocation (after the cold-start time for a cold one), freezes (`process`: SIGSTOP; `vm`: SIGSTOP and the
/// link cut both ways), thaws (the invocation is queued on the agent's stdin before SIGCONT, so it runs before the
/// socket's news), destroys (link cut for good, then SIGKILL). With a shutdown hook: SIGTERM at the shutdown (thawed
/// first), the link cut and SIGKILL at the end of the shutdown phase; with no phase, the environment's inbound side is
/// cut ahead, SIGTERM at the destruction, and once the hook's FIN is out the outbound side and SIGKILL.
/// Everything it starts is stopped, also on failure.
/// </summary>
public static class RealRun
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    public static RealResult Execute(VerifyPlan plan, Schedule schedule, TextWriter progress)
    {
        var s = plan.Scenario;
        int? hz = KernelClock.MeasureHz();
        using var world = RealWorld.Build(plan, schedule.Environments);
        if (!world.LatencyEmulated)
            progress.WriteLine("warning: this kernel has no netem (CONFIG_NET_SCH_NETEM): the links keep their own latency "
                + $"(microseconds), not the scenario's {plan.LatencyMicroseconds} us one way; the diff allows two round trips more");
        progress.WriteLine($"verify: namespaces {world.Prefix}-*: server, {schedule.Environments.Count} environment(s)"
            + (plan.Middlebox is null ? "" : ", router") + (plan.Pooler is null ? "" : ", database behind the pooler"));
        if (s.Server.Kind == Core.Scenarios.ServerKindName.MySql)
            progress.WriteLine($"warning: preset {s.Server.Preset} is MySQL; the real server is MariaDB, whose idle close is a RST "
                + "without an error (docs/verify.md): --set server.preset=mariadb compares like with like");
        using var realServer = RealServer.Start(plan, world, StartTimeout);
        realServer.PrepareRestarts(plan, world, schedule.Steps.Count(st => st.Kind == StepKind.ServerExit), StartTimeout);
        var server = realServer.Process;
        var agents = new Dictionary<string, (int Index, AgentProcess Agent)>();
        try
        {
            foreach (var env in schedule.Environments)
            {
                var spec = ClientSpecFor(env, new IPEndPoint(world.ServerAddress(env.Index), s.Server.Port), s.Platform.ShutdownHook)
                    with
                { Protocol = RealServer.ProtocolFor(plan.Database.Kind, env.Function.Client.Library) };
                agents[env.Name] = (env.Index, AgentProcess.StartZombiesim(world.EnvironmentNamespace(env.Index), "client", spec.ToArgs()));
            }
            foreach (var (_, agent) in agents.Values)
                agent.WaitReady(StartTimeout);
            WaitListening(server, s.Server.Port);
            if (realServer.Database is { } database)
                WaitListening(database, plan.Database.Port);
            return Replay(plan, schedule, world, realServer, agents, hz, progress) with { LatencyEmulated = world.LatencyEmulated };
        }
        finally
        {
            foreach (var (name, (_, agent)) in agents)
            {
                foreach (var said in agent.Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                    progress.WriteLine($"verify: {name}'s client: {said}");
            }
            foreach (var (_, agent) in agents.Values)
                agent.Dispose();
        }
    }

    private static RealResult Replay(VerifyPlan plan, Schedule schedule, RealWorld world, RealServer server,
        Dictionary<string, (int Index, AgentProcess Agent)> agents, int? hz, TextWriter progress)
    {
        // The server's host is the poller's own namespace (pid 0); the database behind a pooler is read through its process.
        var servers = new[] { $"{plan.Scenario.Server.Name}:0" }
            .Concat(server.Database is { } db ? [$"{plan.Database.Name}:{db.Pid}"] : Array.Empty<string>());
        var hosts = servers.Concat(agents.Select(a => $"{a.Key}:{a.Value.Agent.Pid}"));
        string ports = plan.Pooler is null ? $"{plan.Scenario.Server.Port}" : $"{plan.Scenario.Server.Port},{plan.Database.Port}";
        using var poller = AgentProcess.StartZombiesim(world.ServerNamespace, "poll",
            [$"port={ports}", $"hosts={string.Join(',', hosts)}", $"capture={(plan.Segments ? 1 : 0)}"]);
        poller.WaitReady(StartTimeout);
        bool realTime = Libc.RealTimeThread(); // this thread keeps the platform's instants
        var lead = NftLead(world);
        // A collection would stop this thread, whose priority the collector's threads do not share.
        bool noCollections = GC.TryStartNoGCRegion(64L << 20);
        var clock = Stopwatch.StartNew();
        long origin = Stopwatch.GetTimestamp() - clock.ElapsedTicks; // the run's zero on the monotonic clock, for other processes
        poller.Send(FormattableString.Invariant($"start {origin}"));
        var results = new ConcurrentQueue<(string Env, string Line)>();
        var heard = new ConcurrentDictionary<(string Env, string Word), int>(); // lines each agent wrote, by their first word
        var closedAt = new ConcurrentDictionary<string, long>(); // when each agent's shutdown hook had closed (timestamps)
        var opened = new ConcurrentDictionary<(string Env, int Port), long>(); // when each agent's connect() began (timestamps)
        var readers = agents.Select(a => new Thread(() => Drain(a.Key, a.Value.Agent, results, heard, closedAt, opened))
        { IsBackground = true })
            .ToList();
        var invoked = agents.Keys.ToDictionary(e => e, _ => 0);
        readers.ForEach(r => r.Start());

        var lifecycle = new List<LifecycleRecord>();
        var sent = new Dictionary<(string Env, int N), (RequestRecord Model, double Arrival, double Dispatch)>();
        var frozen = new HashSet<string>();
        var cut = new HashSet<string>(); // paused VMs whose link is cut
        bool vm = plan.Scenario.Platform.FreezeMode == FreezeMode.Vm;
        TimeSpan cold = plan.ColdStart;
        bool hook = plan.Scenario.Platform.ShutdownHook;
        // Shut down first (a shutdown phase): the link is cut at the destruction, after the hook, not ahead of it.
        var shutDown = schedule.Steps.Where(st => st.Kind == StepKind.Shutdown).Select(st => st.Environment).ToHashSet();
        var steps = schedule.Steps.Select(st => (Due: st.At + (st.Cold ? cold : TimeSpan.Zero), Step: st))
            .Concat(schedule.Steps.Where(st => (st.Kind == StepKind.Destroy && !shutDown.Contains(st.Environment))
                    || (vm && st.Kind is StepKind.Thaw or StepKind.Shutdown))
                .Select(st => (Due: st.At - lead,
                    Step: st with { Kind = st.Kind == StepKind.Thaw ? StepKind.PrepareThaw : StepKind.PrepareDestroy })))
            .OrderBy(x => x.Due).ThenBy(x => x.Step.Kind).ToList();
        var doomed = new HashSet<string>();
        var scripted = new List<string>(); // the scripted events as done, for stderr once the run is over
        var pings = schedule.Environments.Where(e => e.Function.Client.PingInterval is not null).Select(e => e.Name).ToHashSet();
        int n = 0;
        for (int i = 0; i < steps.Count; i++)
        {
            var (due, step) = steps[i];
            if (due > plan.Scenario.Horizon)
                break;
            WaitUntil(clock, due);
            double now = clock.Elapsed.TotalSeconds;
            if (step.Kind <= StepKind.PartitionEnd)
            {
                Scripted(step.Kind, server, world, schedule);
                scripted.Add(FormattableString.Invariant(
                    $"{step.Kind} due {due.TotalSeconds:0.######} s, done {now:0.######} to {clock.Elapsed.TotalSeconds:0.######} s"));
                continue;
            }
            var (k, agent) = agents[step.Environment];
            switch (step.Kind)
            {
                case StepKind.Request:
                    n++;
                    double arrival = now - (step.Cold ? cold.TotalSeconds : 0);
                    if (step.Cold)
                        lifecycle.Add(new LifecycleRecord(TimeSpan.FromSeconds(arrival), step.Environment, LifecycleEvent.ColdStart));
                    agent.Send($"invoke {n}");
                    invoked[step.Environment]++;
                    if (frozen.Remove(step.Environment))
                        Thaw(world, k, agent, cut.Remove(step.Environment)); // the invocation waits on stdin: it runs first
                    sent[(step.Environment, n)] = (step.Request!, arrival, clock.Elapsed.TotalSeconds);
                    break;
                case StepKind.PrepareThaw when cut.Remove(step.Environment):
                    world.Restore(k, "freeze"); // the VM stays stopped until its thaw; nothing is in flight meanwhile
                    break;
                case StepKind.PrepareDestroy when hook:
                    if (cut.Remove(step.Environment))
                        world.Restore(k, "freeze"); // the hook's FIN must leave; the process stays stopped until then
                    world.CutInbound(k, "destroy"); // destroyed at once: the server's answers to the hook's FIN find nothing
                    doomed.Add(step.Environment);
                    break;
                case StepKind.PrepareDestroy:
                    world.Cut(k, "destroy"); // a destroyed environment sends nothing, not even the FIN of its killed process
                    doomed.Add(step.Environment);
                    break;
                case StepKind.Shutdown:
                    lifecycle.Add(new LifecycleRecord(TimeSpan.FromSeconds(now), step.Environment, LifecycleEvent.Shutdown));
                    if (frozen.Remove(step.Environment))
                        Thaw(world, k, agent, cut.Remove(step.Environment));
                    if (hook)
                        agent.Terminate(); // SIGTERM: the hook closes; the environment, kernel included, lives on
                    break;
                case StepKind.Destroy when hook && !shutDown.Contains(step.Environment):
                    lifecycle.Add(new LifecycleRecord(TimeSpan.FromSeconds(now), step.Environment, LifecycleEvent.Destroyed));
                    if (doomed.Add(step.Environment))
                        world.CutInbound(k, "destroy");
                    if (frozen.Remove(step.Environment))
                        agent.Continue();
                    agent.Terminate(); // no shutdown phase: the hook's FIN leaves, then nothing more
                    WaitFor(heard, (step.Environment, "hook"), 1);
                    agent.Kill(); // it holds no socket now; its closed one retransmits its FIN no sooner than an RTO (200 ms)
                    // Gone for the network once its hook had closed (nothing comes in, nothing more goes out): then.
                    double gone = closedAt.TryGetValue(step.Environment, out long stamp)
                        ? (double)(stamp - origin) / Stopwatch.Frequency : clock.Elapsed.TotalSeconds;
                    poller.Send(FormattableString.Invariant($"forget {step.Environment} {gone:R}"));
                    world.CutOutbound(k, "destroy"); // tens of milliseconds: the retransmissions find it in place
                    break;
                case StepKind.Thaw:
                    lifecycle.Add(new LifecycleRecord(TimeSpan.FromSeconds(now), step.Environment, LifecycleEvent.Thawed));
                    bool invocationFollows = steps.Skip(i + 1).Any(x => x.Due == due && x.Step.Kind == StepKind.Request
                        && x.Step.Environment == step.Environment);
                    if (!invocationFollows && frozen.Remove(step.Environment))
                        Thaw(world, k, agent, cut.Remove(step.Environment));
                    break;
                case StepKind.Freeze:
                    // After the invocation's end, as in the model: a freeze right after it must not stop the agent before
                    // it has read the reply (the real reply takes the agent a few milliseconds more than the model's).
                    WaitFor(heard, (step.Environment, "result"), invoked[step.Environment]);
                    now = clock.Elapsed.TotalSeconds;
                    lifecycle.Add(new LifecycleRecord(TimeSpan.FromSeconds(now), step.Environment, LifecycleEvent.Frozen));
                    if (pings.Contains(step.Environment))
                        agent.Send("pause"); // read at SIGCONT at the latest, before an overdue ping timer
                    agent.Stop();
                    if (vm)
                    {
                        world.Cut(k, "freeze");
                        cut.Add(step.Environment);
                    }
                    frozen.Add(step.Environment);
                    break;
                case StepKind.Destroy:
                    lifecycle.Add(new LifecycleRecord(TimeSpan.FromSeconds(now), step.Environment, LifecycleEvent.Destroyed));
                    poller.Send(FormattableString.Invariant($"forget {step.Environment} {now:R}")); // the namespace outlives it
                    if (doomed.Add(step.Environment))
                        world.Cut(k, "destroy");
                    agent.Kill();
                    break;
            }
        }
        WaitUntil(clock, plan.Scenario.Horizon);
        if (realTime)
            Libc.NormalThread();
        foreach (var line in scripted)
            progress.WriteLine("verify: scripted " + line);
        if (noCollections && System.Runtime.GCSettings.LatencyMode == System.Runtime.GCLatencyMode.NoGCRegion)
            GC.EndNoGCRegion();
        var observed = PollerOutput.Read(poller, StartTimeout, progress);
        var (names, transitions) = ConnectionNames.Merge(observed.Names, observed.Transitions, results
            .Select(r => (Env: r.Env, Field: r.Line.Split(' ')))
            .Where(r => r.Field is ["result", _, _, _, not "0", _])
            .Select(r => (new IPEndPoint(RealWorld.EnvironmentAddress(agents[r.Env].Index),
                    int.Parse(r.Field[4], CultureInfo.InvariantCulture)),
                sent[(r.Env, int.Parse(r.Field[1], CultureInfo.InvariantCulture))].Dispatch)),
            opened.ToDictionary(o => new IPEndPoint(RealWorld.EnvironmentAddress(agents[o.Key.Env].Index), o.Key.Port).ToString(),
                o => (double)(o.Value - origin) / Stopwatch.Frequency));
        var requests = new List<RequestRecord>();
        foreach (var (env, line) in results)
            requests.Add(Record(line, env, sent, names, agents[env].Index));
        return new RealResult(requests.OrderBy(r => r.T).ToList(), transitions.OrderBy(t => t.T).ToList(),
            lifecycle.OrderBy(l => l.T).ToList(), hz, "Linux " + File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
            plan.Pooler is not null ? $"{RealServer.Version("pgbouncer")} in front of {RealServer.Version("postgres")}"
            : plan.ServerBinary switch
            {
                null when plan.Scenario.Server.Kind == Core.Scenarios.ServerKindName.Http => "zombiesim's built-in HTTP/1.1 server",
                null => "zombiesim's built-in generic server",
                "redis-server" => "redis-server",
                var database => RealServer.Version(database),
            }, true, observed.Segments.Count == 0 ? null : PollerOutput.Records(observed.Segments, names,
                agents.ToDictionary(a => RealWorld.EnvironmentAddress(a.Value.Index).ToString(), a => a.Key)));
    }

    /// <summary>A scripted event: the server process killed or listening again; the partition made or healed.</summary>
    private static void Scripted(StepKind kind, RealServer server, RealWorld world, Schedule schedule)
    {
        switch (kind)
        {
            case StepKind.ServerExit: server.Exit(); break;
            case StepKind.ServerListen: server.Listen(); break;
            case StepKind.PartitionStart: world.Partition(schedule.Environments.Select(e => e.Index)); break;
            case StepKind.PartitionEnd: world.Heal(); break;
        }
    }

    private static void Thaw(RealWorld world, int k, AgentProcess agent, bool stillCut)
    {
        if (stillCut)
            world.Restore(k, "freeze");
        agent.Continue();
    }

    /// <summary>How long before a thaw or a destruction the link's drops are changed: five times what one cut and one
    /// restore took here, at least half a second (a busy machine makes them slower when it matters).</summary>
    private static TimeSpan NftLead(RealWorld world)
    {
        var probe = Stopwatch.StartNew();
        world.Cut(1, "probe");
        world.Restore(1, "probe");
        return TimeSpan.FromTicks(Math.Max(5 * probe.Elapsed.Ticks, TimeSpan.FromMilliseconds(500).Ticks));
    }

    private static RequestRecord Record(string line, string env,
        Dictionary<(string Env, int N), (RequestRecord Model, double Arrival, double Dispatch)> sent, Dictionary<string, string> names,
        int k)
    {
        var f = line.Split(' ');
        if (f.Length != 6 || f[0] != "result")
            throw new VerifyException($"agent of {env}: unexpected line '{line}'");
        var (model, arrival, dispatch) = sent[(env, int.Parse(f[1], CultureInfo.InvariantCulture))];
        if (!OutcomeNames.TryParse(f[2], out Outcome outcome))
            throw new VerifyException($"agent of {env}: unknown outcome '{f[2]}'");
        Origin? origin = f[3] == "-" ? null : OutcomeNames.TryParse(f[3], out Origin o) ? o : throw new VerifyException(f[3]);
        int port = int.Parse(f[4], CultureInfo.InvariantCulture);
        string? connection = port == 0 ? null : names.GetValueOrDefault(new IPEndPoint(RealWorld.EnvironmentAddress(k), port).ToString());
        double latencyMs = (dispatch - arrival) * 1000 + long.Parse(f[5], CultureInfo.InvariantCulture) / 1000.0;
        return new RequestRecord(TimeSpan.FromSeconds(arrival), model.Function, env, connection, outcome, origin,
            Math.Round(latencyMs, 3), 0, null);
    }

    private static void Drain(string env, AgentProcess agent, ConcurrentQueue<(string, string)> results,
        ConcurrentDictionary<(string, string), int> heard, ConcurrentDictionary<string, long> closedAt,
        ConcurrentDictionary<(string, int), long> opened)
    {
        Libc.RealTimeThread(); // the replay waits on what it hears (a reply before a freeze, the hook before a kill)
        while (!agent.Exited)
        {
            if (agent.Next(TimeSpan.FromMilliseconds(200)) is not { } line)
                continue;
            if (line.Split(' ') is ["hook", "closed", _, var stamp])
                closedAt[env] = long.Parse(stamp, CultureInfo.InvariantCulture);
            else if (line.Split(' ') is ["open", var port, var began])
                opened[(env, int.Parse(port, CultureInfo.InvariantCulture))] = long.Parse(began, CultureInfo.InvariantCulture);
            else
                results.Enqueue((env, line));
            heard.AddOrUpdate((env, line.Split(' ')[0]), 1, (_, n) => n + 1);
        }
    }

    /// <summary>Waits until an agent has written <paramref name="count"/> lines that begin with a word (its results, or its
    /// shutdown hook's `hook closed N`): a few milliseconds; at most a second.</summary>
    private static void WaitFor(ConcurrentDictionary<(string, string), int> heard, (string Env, string Word) what, int count)
    {
        var until = Stopwatch.StartNew();
        while (heard.GetValueOrDefault(what) < count && until.Elapsed < TimeSpan.FromSeconds(1))
            Thread.Sleep(1);
    }

    /// <summary>Waits until the server's namespace shows a listening socket on its port.</summary>
    private static void WaitListening(AgentProcess server, ushort port)
    {
        string hexPort = $":{port:X4} ";
        var until = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < until)
        {
            if (server.Exited)
                throw new VerifyException($"{server.What} exited: {server.Errors}");
            try
            {
                if (File.ReadLines($"/proc/{server.Pid}/net/tcp").Skip(1).Any(l => l.Contains(hexPort, StringComparison.Ordinal)
                        && l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3] == "0A"))
                    return;
            }
            catch (IOException)
            {
            }
            Thread.Sleep(20);
        }
        throw new VerifyException($"{server.What} did not listen on port {port}: {server.Errors}");
    }

    private static AgentSpec ClientSpecFor(EnvironmentPlan env, IPEndPoint server, bool hook)
    {
        var c = env.Function.Client;
        return new AgentSpec
        {
            Server = server, Cache = env.Function.Strategy == Core.Scenarios.Strategy.Reuse, ConnectTimeout = c.ConnectTimeout,
            CommandTimeout = c.CommandTimeout, MaxIdle = c.MaxIdle, Validate = c.ValidateBeforeUse, KeepAlive = c.KeepAlive,
            UserTimeout = c.UserTimeout, Retries = c.Retries, RetryOn = c.RetryOn.Select(o => o.Name()).ToList(),
            Work = TimeSpan.FromSeconds(((Core.Random.Constant)env.Function.Work).Value), ShutdownHook = hook,
            PoolMax = c.Pool?.Max ?? 1, PoolIdleTimeout = c.Pool?.IdleTimeout, AcquireTimeout = c.Pool?.AcquireTimeout,
            Parallel = env.Function.Parallel, PingInterval = c.PingInterval,
            OverdueBefore = c.Pool?.OverdueTimers != Core.Scenarios.OverdueTimers.AfterHandler,
            SetupCost = c.SetupCost is Core.Random.Constant setup ? TimeSpan.FromSeconds(setup.Value)
                : Core.Platforms.ConnectionSetupCost.Default(env.Function.Memory),
        };
    }

    /// <summary>Sleeps to about a millisecond before <paramref name="due"/>, then spins: the instants of platform actions
    /// are kept to well under a jiffy.</summary>
    private static void WaitUntil(Stopwatch clock, TimeSpan due)
    {
        while (true)
        {
            var left = due - clock.Elapsed;
            if (left <= TimeSpan.Zero)
                return;
            if (left > TimeSpan.FromMilliseconds(4))
                Thread.Sleep(left - TimeSpan.FromMilliseconds(3));
            else
                Thread.Yield();
        }
    }
}
