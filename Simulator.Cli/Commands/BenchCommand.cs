using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Zombiesim.Core.Engine;

namespace Zombiesim.Cli.Commands;

/// <summary>`zombiesim bench`: hidden performance figures (benchmarks report, tests assert).</summary>
public static class BenchCommand
{
    public static Command Build()
    {
        var bench = new Command("bench", "Performance benchmarks (figures, not pass/fail).") { Hidden = true };

        var pending = Flags.Ints("--pending", "Pending events N", "a number of pending events", 1, 100_000_000,
            [1_000, 100_000, 1_000_000]);
        var events = Flags.Long("--events", "Events M to run per N", "a number of events", 1, 1_000_000_000_000, 10_000_000);
        var json = new Option<bool>("--json") { Description = "Print JSON for programs." };
        var hold = new Command("hold",
            "Hold model: pop the earliest event at t, schedule one at t + Exp(1); engine vs a bare PriorityQueue<int, long>.")
        {
            pending, events, json,
        };
        hold.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            TextWriter error = parse.InvocationConfiguration.Error;
            var rows = new List<HoldResult>();
            foreach (int n in parse.GetValue(pending)!)
            {
                error.WriteLine($"hold: N={n} ...");
                rows.Add(HoldBenchmark.Run(n, parse.GetValue(events)));
            }
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new { benchmark = "hold", results = rows }, JsonOptions.Default));
                return 0;
            }
            output.WriteLine($"{"N",10} {"events",12} {"engine ev/s",14} {"PQ ev/s",14} {"ratio",6} {"B/ev",6}");
            foreach (var r in rows)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Pending,10} {r.Events,12} {r.EngineEventsPerSecond,14:N0} {r.BaselineEventsPerSecond,14:N0} "
                    + $"{r.Ratio,6:F2} {r.EngineBytesPerEvent,6:F2}"));
            }
            return 0;
        });
        bench.Subcommands.Add(hold);

        var hours = Flags.Positives("--hours", "Simulated hours (memory should stay flat as they grow)", "a number of hours",
            876_000, [24]);
        var rate = Flags.Positive("--rate", "Requests per second", "a rate", 1_000_000, 100);
        var fleetJson = new Option<bool>("--json") { Description = "Print JSON for programs." };
        var pool = Flags.Int("--pool",
            "A pg pool of this size per environment of the cached function, as many commands at once (0: one connection)",
            "a pool size", 0, 100, 0);
        var environments = Flags.Int("--environments", "With --pool: about this many environments busy at once", "a number of environments",
            1, 100_000, 1000);
        var fleet = new Command("fleet", "A fleet at a steady Poisson rate for many simulated hours: wall time, events/s, peak memory.")
        {
            hours, rate, pool, environments, fleetJson,
        };
        fleet.SetAction(parse =>
        {
            var rows = new List<FleetResult>();
            foreach (double h in parse.GetValue(hours)!)
            {
                parse.InvocationConfiguration.Error.WriteLine($"fleet: {h} h at {parse.GetValue(rate)} requests/s ...");
                rows.Add(FleetBench.Run(h, parse.GetValue(rate), parse.GetValue(pool), parse.GetValue(environments)));
            }
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(fleetJson))
            {
                output.WriteLine(JsonSerializer.Serialize(new { benchmark = "fleet", results = rows }, JsonOptions.Default));
                return 0;
            }
            output.WriteLine(
                $"{"hours",6} {"requests",12} {"events",14} {"wall s",8} {"events/s",12} {"peak heap MB",13} {"peak WS MB",11} "
                + $"{"peak server conns",18}");
            foreach (var r in rows)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Hours,6} {r.Requests,12:N0} {r.Events,14:N0} {r.WallSeconds,8:F1} {r.EventsPerSecond,12:N0} "
                    + $"{r.PeakManagedMb,13:F1} {r.PeakWorkingSetMb,11:F1} {r.PeakServerConnections,18:N0}"));
            return 0;
        });
        bench.Subcommands.Add(fleet);

        var runs = Flags.Int("--runs", "Runs per measurement (ten times as many for the short 2020 scenario)", "a number of runs",
            1, 1_000_000, 300);
        var searchJson = new Option<bool>("--json") { Description = "Print JSON for programs." };
        var search = new Command("search",
            "Runs per second of a search's inner loop, serial and on all cores: the 2020 scenario and a fleet.")
        {
            runs, searchJson,
        };
        search.SetAction(parse =>
        {
            int n = parse.GetValue(runs);
            var rows = new List<SearchBenchResult>();
            foreach (var (name, yaml, factor) in SearchBench.Scenarios())
            {
                parse.InvocationConfiguration.Error.WriteLine($"search: {name}, {n * factor} runs ...");
                rows.Add(SearchBench.Run(name, yaml, n * factor));
            }
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(searchJson))
            {
                var document = new { benchmark = "search", cores = System.Environment.ProcessorCount, results = rows };
                output.WriteLine(JsonSerializer.Serialize(document, JsonOptions.Default));
                return 0;
            }
            output.WriteLine(
                $"{"scenario",-14} {"runs",6} {"serial runs/s",14} {"parallel runs/s",16} {"workers",8} {"speed-up",9} {"MB/run",8}");
            foreach (var r in rows)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Scenario,-14} {r.Runs,6} {r.SerialRunsPerSecond,14:F1} {r.ParallelRunsPerSecond,16:F1} {r.Workers,8} "
                    + $"{r.SpeedUp,9:F2} {r.AllocatedMbPerRun,8:F2}"));
            return 0;
        });
        bench.Subcommands.Add(search);
        return bench;
    }
}
