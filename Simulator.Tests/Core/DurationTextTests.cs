using FluentAssertions;
using Xunit;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Tests.Core;

public class DurationTextTests
{
    [Theory]
    [InlineData("250ms", 2_500_000L)]
    [InlineData("0.5ms", 5_000L)]
    [InlineData("310s", 3_100_000_000L)]
    [InlineData("5m", 3_000_000_000L)]
    [InlineData("5min", 3_000_000_000L)]
    [InlineData("1h", 36_000_000_000L)]
    [InlineData("2d", 1_728_000_000_000L)]
    [InlineData("75us", 750L)]
    [InlineData(" 60s ", 600_000_000L)]
    [InlineData("0s", 0L)]
    public void Durations_with_units_parse_exactly_to_ticks(string text, long ticks)
    {
        DurationText.TryParse(text, out var value, out var error).Should().BeTrue(error);
        value.Ticks.Should().Be(ticks);
    }

    [Theory]
    [InlineData("310", "has no unit", "310s")]
    [InlineData("5 parsecs", "not a unit of time", "us, ms, s")]
    [InlineData("-5s", "negative", "zero or more")]
    [InlineData("fast", "not a duration", "250ms")]
    [InlineData("1.2.3s", "not a number", "250ms")]
    [InlineData("0.01us", "resolution", "100 ns")]
    [InlineData("", "not a duration", "310s")]
    public void Bad_durations_say_what_was_wrong_and_what_would_be_right(string text, string wrong, string right)
    {
        DurationText.TryParse(text, out _, out var error).Should().BeFalse();
        error.Should().Contain(wrong).And.Contain(right);
    }

    [Theory]
    [InlineData("310s")]
    [InlineData("250ms")]
    [InlineData("300s")]
    [InlineData("90m")]
    [InlineData("0.5ms")]
    [InlineData("1h")]
    [InlineData("90.041s")]
    public void Formatting_gives_back_seconds_below_an_hour_and_whole_larger_units_above(string text)
    {
        DurationText.TryParse(text, out var value, out _).Should().BeTrue();
        DurationText.Format(value).Should().Be(text);
    }
}
