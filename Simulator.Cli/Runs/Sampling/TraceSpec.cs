namespace Zombiesim.Cli.Runs.Sampling;

/// <summary>How much of a run trace.jsonl (and `run --json`) holds.</summary>
public enum TraceLevel
{
    /// <summary>The sampled requests and the records of a bounded number of their connections (the default).</summary>
    Sample,
    /// <summary>Every record.</summary>
    All,
    /// <summary>Every failed request and the records of its connection.</summary>
    Errors,
    /// <summary>Every record of one function: its requests, environments, connections.</summary>
    Function,
    /// <summary>Every record of one connection, and its environment's lifecycle.</summary>
    Connection,
}

/// <summary>A trace level with the function or connection it names: `--trace sample`, `all`, `errors`,
/// `function=NAME`, `connection=cN`.</summary>
public sealed record TraceSpec(TraceLevel Level, string? Name = null)
{
    public static readonly TraceSpec Sample = new(TraceLevel.Sample);

    /// <summary>The words `--trace` accepts, for help and errors.</summary>
    public const string Words = "sample, all, errors, function=NAME or connection=cN";

    public static bool TryParse(string text, out TraceSpec spec)
    {
        spec = Sample;
        switch (text)
        {
            case "sample": return true;
            case "all": spec = new TraceSpec(TraceLevel.All); return true;
            case "errors": spec = new TraceSpec(TraceLevel.Errors); return true;
        }
        int eq = text.IndexOf('=');
        if (eq <= 0 || eq == text.Length - 1)
            return false;
        string name = text[(eq + 1)..];
        switch (text[..eq])
        {
            case "function": spec = new TraceSpec(TraceLevel.Function, name); return true;
            case "connection" when name.Length > 1 && name[0] == 'c' && name[1..].All(char.IsAsciiDigit):
                spec = new TraceSpec(TraceLevel.Connection, name);
                return true;
            default: return false;
        }
    }

    public override string ToString() => Level switch
    {
        TraceLevel.Function => $"function={Name}",
        TraceLevel.Connection => $"connection={Name}",
        _ => Level.ToString().ToLowerInvariant(),
    };
}
