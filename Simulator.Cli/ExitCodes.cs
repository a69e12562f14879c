namespace Zombiesim.Cli;

/// <summary>What scripts can rely on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>Expectations or invariants were violated.</summary>
    public const int Violated = 1;
    /// <summary>Bad input or usage: the user's mistake, reported without a stack trace.</summary>
    public const int BadInput = 2;
    /// <summary>Interrupted by Ctrl-C or a termination signal (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}
