namespace Zombiesim.Core.Explore;

/// <summary>
/// Coyote writes its progress to the console whatever its configuration says; explorations write their results to
/// their caller's writers, so the console is silenced while any runs. Explorations may overlap (a test runner's
/// threads): the first to start silences it and the last to end gives it back.
/// </summary>
internal sealed class QuietConsole : IDisposable
{
    private static readonly object Gate = new();
    private static int _holders;
    private static TextWriter? _out, _error;

    public QuietConsole()
    {
        lock (Gate)
        {
            if (_holders++ > 0)
                return;
            (_out, _error) = (Console.Out, Console.Error);
            Console.SetOut(TextWriter.Null);
            Console.SetError(TextWriter.Null);
        }
    }

    public void Dispose()
    {
        lock (Gate)
        {
            if (--_holders > 0)
                return;
            Console.SetOut(_out!);
            Console.SetError(_error!);
        }
    }
}
