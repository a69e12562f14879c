using System.CommandLine;
using System.Text.Json;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Cli.Commands;

/// <summary>`zombiesim validate FILE...` and `zombiesim schema`.</summary>
public static class ValidateCommand
{
    public static Command Build()
    {
        var files = new Argument<string[]>("FILE") { Description = "Scenario files to check.", Arity = ArgumentArity.OneOrMore };
        var set = new Option<string[]>("--set") { Description = "Overrides to check with them (path=value). Repeatable." };
        var command = new Command("validate", "Check scenario files without running them.") { files, set };
        command.SetAction(parse =>
        {
            int bad = 0;
            foreach (var f in parse.GetValue(files)!)
            {
                try
                {
                    var s = ScenarioLoader.LoadFile(f, parse.GetValue(set) ?? []);
                    parse.InvocationConfiguration.Output.WriteLine($"{f}: ok ({s.Name}: {s.Functions.Count} function(s), "
                        + $"{s.Traffic.Count} traffic source(s), {s.Expect.Count} expectation(s))");
                }
                catch (BadInputException e)
                {
                    parse.InvocationConfiguration.Error.WriteLine($"error: {e.Message}");
                    bad++;
                }
            }
            return bad == 0 ? ExitCodes.Ok : ExitCodes.BadInput;
        });
        return command;
    }

    public static Command BuildSchema()
    {
        var command = new Command("schema", "Print the JSON Schema of scenario files, for editors.");
        command.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.WriteLine(ScenarioLoader.Schema().ToJsonString(JsonOptions.Indented));
            return ExitCodes.Ok;
        });
        return command;
    }
}
