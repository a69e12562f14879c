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
        var (code, output, _) = Run("bench", "hold", "--pending", "100", "--pending", "1000", "--events", "50000", "--repetitions", "3",
            "--json");
        code.Should().Be(0);
        using var doc = JsonDocument.Parse(output);
        var results = doc.RootElement.GetProperty("results");
        results.GetArrayLength().Should().Be(2);
        results[0].GetProperty("pending").GetInt32().Should().Be(100);
        results[1].GetProperty("pending").GetInt32().Should().Be(1000);
        foreach (var r in results.EnumerateArray())
        {
            foreach (string figure in new[] { "engineEventsPerSecond", "baselineEventsPerSecond", "ratio" })
            {
                var spread = r.GetProperty(figure);
                spread.GetProperty("repetitions").GetInt32().Should().Be(3);
                spread.GetProperty("min").GetDouble().Should().BePositive();
                spread.GetProperty("min").GetDouble().Should().BeLessThanOrEqualTo(spread.GetProperty("q1").GetDouble());
                spread.GetProperty("q1").GetDouble().Should().BeLessThanOrEqualTo(spread.GetProperty("median").GetDouble());
                spread.GetProperty("median").GetDouble().Should().BeLessThanOrEqualTo(spread.GetProperty("q3").GetDouble());
                spread.GetProperty("q3").GetDouble().Should().BeLessThanOrEqualTo(spread.GetProperty("max").GetDouble());
            }
            r.GetProperty("engineBytesPerEvent").GetDouble().Should().Be(0);
        }
    }

    [Fact]
    public void A_spread_is_the_median_quartiles_and_range_of_the_repetitions()
    {
        var odd = Zombiesim.Cli.Commands.Spread.Of([5, 1, 4, 2, 3]);
        odd.Should().Be(new Zombiesim.Cli.Commands.Spread(3, 2, 4, 1, 5, 5));
        odd.Text("F1").Should().Be("3.0 (1.0-5.0)");
        var even = Zombiesim.Cli.Commands.Spread.Of([4, 1, 3, 2]);
        even.Should().Be(new Zombiesim.Cli.Commands.Spread(2.5, 1.75, 3.25, 1, 4, 4));
        Zombiesim.Cli.Commands.Spread.Of([7]).Text("F0").Should().Be("7");
    }

    [Fact]
    public void Bench_markdown_prints_a_table_with_the_spread_of_each_figure()
    {
        var (code, output, _) = Run("bench", "hold", "--pending", "100", "--events", "20000", "--repetitions", "2", "--markdown");
        code.Should().Be(0);
        var lines = output.TrimEnd().Split('\n');
        lines[0].Should().Be("| N pending | events | engine events/CPU s | PriorityQueue events/CPU s | ratio | engine B/event |");
        lines[1].Should().Be("|---|---:|---:|---:|---:|---:|");
        string rate = @"[\d,]+ \([\d,]+-[\d,]+\)";
        lines[2].Should().MatchRegex($@"^\| 100 \| 20,000 \| {rate} \| {rate} \| [\d.]+ \([\d.]+-[\d.]+\) \| 0\.00 \|$");
    }
}
