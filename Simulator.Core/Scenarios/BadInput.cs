namespace Zombiesim.Core.Scenarios;

/// <summary>Input the tool refuses (exit 2): it says where, what was wrong and what would be right.</summary>
public abstract class BadInputException(string message, string problem) : Exception(message)
{
    /// <summary>What was wrong and what would be right, without the place.</summary>
    public string Problem { get; } = problem;
}

/// <summary>Bad input in a scenario file or a <c>--set</c> value, at a line and column.</summary>
public sealed class ScenarioException(string file, long line, long column, string message)
    : BadInputException($"{file}:{line}:{column}: {message}", message)
{
    public string File { get; } = file;
    public long Line { get; } = line;
    public long Column { get; } = column;
}

/// <summary>A bad flag, argument or usage (<c>--format gif</c>, <c>--shard 3/2</c>, a directory that
/// holds no results): named by what was given, with no line or column where none would be true.</summary>
public sealed class UsageException(string where, string message) : BadInputException($"{where}: {message}", message)
{
    /// <summary>The flag, argument or file concerned.</summary>
    public string Where { get; } = where;
}
