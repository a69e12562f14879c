using System.Text.Json;
using FluentAssertions;
using Xunit;
using Zombiesim.Cli;

namespace Zombiesim.Tests.Cli;

public class CliTests
{
    internal static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = ZombiesimCli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Version_prints_the_version_and_exits_zero()
    {
        var (code, output, _) = Run("--version");
        code.Should().Be(0);
        output.Trim().Should().StartWith("0.1.0");
    }

    [Fact]
    public void Help_lists_the_tool_and_exits_zero()
    {
        var (code, output, _) = Run("--help");
        code.Should().Be(0);
        output.Should().Contain("zombie connections");
    }

    [Fact]
    public void An_unknown_command_is_a_usage_error_with_exit_code_2()
    {
        var (code, output, error) = Run("frobnicate");
        code.Should().Be(ExitCodes.BadInput);
        output.Should().BeEmpty();
        error.Should().Contain("frobnicate").And.NotContain("   at ");
    }

    [Fact]
    public void Bench_hold_json_reports_each_size_with_rates_ratio_and_allocation()
    {
        var (code, output, _) = Run("bench", "hold", "--pending", "100", "--pending", "1000", "--events", "50000", "--json");
        code.Should().Be(0);
        using var doc = JsonDocument.Parse(output);
        var results = doc.RootElement.GetProperty("results");
        results.GetArrayLength().Should().Be(2);
        results[0].GetProperty("pending").GetInt32().Should().Be(100);
        results[1].GetProperty("pending").GetInt32().Should().Be(1000);
        foreach (var r in results.EnumerateArray())
        {
            r.GetProperty("engineEventsPerSecond").GetDouble().Should().BePositive();
            r.GetProperty("baselineEventsPerSecond").GetDouble().Should().BePositive();
            r.GetProperty("ratio").GetDouble().Should().BeApproximately(
                r.GetProperty("engineEventsPerSecond").GetDouble() / r.GetProperty("baselineEventsPerSecond").GetDouble(), 1e-9);
            r.GetProperty("engineBytesPerEvent").GetDouble().Should().Be(0);
        }
    }
}
