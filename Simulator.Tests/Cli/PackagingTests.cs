using System.Runtime.InteropServices;
using System.Text.Json;
using System.Xml.Linq;
using FluentAssertions;
using Xunit;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Cli;

/// <summary>The tool's packaging: a .NET tool named zombiesim, and a restore that fetches the drawing library's
/// native assets for this machine's platform only (.ci/run packs and installs it).</summary>
public class PackagingTests
{
    [Fact]
    public void The_cli_packs_as_a_dotnet_tool_named_zombiesim()
    {
        var project = XDocument.Load(Path.Combine(Scenarios.Root, "Simulator.Cli", "Simulator.Cli.csproj"));
        string? Property(string name) => project.Descendants(name).SingleOrDefault()?.Value;
        Property("PackAsTool").Should().Be("true");
        Property("ToolCommandName").Should().Be("zombiesim");
        Property("PackageId").Should().Be("zombiesim");
    }

    [Fact]
    public void Restore_holds_the_native_assets_of_this_platform_only()
    {
        string file = Path.Combine(Scenarios.Root, "Simulator.Cli", "obj", "project.assets.json");
        using var assets = JsonDocument.Parse(File.ReadAllText(file));
        var packages = assets.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name.Split('/')[0]).ToList();
        var natives = packages.Where(p => p.Contains(".NativeAssets.", StringComparison.Ordinal)).ToList();
        string mine = OperatingSystem.IsWindows() ? ".Win32" : OperatingSystem.IsMacOS() ? ".macOS" : ".Linux";
        natives.Should().NotBeEmpty().And.OnlyContain(p => p.Contains(".NativeAssets" + mine, StringComparison.Ordinal),
            $"restore on {RuntimeInformation.OSDescription} must not fetch other platforms' native assets (430 MB for Windows alone)");
    }
}
