using System.CommandLine;
using Zombiesim.Cli.Charts;
using Zombiesim.Cli.Runs;
using Zombiesim.Cli.Searches;
using Zombiesim.Core.Files;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Cli.Commands;

/// <summary>`zombiesim plot DIR...`: redraw charts from saved results (run or search directories).</summary>
public static class PlotCommand
{
    public static Command Build()
    {
        var dirs = new Argument<string[]>("DIR")
        {
            Description = "Directories written by `run --out` or `search --out`; several runs are overlaid.",
            Arity = ArgumentArity.OneOrMore,
        };
        var outDir = new Option<string?>("--out") { Description = "Where to write the charts (default: the first directory)." };
        var format = Flags.Format();
        var width = Flags.Int("--width", "Width in pixels", "a width in pixels", 100, 10_000, ChartStyle.DefaultWidth);
        var height = Flags.Int("--height", "Height in pixels", "a height in pixels", 100, 10_000, ChartStyle.DefaultHeight);
        var command = new Command("plot", "Draw charts from saved results: connections over time, lifecycles, latency, search.")
        {
            dirs, outDir, format, width, height,
        };
        command.SetAction(parse =>
        {
            var all = parse.GetValue(dirs)!;
            string target = parse.GetValue(outDir) ?? all[0];
            foreach (var f in Draw(all, target, parse.GetValue(format), parse.GetValue(width), parse.GetValue(height)))
                parse.InvocationConfiguration.Output.WriteLine(f);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Every chart the directories allow, read from disk and written to <paramref name="target"/>.</summary>
    private static IReadOnlyList<string> Draw(IReadOnlyList<string> dirs, string target, ChartFormat format, int width, int height)
    {
        var files = new List<string>();
        var runs = new List<RunData>();
        var searches = new List<(string Dir, SearchReport Report)>();
        foreach (var d in dirs)
        {
            if (!Directory.Exists(d))
                throw new UsageException(d, "no such directory");
            if (RunFiles.IsRunDirectory(d))
                runs.Add(RunFiles.Read(d));
            else if (File.Exists(Path.Combine(d, SearchReport.JsonFile)))
                searches.Add((d, SearchReport.Read(Path.Combine(d, SearchReport.JsonFile))));
            else
                throw new UsageException(d, "holds neither a run's results (connections.csv, summary.json) nor a search's (search.json)");
        }
        OutputDirectory.Ensure(target); // only once every input is known to be readable
        foreach (var (d, report) in searches)
        {
            string name = dirs.Count > 1 ? $"search-{Path.GetFileName(Path.GetFullPath(d))}" : "search";
            files.AddRange(SearchChart.Draw(report).Save(Path.Combine(target, name), format, width, height));
        }
        if (runs.Count > 0)
            files.AddRange(RunCharts.Save(runs, target, format, width, height));
        return files;
    }
}
