using System.Diagnostics;
using System.Globalization;
using Zombiesim.Core.Scenarios;

namespace Zombiesim.Cli.Runs;

/// <summary>
/// The progress of a run on stderr: the simulated instant reached, events per second and the time
/// left (from the pace so far). Nothing for the first <see cref="Quiet"/> of a run; then on a terminal
/// one line rewritten in place at most twice a second, elsewhere (when asked with `--progress`) a line
/// every <see cref="Every"/>. It never touches stdout, and the run is the same with or without it.
/// </summary>
public sealed class ProgressLine(TextWriter error, TimeSpan horizon, bool terminal)
{
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2), Every = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan OnTerminal = TimeSpan.FromSeconds(0.5);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _last = TimeSpan.Zero;
    private bool _shown;

    /// <summary>Whether progress goes to stderr: asked for, or stderr is the console's and a terminal.</summary>
    public static bool Wanted(TextWriter error, bool asked) => asked || Terminal(error);

    public static bool Terminal(TextWriter error) => ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected;

    /// <summary>Hears the simulated instant reached and the events run so far.</summary>
    public void Report(TimeSpan simulated, long events)
    {
        var elapsed = _clock.Elapsed;
        if (elapsed < Quiet || elapsed - _last < (terminal ? OnTerminal : Every) || simulated >= horizon)
            return;
        _last = elapsed;
        error.Write((terminal ? "\r" : "") + Text(simulated, events, elapsed) + (terminal ? "   " : "\n"));
        _shown = true;
    }

    /// <summary>Ends the line rewritten in place, if any.</summary>
    public void Done()
    {
        if (_shown && terminal)
            error.WriteLine();
    }

    /// <summary>"progress: 6h00m of 24h simulated (25%), 1,234,567 events/s, about 1m30s left".</summary>
    public string Text(TimeSpan simulated, long events, TimeSpan elapsed)
    {
        double done = horizon <= TimeSpan.Zero ? 1 : simulated / horizon;
        double rate = events / Math.Max(elapsed.TotalSeconds, 1e-9);
        var left = done <= 0 ? (TimeSpan?)null : TimeSpan.FromSeconds(elapsed.TotalSeconds * (1 - done) / done);
        return string.Create(CultureInfo.InvariantCulture,
            $"progress: {Clock(simulated)} of {DurationText.Format(horizon)} simulated ({done * 100:F0}%), {rate:N0} events/s, ")
            + (left is { } l ? $"about {Clock(l)} left" : "time left not known yet");
    }

    /// <summary>A duration as people read a clock, to the second: "4h19m", "19m12s", "12s".</summary>
    public static string Clock(TimeSpan t)
    {
        long s = (long)Math.Round(t.TotalSeconds);
        return s >= 3600 ? $"{s / 3600}h{s % 3600 / 60:00}m" : s >= 60 ? $"{s / 60}m{s % 60:00}s" : $"{s}s";
    }
}
