using System.Diagnostics;
using CsCheck;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;
using Zombiesim.Core.Explore;
using Zombiesim.Core.Scenarios;
using Zombiesim.Core.Traffic;
using Zombiesim.Core.Worlds;

namespace Zombiesim.Tests.Fuzz;

/// <summary>
/// Mutated scenarios are either refused with a position or run to a capped horizon without an
/// exception. CI runs a fixed set drawn from a fixed seed; a longer run outside CI takes its count
/// from ZOMBIESIM_FUZZ (see docs/cli.md, "Fuzzing the reader"):
/// <c>ZOMBIESIM_FUZZ=1000000 dotnet test Simulator.sln --filter FullyQualifiedName~ScenarioFuzzTests</c>.
/// Every input that ever crashed is kept in Corpus/ and replayed by <see cref="Every_input_that_once_crashed_is_refused_or_runs"/>.
/// </summary>
public sealed class ScenarioFuzzTests(ITestOutputHelper log)
{
    private const string File = "fuzz.yaml";

    /// <summary>Inputs per CI run: a few seconds of work.</summary>
    private const int CiInputs = 1500;

    /// <summary>The most invocations a fuzzed run simulates; the horizon is cut until the estimate fits.</summary>
    private const double RunBudget = 5_000;

    private static readonly string[] Bundled =
        Directory.GetFiles(World.Scenarios.Dir, "*.yaml").Order().Select(System.IO.File.ReadAllText).ToArray();

    [Fact]
    public void Mutated_scenarios_are_refused_with_a_position_or_run_without_an_exception()
    {
        int count = int.TryParse(System.Environment.GetEnvironmentVariable("ZOMBIESIM_FUZZ"), out int n) ? n : CiInputs;
        var gen = Mutations.Gen(Bundled.Length);
        var pcg = new PCG(1, 20261202);
        int refused = 0, ran = 0;
        var slow = new List<string>();
        var crashes = new List<string>();
        for (int i = 0; i < count; i++)
        {
            var (scenario, edits) = gen.Generate(pcg, null, out _);
            string yaml = Mutations.Apply(Bundled[scenario], edits);
            var clock = Stopwatch.StartNew();
            try
            {
                if (RefusedOrRan(yaml, $"input {i} (scenario {scenario}, edits [{string.Join(", ", edits)}])")) refused++; else ran++;
            }
            catch (Exception e) when (crashes.Count < 20)
            {
                crashes.Add(e.Message); // go on: a long run reports every kind of crash, not only the first
            }
            if (clock.Elapsed > TimeSpan.FromSeconds(5))
                slow.Add($"input {i} took {clock.Elapsed.TotalSeconds:F1} s:\n{yaml}");
        }
        log.WriteLine($"{count} inputs: {refused} refused with a position, {ran} ran, {crashes.Count} crashed; {slow.Count} over 5 s");
        crashes.Should().BeEmpty();
        refused.Should().BeGreaterThan(0, "the mutations break scenarios");
        ran.Should().BeGreaterThan(0, "some mutations leave a valid scenario");
        if (count != CiInputs) // wall time is asserted only on a long run, on a quiet machine
            slow.Should().BeEmpty();
    }

    private static readonly string[] SetPaths =
    [
        "horizon", "seed", "server.idleTimeout", "server.limits", "server.preset", "platform.freeze.after", "platform.freeze.mode",
        "platform.reap.after", "platform.coldStart", "functions.0.client.commandTimeout", "functions.0.work", "functions.0.strategy",
        "network.latency", "traffic.0.every", "traffic.0.at", "traffic.0.burst", "traffic.5.at", "events", "events.0.serverRestart",
        "expect.0.outcome", "name.x", "",
    ];

    [Fact]
    public void Mutated_set_values_are_refused_naming_the_flag_or_run_without_an_exception()
    {
        var gen = Gen.Select(Gen.Int[0, Bundled.Length - 1], Gen.Int[0, SetPaths.Length - 1], Gen.Int[0, Mutations.Values.Length - 1]);
        var pcg = new PCG(2, 20261202);
        int refused = 0;
        for (int i = 0; i < CiInputs; i++)
        {
            var (scenario, path, value) = gen.Generate(pcg, null, out _);
            string set = $"{SetPaths[path]}={Mutations.Values[value]}";
            if (RefusedOrRan(Bundled[scenario], $"input {i} (scenario {scenario}, --set {set})", set))
                refused++;
        }
        refused.Should().BeGreaterThan(0);
    }

    [Fact]
    public void Mutated_traces_are_refused_naming_the_field_or_replay_without_an_exception()
    {
        string dir = World.Scenarios.Root;
        string trace = System.IO.File.ReadAllText(Path.Combine(dir, "Simulator.Tests", "Golden", "explore-upstash-2020", "explore",
            "outcome-2.trace"));
        var scenario = ScenarioLoader.LoadFile(World.Scenarios.File("explore-upstash-2020.yaml"));
        var gen = Mutations.Gen(1);
        var pcg = new PCG(3, 20261202);
        string file = Path.Combine(Path.GetTempPath(), $"zombiesim-fuzz-{System.Environment.ProcessId}.trace");
        int refused = 0;
        try
        {
            for (int i = 0; i < CiInputs / 3; i++)
            {
                var (_, edits) = gen.Generate(pcg, null, out _);
                string text = Mutations.Apply(trace, edits);
                System.IO.File.WriteAllText(file, text);
                try
                {
                    Explorer.Replay(scenario, ExploreTrace.Read(file));
                }
                catch (BadInputException)
                {
                    refused++;
                }
                catch (Exception e)
                {
                    throw new Xunit.Sdk.XunitException($"trace input {i} (edits [{string.Join(", ", edits)}]) "
                        + $"crashed with {e.GetType().Name}: {e.Message}\n---\n{text}\n---\n{e}");
                }
            }
        }
        finally
        {
            System.IO.File.Delete(file);
        }
        refused.Should().BeGreaterThan(0);
    }

    public static IEnumerable<object[]> Corpus() =>
        Directory.GetFiles(Path.Combine(World.Scenarios.Root, "Simulator.Tests", "Fuzz", "Corpus"), "*.yaml").Order()
            .Select(f => new object[] { Path.GetFileName(f) });

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Every_input_that_once_crashed_is_refused_or_runs(string name)
    {
        string yaml = System.IO.File.ReadAllText(Path.Combine(World.Scenarios.Root, "Simulator.Tests", "Fuzz", "Corpus", name));
        RefusedOrRan(yaml, name);
    }

    /// <summary>True when refused (with a position in the file), false when it ran;
    /// any other exception fails the test with the input.</summary>
    internal static bool RefusedOrRan(string yaml, string what, string? set = null)
    {
        Scenario scenario;
        try
        {
            scenario = ScenarioLoader.Load(yaml, File, set is null ? null : [set]);
        }
        catch (UsageException e) when (set is not null)
        {
            e.Where.Should().Be($"--set {set}", what);
            return true;
        }
        catch (ScenarioException e)
        {
            e.File.Should().Be(File, what);
            e.Line.Should().BePositive(what);
            e.Column.Should().BePositive(what);
            e.Message.Should().NotContain("Exception", what);
            return true;
        }
        catch (Exception e) when (e is not BadInputException)
        {
            throw new Xunit.Sdk.XunitException($"{what} crashed the loader with {e.GetType().Name}: {e.Message}\n---\n{yaml}\n---\n{e}");
        }
        var capped = Capped(scenario);
        try
        {
            if (WorkEstimate.Invocations(capped) <= RunBudget * 10)
                Simulation.Run(capped);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{what} loaded but crashed the run with {e.GetType().Name}: "
                + $"{e.Message}\n---\n{yaml}\n---\n{e}");
        }
        return false;
    }

    /// <summary>The scenario with its horizon cut to at most 10 minutes and then halved until its traffic fits the budget.</summary>
    private static Scenario Capped(Scenario s)
    {
        s = s with { Horizon = TimeSpan.FromTicks(Math.Min(s.Horizon.Ticks, TimeSpan.FromMinutes(10).Ticks)) };
        while (WorkEstimate.Invocations(s) > RunBudget && s.Horizon > TimeSpan.FromSeconds(1))
            s = s with { Horizon = s.Horizon / 2 };
        return s;
    }
}
