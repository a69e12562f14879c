using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;
using Zombiesim.Core.Files;
using Zombiesim.Core.Scenarios;
using Zombiesim.Cli.Commands;

namespace Zombiesim.Cli;

/// <summary>The `zombiesim` command line. Output goes through the writers given, so tests capture it.</summary>
public static class ZombiesimCli
{
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "zombiesim: a discrete-event simulator of zombie connections between serverless functions and connection-oriented servers.");
        root.Options.OfType<VersionOption>().Single().Action = new PrintVersion();
        root.Subcommands.Add(RunCommand.Build());
        root.Subcommands.Add(SearchCommand.Build());
        root.Subcommands.Add(SearchCommand.BuildMerge());
        root.Subcommands.Add(ExploreCommand.Build());
        root.Subcommands.Add(ExploreCommand.BuildReplay());
        root.Subcommands.Add(PlotCommand.Build());
        root.Subcommands.Add(ValidateCommand.Build());
        root.Subcommands.Add(ValidateCommand.BuildSchema());
        root.Subcommands.Add(BenchCommand.Build());
        root.Subcommands.Add(Verify.VerifyCommand.Build());
        root.Subcommands.Add(Verify.VerifyCommand.BuildDiff());
        root.Subcommands.Add(Verify.VerifyCommand.BuildAgent());
        return root;
    }

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        RootCommand root = BuildRoot();
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors)
                error.WriteLine($"error: {e.Message}");
            error.WriteLine("Run 'zombiesim --help' for usage.");
            return ExitCodes.BadInput;
        }
        try
        {
            // Ctrl-C and SIGTERM are handled by Program (AtomicFile.RemovePending), not by System.CommandLine.
            var configuration = new InvocationConfiguration
            {
                Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null,
            };
            return parsed.Invoke(configuration);
        }
        catch (BadInputException e)
        {
            // Every command reports bad input the same way: where, what, what would be right.
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (OutputException e)
        {
            // A full disk or a refused write: which file, why, and what was kept (AtomicFile never leaves half a file).
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C or a termination signal arrived while a file was being written: its temporary is gone.
            error.WriteLine("error: interrupted; files not yet complete were not written");
            return ExitCodes.Interrupted;
        }
        catch (AggregateException e)
            when (e.Flatten().InnerExceptions.FirstOrDefault(x => x is BadInputException or IOException) is { } inner)
        {
            // Parallel work (a search's runs, its journal) reports the first of these as any other command would.
            error.WriteLine($"error: {inner.Message}");
            return ExitCodes.BadInput;
        }
    }

    /// <summary>The tool's own version (the default would report the host process's).</summary>
    public static string Version { get; } =
        typeof(ZombiesimCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Version);
            return ExitCodes.Ok;
        }
    }
}
