using System.CommandLine;
using System.Text.Json.Nodes;
using Zombiesim.Cli.Plots;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Cli.Commands;

/// <summary>`zombiesim plot DIR...`: redraw charts from saved results (run or search directories).</summary>
public static class PlotCommand
{
    public const int DefaultWidth = 1200, DefaultHeight = 700;

    public static Command Build()
    {
        var dirs = new Argument<string[]>("DIR") { Description = "Directories written by `run --out` or `search --out`; several runs are overlaid.", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string?>("--out") { Description = "Where to write the charts (default: the first directory)." };
        var format = new Option<string>("--format") { Description = "png, svg or both.", DefaultValueFactory = _ => "both" };
        var width = new Option<int>("--width") { Description = "Width in pixels.", DefaultValueFactory = _ => DefaultWidth };
        var height = new Option<int>("--height") { Description = "Height in pixels.", DefaultValueFactory = _ => DefaultHeight };
        var command = new Command("plot", "Draw charts from saved results: connections over time, lifecycles, latency, search.")
        {
            dirs, outDir, format, width, height,
        };
        command.SetAction(parse =>
        {
            string fmt = parse.GetValue(format)!;
            if (fmt is not ("png" or "svg" or "both"))
                throw new UsageException("--format", $"'{fmt}' is not a format: expected png, svg or both");
            int w = parse.GetValue(width), h = parse.GetValue(height);
            if (w is < 100 or > 10000 || h is < 100 or > 10000)
                throw new UsageException("--width", "width and height must lie between 100 and 10000 pixels");
            var all = parse.GetValue(dirs)!;
            string target = parse.GetValue(outDir) ?? all[0];
            foreach (var f in Draw(all, target, fmt, w, h))
                parse.InvocationConfiguration.Output.WriteLine(f);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Every chart the directories allow, written to <paramref name="target"/>.</summary>
    public static IReadOnlyList<string> Draw(IReadOnlyList<string> dirs, string target, string format, int width, int height)
    {
        var files = new List<string>();
        var runs = new List<RunData>();
        var searches = new List<string>();
        foreach (var d in dirs)
        {
            if (!Directory.Exists(d))
                throw new UsageException(d, "no such directory");
            if (RunData.IsRunDirectory(d))
                runs.Add(RunData.Load(d));
            else if (File.Exists(Path.Combine(d, "search.json")))
                searches.Add(d);
            else
                throw new UsageException(d, "holds neither a run's results (connections.csv, summary.json) nor a search's (search.json)");
        }
        Directory.CreateDirectory(target); // only once every input is known to be readable
        foreach (var d in searches)
            files.AddRange(Charts.Save(Charts.Search(JsonNode.Parse(File.ReadAllText(Path.Combine(d, "search.json")))!.AsObject()),
                Path.Combine(target, dirs.Count > 1 ? $"search-{Path.GetFileName(Path.GetFullPath(d))}" : "search"), format, width, height));
        if (runs.Count > 0)
        {
            files.AddRange(Charts.Save(Charts.Connections(runs), Path.Combine(target, "connections"), format, width, height));
            files.AddRange(Charts.Save(Charts.Lifecycle(runs[0]), Path.Combine(target, "lifecycle"), format, width, height));
            files.AddRange(Charts.Save(Charts.Latency(runs), Path.Combine(target, "latency"), format, width, height));
        }
        return files;
    }
}
