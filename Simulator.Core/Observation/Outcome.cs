using Zombiesim.Tcp;

namespace Zombiesim.Core.Observation;

/// <summary>What a request ended with, as its caller saw it: success, end of stream, the errno a
/// socket call returned, a refusal by the server or the platform, or an error the server wrote
/// before it closed the connection (MySQL's 4031 after wait_timeout, PostgreSQL's FATAL 57P05).</summary>
public enum Outcome { Ok, Eof, ECONNRESET, EPIPE, ETIMEDOUT, ECONNREFUSED, Rejected, Throttled, ServerError, EACCES }

/// <summary>Where an error came from: a FIN or a RST that arrived, a kernel or library timer, the
/// server's refusal, the platform (throttling, the function timeout), or the library's own refusal
/// (a full queue).</summary>
public enum Origin { Fin, Rst, KernelTimeout, LibraryTimeout, Server, Platform, Library }

/// <summary>The words outcomes and origins are written with in scenarios, traces and tables.</summary>
public static class OutcomeNames
{
    private static readonly Outcome[] All = Enum.GetValues<Outcome>();

    /// <summary>The outcomes a request can fail with, in the order docs and errors list them.</summary>
    public static readonly IReadOnlyList<Outcome> Errors = All.Where(o => o != Outcome.Ok).ToArray();

    /// <summary>"any error", the word scenarios and goals use for every outcome but ok.</summary>
    public const string AnyError = "error";

    public static string Name(this Outcome o) => o switch
    {
        Outcome.Ok => "ok",
        Outcome.Eof => "EOF",
        Outcome.Rejected => "REJECTED",
        Outcome.Throttled => "THROTTLED",
        Outcome.ServerError => "SERVER_ERROR",
        _ => o.ToString(), // the errno's own name
    };

    public static string Name(this Origin o) => o switch
    {
        Origin.Fin => "fin",
        Origin.Rst => "rst",
        Origin.KernelTimeout => "kernel-timeout",
        Origin.LibraryTimeout => "library-timeout",
        Origin.Server => "server",
        Origin.Library => "library",
        _ => "platform",
    };

    /// <summary>The errno a socket call returned, when the outcome is one.</summary>
    public static string? Errno(this Outcome o) =>
        o is Outcome.ECONNRESET or Outcome.EPIPE or Outcome.ETIMEDOUT or Outcome.ECONNREFUSED or Outcome.EACCES ? o.ToString() : null;

    public static Outcome FromErrno(Errno errno) => errno switch
    {
        Tcp.Errno.ECONNRESET => Outcome.ECONNRESET,
        Tcp.Errno.EPIPE => Outcome.EPIPE,
        Tcp.Errno.ETIMEDOUT => Outcome.ETIMEDOUT,
        Tcp.Errno.ECONNREFUSED => Outcome.ECONNREFUSED,
        Tcp.Errno.EACCES => Outcome.EACCES,
        _ => throw new ArgumentOutOfRangeException(nameof(errno), errno, "not an errno a request ends with"),
    };

    public static Origin FromErrorOrigin(ErrorOrigin origin) => origin switch
    {
        ErrorOrigin.KernelTimeout => Origin.KernelTimeout,
        ErrorOrigin.LocalPolicy => Origin.Platform,
        _ => Origin.Rst,
    };

    public static bool TryParse(string text, out Outcome outcome)
    {
        foreach (var o in All)
        {
            if (o.Name() == text)
            {
                outcome = o;
                return true;
            }
        }
        outcome = default;
        return false;
    }

    public static bool TryParse(string text, out Origin origin)
    {
        foreach (var o in Enum.GetValues<Origin>())
        {
            if (o.Name() == text)
            {
                origin = o;
                return true;
            }
        }
        origin = default;
        return false;
    }

    /// <summary>ok, "error", then every error's name: what an expectation may name.</summary>
    public static IReadOnlyList<string> ExpectationWords { get; } = [Outcome.Ok.Name(), AnyError, .. Errors.Select(o => o.Name())];

    public static IReadOnlyList<string> ErrorWords { get; } = Errors.Select(o => o.Name()).ToArray();

    public static IReadOnlyList<string> OriginWords { get; } = Enum.GetValues<Origin>().Select(o => o.Name()).ToArray();
}
