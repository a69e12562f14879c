using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Zombiesim.Core.Engine;

namespace Zombiesim.Cli.Commands;

/// <summary>`zombiesim bench`: hidden performance figures (benchmarks report, tests assert). Each
/// figure is measured over repetitions and reported as its median and range; `bench readme` writes
/// benchmarks/README.md.</summary>
public static class BenchCommand
{
    public static Command Build()
    {
        var bench = new Command("bench", "Performance benchmarks (figures, not pass/fail).") { Hidden = true };
        bench.Subcommands.Add(Hold());
        bench.Subcommands.Add(Fleet());
        bench.Subcommands.Add(Search());
        bench.Subcommands.Add(Explore());
        bench.Subcommands.Add(Readme());
        return bench;
    }

    private static readonly Option<int[]> Pending = Flags.Ints("--pending", "Pending events N", "a number of pending events",
        1, 100_000_000, [1_000, 100_000, 1_000_000]);
    private static readonly Option<long> Events = Flags.Long("--events", "Events M to run per N and repetition", "a number of events",
        1, 1_000_000_000_000, 5_000_000);
    private static readonly Option<double[]> Hours = Flags.Positives("--hours", "Simulated hours (memory should stay flat as they grow)",
        "a number of hours", 876_000, [24]);
    private static readonly Option<double> Rate = Flags.Positive("--rate", "Requests per second", "a rate", 1_000_000, 100);
    private static readonly Option<int> Pool = Flags.Int("--pool",
        "A pg pool of this size per environment of the cached function, as many commands at once (0: one connection)",
        "a pool size", 0, 100, 0);
    private static readonly Option<int> Environments = Flags.Int("--environments",
        "With --pool: about this many environments busy at once", "a number of environments", 1, 100_000, 1000);
    private static readonly Option<int> Runs = Flags.Int("--runs",
        "Runs per measurement (fifty times as many for the short 2020 scenario)", "a number of runs", 1, 1_000_000, 300);

    private static readonly Option<int> ExploreIterations = Flags.Int("--iterations",
        "Explore iterations per measurement (after as many to warm up)", "a number of iterations", 1, 10_000_000, 3000);

    private static Option<int> Repetitions(int fallback) =>
        Flags.Int("--repetitions", "Repetitions R: each figure is reported as its median and range over R", "a number of repetitions",
            1, 1000, fallback);

    private static Option<bool> Json() => new("--json") { Description = "Print JSON for programs." };

    private static Option<bool> Markdown() => new("--markdown") { Description = "Print the table as Markdown." };

    private static Command Hold()
    {
        var repetitions = Repetitions(5);
        var (json, markdown) = (Json(), Markdown());
        var hold = new Command("hold",
            "Hold model: pop the earliest event at t, schedule one at t + Exp(1); engine vs a bare PriorityQueue<int, long>.")
        {
            Pending, Events, repetitions, json, markdown,
        };
        hold.SetAction(parse =>
        {
            var rows = RunHold(parse.GetValue(Pending)!, parse.GetValue(Events), parse.GetValue(repetitions),
                parse.InvocationConfiguration.Error);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                var results = rows.Select(r => new
                {
                    r.Pending, r.Events, engineEventsPerSecond = Spread.Of(r.EngineEventsPerSecond),
                    baselineEventsPerSecond = Spread.Of(r.BaselineEventsPerSecond), ratio = Spread.Of(r.Ratio),
                    r.EngineBytesPerEvent, r.BaselineBytesPerEvent,
                });
                output.WriteLine(JsonSerializer.Serialize(new { benchmark = "hold", results }, JsonOptions.Default));
                return 0;
            }
            BenchTables.Hold(rows, parse.GetValue(markdown), output);
            return 0;
        });
        return hold;
    }

    private static Command Fleet()
    {
        var repetitions = Repetitions(1);
        var (json, markdown) = (Json(), Markdown());
        var fleet = new Command("fleet",
            "A fleet at a steady Poisson rate for many simulated hours: CPU and wall time, events/s, peak memory.")
        {
            Hours, Rate, Pool, Environments, repetitions, json, markdown,
        };
        fleet.SetAction(parse =>
        {
            var rows = RunFleet(parse.GetValue(Hours)!, parse.GetValue(Rate), parse.GetValue(Pool), parse.GetValue(Environments),
                parse.GetValue(repetitions), parse.InvocationConfiguration.Error);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new { benchmark = "fleet", results = rows.SelectMany(r => r) },
                    JsonOptions.Default));
                return 0;
            }
            BenchTables.Fleet(rows, parse.GetValue(markdown), output);
            return 0;
        });
        return fleet;
    }

    private static Command Search()
    {
        var repetitions = Repetitions(2);
        var (json, markdown) = (Json(), Markdown());
        var search = new Command("search",
            "Runs per second of a search's inner loop, serial and on all cores: the 2020 scenario and a fleet.")
        {
            Runs, repetitions, json, markdown,
        };
        search.SetAction(parse =>
        {
            var rows = RunSearch(parse.GetValue(Runs), parse.GetValue(repetitions), parse.InvocationConfiguration.Error);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                var results = rows.Select(r => new
                {
                    r.Scenario, r.Runs, serialRunsPerSecond = Spread.Of(r.SerialRunsPerSecond),
                    parallelRunsPerSecond = Spread.Of(r.ParallelRunsPerSecond), r.Workers, speedUp = Spread.Of(r.SpeedUp),
                    r.AllocatedMbPerRun,
                });
                var document = new { benchmark = "search", cores = System.Environment.ProcessorCount, results };
                output.WriteLine(JsonSerializer.Serialize(document, JsonOptions.Default));
                return 0;
            }
            BenchTables.Search(rows, parse.GetValue(markdown), output);
            return 0;
        });
        return search;
    }

    private static Command Explore()
    {
        var repetitions = Repetitions(5);
        var (json, markdown) = (Json(), Markdown());
        var iterations = ExploreIterations;
        var explore = new Command("explore",
            "Coyote's exploration of the 2020 scenario (explore-upstash-2020): iterations per CPU and wall second, one worker and all.")
        {
            iterations, repetitions, json, markdown,
        };
        explore.SetAction(parse =>
        {
            var error = parse.InvocationConfiguration.Error;
            error.WriteLine($"explore: {parse.GetValue(iterations)} iterations, {parse.GetValue(repetitions)} times ...");
            var r = ExploreBench.Run(parse.GetValue(iterations), parse.GetValue(repetitions));
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                var result = new
                {
                    r.Iterations, cpuIterationsPerSecond = Spread.Of(r.CpuIterationsPerSecond),
                    serialWallIterationsPerSecond = Spread.Of(r.SerialWallIterationsPerSecond),
                    parallelWallIterationsPerSecond = Spread.Of(r.ParallelWallIterationsPerSecond), r.Workers,
                    speedUp = Spread.Of(r.SpeedUp), r.AllocatedKbPerIteration, r.Classes,
                };
                output.WriteLine(JsonSerializer.Serialize(new { benchmark = "explore", result }, JsonOptions.Default));
                return 0;
            }
            BenchTables.Explore(r, parse.GetValue(markdown), output);
            return 0;
        });
        return explore;
    }

    private static Command Readme()
    {
        var repetitions = Repetitions(3);
        var readme = new Command("readme",
            "Run hold, fleet, search and explore and print benchmarks/README.md (zombiesim bench readme > benchmarks/README.md).")
        {
            Events, Hours, Runs, ExploreIterations, repetitions,
        };
        readme.SetAction(parse =>
        {
            var error = parse.InvocationConfiguration.Error;
            int r = parse.GetValue(repetitions);
            long events = parse.GetValue(Events);
            double[] hours = parse.GetValue(Hours)!;
            int runs = parse.GetValue(Runs);
            var hold = RunHold([1_000, 100_000, 1_000_000], events, r, error);
            var fleet = RunFleet(hours, 100, 0, 1000, r, error);
            var search = RunSearch(runs, r, error);
            int iterations = parse.GetValue(ExploreIterations);
            error.WriteLine($"explore: {iterations} iterations, {r} times ...");
            var explore = ExploreBench.Run(iterations, r);
            var o = parse.InvocationConfiguration.Output;
            string hoursFlags = string.Join(' ', hours.Select(h => "--hours " + h.ToString(CultureInfo.InvariantCulture)));
            string command = $"zombiesim bench readme --events {events} {hoursFlags} --runs {runs} --iterations {iterations} "
                + $"--repetitions {r}";
            o.WriteLine("# Benchmarks");
            o.WriteLine();
            o.WriteLine($"Generated by `{command} > benchmarks/README.md` on a Release build; do not edit by hand.");
            o.WriteLine($"Machine: {System.Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, "
                + $"{RuntimeInformation.FrameworkDescription}, {DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}. "
                + $"Each figure is the median (min-max) of {r} repetitions. See docs/cli.md for what each benchmark does.");
            if (LoadAverage() is { } load)
                o.WriteLine($"Load average (1, 5, 15 min) when the benchmarks ended: {load}: other processes shared the cores.");
            o.WriteLine();
            o.WriteLine("## `bench hold`: the event engine against a bare `PriorityQueue<int, long>`");
            o.WriteLine();
            BenchTables.Hold(hold, true, o);
            o.WriteLine();
            o.WriteLine("## `bench fleet`: a fleet at 100 requests/s (`benchmarks/fleet-day.yaml` is its day)");
            o.WriteLine();
            BenchTables.Fleet(fleet, true, o);
            o.WriteLine();
            o.WriteLine("## `bench search`: a search's runs, on one worker and on every core (wall time)");
            o.WriteLine();
            BenchTables.Search(search, true, o);
            o.WriteLine();
            o.WriteLine("## `bench explore`: Coyote's exploration of `scenarios/explore-upstash-2020.yaml`, one worker and every core");
            o.WriteLine();
            BenchTables.Explore(explore, true, o);
            return 0;
        });
        return readme;
    }

    /// <summary>Linux's load averages, or null elsewhere: how busy the machine was (a shared machine slows wall times).</summary>
    private static string? LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : null;

    private static List<HoldResult> RunHold(int[] pending, long events, int repetitions, TextWriter error)
    {
        var rows = new List<HoldResult>();
        foreach (int n in pending)
        {
            error.WriteLine($"hold: N={n} ...");
            rows.Add(HoldBenchmark.Run(n, events, repetitions));
        }
        return rows;
    }

    private static List<IReadOnlyList<FleetResult>> RunFleet(double[] hours, double rate, int pool, int environments, int repetitions,
        TextWriter error)
    {
        var rows = new List<IReadOnlyList<FleetResult>>();
        foreach (double h in hours)
        {
            error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fleet: {h} h at {rate} requests/s, {repetitions} times ..."));
            rows.Add(Enumerable.Range(0, repetitions).Select(_ => FleetBench.Run(h, rate, pool, environments)).ToList());
        }
        return rows;
    }

    private static List<SearchBenchResult> RunSearch(int runs, int repetitions, TextWriter error)
    {
        var rows = new List<SearchBenchResult>();
        foreach (var (name, yaml, factor) in SearchBench.Scenarios())
        {
            error.WriteLine($"search: {name}, {runs * factor} runs ...");
            rows.Add(SearchBench.Run(name, yaml, runs * factor, repetitions));
        }
        return rows;
    }
}
