using Zombiesim.Core.Observation;

namespace Zombiesim.Cli.Verify;

/// <summary>What a step does. The first four are the scenario's scripted events (a server restart's exit and listen, a
/// partition's start and end), done before the platform's actions of the same instant. The last two are the real run's
/// own: removing a paused VM's drops, or cutting a doomed environment's link, a little before the thaw or destruction
/// (nftables takes milliseconds to tens of milliseconds on a busy machine, which would otherwise delay the platform's
/// action).</summary>
public enum StepKind
{
    ServerExit, ServerListen, PartitionStart, PartitionEnd, Destroy, Thaw, Request, Freeze, Shutdown, PrepareThaw, PrepareDestroy,
}

/// <summary>One thing the real run does at an instant: a platform action on an environment, or an invocation
/// arriving (<see cref="Request"/> is the model's record of it: its arrival instant, function and environment).</summary>
public sealed record Step(TimeSpan At, StepKind Kind, string Environment, RequestRecord? Request = null, bool Cold = false);

/// <summary>
/// What the real run replays: the platform's decisions of the model's run, which are inputs and not what verify
/// checks (which environment serves each invocation, when each is frozen, thawed, shut down and destroyed; the traffic's
/// instants), in the order the model took them, and the scenario's scripted events at their instants (a redeploy needs
/// no step of its own: it is the destructions and cold starts it makes). Cold starts need no step: every environment's
/// agent is started before the run, and a cold invocation is sent after the scenario's fixed cold-start time.
/// </summary>
public sealed record Schedule(IReadOnlyList<EnvironmentPlan> Environments, IReadOnlyList<Step> Steps)
{
    public static Schedule From(VerifyPlan plan, RunRecorder model)
    {
        var functions = plan.Scenario.Functions.ToDictionary(f => f.Name);
        var envs = new List<EnvironmentPlan>();
        var cold = new HashSet<(TimeSpan, string)>();
        foreach (var l in model.Lifecycle.Where(l => l.Event == LifecycleEvent.ColdStart))
        {
            var request = model.Requests.FirstOrDefault(r => r.Environment == l.Environment)
                ?? throw new VerifyException($"the model's environment {l.Environment} served no request");
            envs.Add(new EnvironmentPlan(envs.Count + 1, l.Environment, functions[request.Function]));
            cold.Add((l.T, l.Environment));
        }
        var steps = new List<Step>();
        foreach (var l in model.Lifecycle)
        {
            StepKind? kind = l.Event switch
            {
                LifecycleEvent.Frozen => StepKind.Freeze,
                LifecycleEvent.Thawed => StepKind.Thaw,
                LifecycleEvent.Destroyed => StepKind.Destroy,
                LifecycleEvent.Shutdown => StepKind.Shutdown,
                _ => null,
            };
            if (kind is { } k)
                steps.Add(new Step(l.T, k, l.Environment));
        }
        foreach (var r in model.Requests)
        {
            if (r.Outcome == Outcome.Throttled)
                throw new VerifyException("verify cannot replay throttled invocations (the platform refused them; nothing runs)");
            steps.Add(new Step(r.T, StepKind.Request, r.Environment, r, cold.Contains((r.T, r.Environment))));
        }
        foreach (var e in plan.Scenario.Events)
        {
            if (e.Kind == Core.Scenarios.EventKind.ServerRestart)
                steps.AddRange([new Step(e.At, StepKind.ServerExit, "server"), new Step(e.Until, StepKind.ServerListen, "server")]);
            else if (e.Kind == Core.Scenarios.EventKind.Partition)
                steps.AddRange([new Step(e.At, StepKind.PartitionStart, "network"), new Step(e.Until, StepKind.PartitionEnd, "network")]);
        }
        // At one instant: a destroyed environment goes first, a thaw comes before the invocation it serves, and a
        // freeze after anything that finished then.
        return new Schedule(envs, steps.OrderBy(s => s.At).ThenBy(s => s.Kind).ToList());
    }
}
