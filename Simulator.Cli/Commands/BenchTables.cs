using System.Globalization;
using Zombiesim.Core.Engine;

namespace Zombiesim.Cli.Commands;

/// <summary>The benchmarks' tables, as text for a terminal or as Markdown (benchmarks/README.md is
/// `zombiesim bench readme`'s output): each figure as its median and, over several repetitions,
/// its range.</summary>
public static class BenchTables
{
    public static void Hold(IReadOnlyList<HoldResult> rows, bool markdown, TextWriter output) =>
        Table(output, markdown,
            ["N pending", "events", "engine events/CPU s", "PriorityQueue events/CPU s", "ratio", "engine B/event"],
            rows.Select(r => new[]
            {
                r.Pending.ToString("N0", CultureInfo.InvariantCulture), r.Events.ToString("N0", CultureInfo.InvariantCulture),
                Spread.Of(r.EngineEventsPerSecond).Text("N0"), Spread.Of(r.BaselineEventsPerSecond).Text("N0"),
                Spread.Of(r.Ratio).Text("F2"), r.EngineBytesPerEvent.ToString("F2", CultureInfo.InvariantCulture),
            }));

    public static void Fleet(IReadOnlyList<IReadOnlyList<FleetResult>> rows, bool markdown, TextWriter output) =>
        Table(output, markdown,
            ["hours", "requests", "events", "CPU s", "wall s", "events/CPU s", "peak heap MB", "peak WS MB", "peak server conns",
                "live heap MB (conns, envs)"],
            rows.Select(reps => new[]
            {
                reps[0].Hours.ToString(CultureInfo.InvariantCulture), reps[0].Requests.ToString("N0", CultureInfo.InvariantCulture),
                reps[0].Events.ToString("N0", CultureInfo.InvariantCulture), Spread.Of(reps.Select(r => r.CpuSeconds)).Text("F2"),
                Spread.Of(reps.Select(r => r.WallSeconds)).Text("F2"), Spread.Of(reps.Select(r => r.EventsPerSecond)).Text("N0"),
                Spread.Of(reps.Select(r => r.PeakManagedMb)).Text("F1"),
                reps.Max(r => r.PeakWorkingSetMb).ToString("F1", CultureInfo.InvariantCulture),
                reps[0].PeakServerConnections.ToString("N0", CultureInfo.InvariantCulture),
                reps[0] is { LiveConnections: { } n, LiveEnvironments: { } e }
                    ? $"{Spread.Of(reps.Select(r => r.LiveHeapMb ?? 0)).Text("F1")} ({n.ToString("N0", CultureInfo.InvariantCulture)}, "
                        + $"{e.ToString("N0", CultureInfo.InvariantCulture)})"
                    : "-",
            }));

    public static void Search(IReadOnlyList<SearchBenchResult> rows, bool markdown, TextWriter output) =>
        Table(output, markdown,
            ["scenario", "runs", "serial runs/s", "parallel runs/s", "workers", "speed-up", "MB/run"],
            rows.Select(r => new[]
            {
                r.Scenario, r.Runs.ToString(CultureInfo.InvariantCulture), Spread.Of(r.SerialRunsPerSecond).Text("F1"),
                Spread.Of(r.ParallelRunsPerSecond).Text("F1"), r.Workers.ToString(CultureInfo.InvariantCulture),
                Spread.Of(r.SpeedUp).Text("F2"), r.AllocatedMbPerRun.ToString("F2", CultureInfo.InvariantCulture),
            }));

    public static void Explore(ExploreBenchResult r, bool markdown, TextWriter output) =>
        Table(output, markdown,
            ["scenario", "iterations", "serial iterations/CPU s", "serial iterations/s", "parallel iterations/s", "workers", "speed-up",
                "KB/iteration", "outcome classes"],
            [[
                "explore-upstash-2020", r.Iterations.ToString(CultureInfo.InvariantCulture), Spread.Of(r.CpuIterationsPerSecond).Text("F0"),
                Spread.Of(r.SerialWallIterationsPerSecond).Text("F0"), Spread.Of(r.ParallelWallIterationsPerSecond).Text("F0"),
                r.Workers.ToString(CultureInfo.InvariantCulture), Spread.Of(r.SpeedUp).Text("F2"),
                r.AllocatedKbPerIteration.ToString("F1", CultureInfo.InvariantCulture), r.Classes,
            ]]);

    private static void Table(TextWriter output, bool markdown, string[] header, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(header).ToList();
        if (markdown)
        {
            output.WriteLine("| " + string.Join(" | ", header) + " |");
            output.WriteLine("|" + string.Concat(header.Select((_, k) => k == 0 ? "---|" : "---:|")));
            foreach (var row in all.Skip(1))
                output.WriteLine("| " + string.Join(" | ", row) + " |");
            return;
        }
        int[] widths = header.Select((_, k) => all.Max(r => r[k].Length)).ToArray();
        foreach (var row in all)
            output.WriteLine(string.Join("  ", row.Select((cell, k) => k == 0 ? cell.PadRight(widths[k]) : cell.PadLeft(widths[k]))));
    }
}
