using FluentAssertions;
using Xunit;
using Zombiesim.Tests.Cli;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Verify;

public class DiffCommandTests
{
    [Fact]
    public void Diff_refuses_a_real_side_without_the_facts_its_tolerance_rests_on()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"zombiesim-diff-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var (_, json, _) = CliTests.Run("run", Scenarios.File("upstash-2020-process.yaml"), "--json");
            string model = Path.Combine(dir, "model.json");
            File.WriteAllText(model, json);
            var (code, _, error) = CliTests.Run("diff", model, model);
            code.Should().Be(2);
            error.Should().Be($"error: {model}: no 'verify' section; write it with zombiesim verify --out DIR\n");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Diff_of_a_model_run_against_itself_agrees_on_every_event()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"zombiesim-diff-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var (_, json, _) = CliTests.Run("run", Scenarios.File("upstash-2020-vm.yaml"), "--json");
            string model = Path.Combine(dir, "model.json"), real = Path.Combine(dir, "real.json");
            File.WriteAllText(model, json);
            var node = System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject();
            node["verify"] = new System.Text.Json.Nodes.JsonObject
            {
                ["hz"] = 250, ["hzMeasured"] = true, ["pollMs"] = 5.0, ["timeScale"] = 1.0, ["kernel"] = "Linux test",
                ["server"] = "generic", ["scaledClocks"] = new System.Text.Json.Nodes.JsonArray(),
            };
            File.WriteAllText(real, node.ToJsonString());
            var (code, output, _) = CliTests.Run("diff", model, real);
            code.Should().Be(0, output);
            output.Should().Contain("hello at 95s").And.Contain("ECONNRESET (rst) hello#1 c1");
            output.Should().EndWith("AGREE: 3 requests, 12 transitions (0 too short to see by polling), 7 platform actions\n");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
