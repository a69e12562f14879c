using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Zombiesim.Cli.Commands;
using Zombiesim.Cli.Runs;
using Zombiesim.Core.Files;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Cli.Verify;

/// <summary>`zombiesim verify FILE`: the scenario on a real Linux kernel with real servers, diffed against the model;
/// `zombiesim diff MODEL REAL`; and the hidden `zombiesim agent` the real run starts in each namespace.</summary>
public static class VerifyCommand
{
    public static Command Build()
    {
        var file = new Argument<string?>("FILE") { Description = "The scenario (YAML).", Arity = ArgumentArity.ZeroOrOne };
        var scale = Flags.Positive("--time-scale", "Divide the scenario's own clocks (traffic, freeze, reap, server and middlebox idle "
            + "timeouts, horizon) by K; kernel timers are not scaled", "a number of at least 1", 1e6, 1);
        var outDir = new Option<string?>("--out") { Description = "Write model.json, real.json, diff.json and diff.txt here." };
        var json = new Option<bool>("--json") { Description = "Print the diff as JSON instead of text." };
        var set = new Option<string[]>("--set") { Description = "Override a scenario value (path=value), as for run. Repeatable." };
        var seed = Flags.Seed("--seed", "Override the scenario's seed.", ulong.MaxValue);
        var slack = Flags.Positive("--slack", "Milliseconds allowed for scheduling delays on top of the kernel's two jiffies "
            + "(raise it on a loaded machine; the report states it)", "milliseconds", 10_000, 10);
        var segments = new Option<bool>("--segments")
        {
            Description = "Also compare the segments at the server's interface: the model's against a packet capture's.",
        };
        var cleanup = new Option<bool>("--cleanup")
        {
            Description = "Remove the namespaces (and the processes in them) that an interrupted verify left, and exit.",
        };
        var command = new Command("verify", "Replay a scenario on this machine's Linux kernel, in network namespaces with real "
            + "servers, and diff it against the model (root, or CAP_NET_ADMIN and CAP_SYS_ADMIN).")
        {
            file, scale, outDir, json, set, seed, slack, segments, cleanup,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            try
            {
                if (Preflight.MachineRefusal() is { } why)
                    throw new VerifyException(why);
                if (parse.GetValue(cleanup))
                {
                    var removed = RealWorld.CleanUpLeftovers().Concat(RealServer.CleanUpLeftovers()).ToList();
                    output.WriteLine(removed.Count == 0 ? "nothing to clean up" : $"removed {string.Join(", ", removed)}");
                    return ExitCodes.Ok;
                }
                string path = parse.GetValue(file) ?? throw new VerifyException("verify needs a scenario FILE (or --cleanup)");
                var scenario = ScenarioLoader.LoadFile(path, parse.GetValue(set) ?? []);
                var plan = VerifyPlan.From(scenario, parse.GetValue(scale)) with { Segments = parse.GetValue(segments) };
                Preflight.Check(plan.Pooler is null ? plan.ServerBinary : "pgbouncer");
                return Verify(plan, parse.GetValue(seed), parse.GetValue(slack), parse.GetValue(outDir), parse.GetValue(json), output,
                    error);
            }
            catch (VerifyException e)
            {
                error.WriteLine($"error: {e.Message}");
                return ExitCodes.BadInput;
            }
        });
        return command;
    }

    private static int Verify(VerifyPlan plan, ulong? seed, double slack, string? dir, bool asJson, TextWriter output, TextWriter error)
    {
        var recorder = new RunRecorder(segments: plan.Segments);
        var outcome = Simulation.Run(plan.Scenario, seed, recorder);
        var modelJson = RunJson.Write(outcome, recorder, $"zombiesim run ... --seed {outcome.Seed}").ToJsonString(JsonOptions.Indented);
        var schedule = Schedule.From(plan, recorder);
        var model = VerifyDocument.Read(modelJson, "model");
        for (int attempt = 1; ; attempt++)
        {
            var (facts, realJson, lines) = RealAttempt(plan, schedule, model, outcome.Seed, slack, error);
            var late = lines.FirstOrDefault(l => l.Kind == "platform" && l.Verdict == Verdict.Disagree && l.Delta > 0);
            if (late is null || attempt == Attempts)
                return Report(plan, facts, lines, modelJson, realJson, dir, asJson, output);
            // The platform's actions are inputs: one done late says this machine was busy, not that the model is wrong.
            error.WriteLine(FormattableString.Invariant($"verify: {late.Subject} {late.What} was done at {late.Real:0.000} s, ")
                + FormattableString.Invariant($"the model's {late.Model:0.000} s, more than {late.Tolerance * 1000:0} ms late: ")
                + $"this machine did not keep the platform's instants; running it again (attempt {attempt + 1} of {Attempts})");
        }
    }

    /// <summary>How many times a real run is tried when this machine did a platform action late.</summary>
    private const int Attempts = 3;

    private static (RealFacts Facts, string Json, IReadOnlyList<DiffLine> Lines) RealAttempt(VerifyPlan plan,
        Schedule schedule, VerifyDocument model, ulong seed, double slack, TextWriter error)
    {
        RealResult real;
        // Ctrl-C, SIGTERM, SIGHUP: the namespaces and the processes in them go before the process ends.
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => RealWorld.DisposeAll()))
        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => RealWorld.DisposeAll()))
        using (PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => RealWorld.DisposeAll()))
            real = RealRun.Execute(plan, schedule, error);
        int modelHz = plan.Scenario.Server.Host.Hz;
        if (real.Hz is { } hz && hz != modelHz)
            error.WriteLine($"warning: this kernel runs at HZ={hz}, the scenario's hosts at hz {modelHz}; "
                + $"--set server.host.hz={hz} (and the function's) makes the model's jiffies this kernel's");
        var facts = new RealFacts(real.Hz ?? modelHz, real.Hz is not null, SocketPoller.Interval.TotalMilliseconds, plan.TimeScale,
            real.Kernel, real.Server, plan.ScaledClocks, real.LatencyEmulated ? 0 : plan.LatencyMicroseconds / 1000.0, slack);
        var realJson = VerifyDocument.WriteReal(plan.Scenario.Name, seed, real, facts).ToJsonString(JsonOptions.Indented);
        var reality = VerifyDocument.Read(realJson, "real");
        return (facts, realJson, RunDiff.Compare(model, reality, new Tolerance(facts)));
    }

    private static int Report(VerifyPlan plan, RealFacts facts, IReadOnlyList<DiffLine> lines, string modelJson, string realJson,
        string? dir, bool asJson, TextWriter output)
    {
        var tol = new Tolerance(facts);
        var text = new StringWriter();
        DiffReport.WriteText(text, plan.Scenario.Name, facts, tol, lines);
        var diffJson = DiffReport.Json(plan.Scenario.Name, facts, tol, lines).ToJsonString(JsonOptions.Indented);
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
            AtomicFile.WriteAllText(Path.Combine(dir, "model.json"), modelJson + "\n");
            AtomicFile.WriteAllText(Path.Combine(dir, "real.json"), realJson + "\n");
            AtomicFile.WriteAllText(Path.Combine(dir, "diff.json"), diffJson + "\n");
            AtomicFile.WriteAllText(Path.Combine(dir, "diff.txt"), text.ToString());
        }
        output.Write(asJson ? diffJson + "\n" : text.ToString());
        return RunDiff.Agrees(lines) ? ExitCodes.Ok : ExitCodes.Violated;
    }

    /// <summary>`zombiesim diff MODEL.json REAL.json`: the model's `run --json` against a real run's document.</summary>
    public static Command BuildDiff()
    {
        var modelFile = new Argument<string>("MODEL") { Description = "The model's run (`zombiesim run --json`, or verify's model.json)." };
        var realFile = new Argument<string>("REAL") { Description = "The real run (verify's real.json)." };
        var json = new Option<bool>("--json") { Description = "Print the diff as JSON instead of text." };
        var command = new Command("diff", "Compare a model run with a real one (verify --out writes both): per event the model's "
            + "instant, the real one and whether they agree within the kernel's timer tolerance; outcomes must match exactly.")
        {
            modelFile, realFile, json,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            try
            {
                string m = parse.GetValue(modelFile)!, r = parse.GetValue(realFile)!;
                var model = VerifyDocument.Read(File.ReadAllText(m), m);
                var real = VerifyDocument.Read(File.ReadAllText(r), r);
                var facts = real.Facts ?? throw new VerifyException($"{r}: no 'verify' section; write it with zombiesim verify --out DIR");
                var tol = new Tolerance(facts);
                var lines = RunDiff.Compare(model, real, tol);
                if (parse.GetValue(json))
                    output.WriteLine(DiffReport.Json(model.Scenario, facts, tol, lines).ToJsonString(JsonOptions.Indented));
                else
                    DiffReport.WriteText(output, model.Scenario, facts, tol, lines);
                return RunDiff.Agrees(lines) ? ExitCodes.Ok : ExitCodes.Violated;
            }
            catch (VerifyException e)
            {
                parse.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
                return ExitCodes.BadInput;
            }
        });
        return command;
    }

    /// <summary>The hidden `zombiesim agent client|server key=value...`, run by verify inside a namespace.</summary>
    public static Command BuildAgent()
    {
        var role = new Argument<string>("ROLE");
        var args = new Argument<string[]>("SETTINGS") { Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("agent", "Internal: verify's client or server inside a namespace.") { role, args };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(role) == "poll")
                return PollAgent.Run(parse.GetValue(args) ?? [], output);
            var spec = AgentSpec.Parse(parse.GetValue(args) ?? []);
            return parse.GetValue(role) switch
            {
                "client" => new ClientAgent(spec, output).Run(),
                "server" => new ServerAgent(spec, output).Run(),
                var other => throw new VerifyException($"agent: unknown role '{other}'"),
            };
        });
        return command;
    }
}
