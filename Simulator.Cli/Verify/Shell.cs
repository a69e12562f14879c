using System.Diagnostics;

namespace Zombiesim.Cli.Verify;

/// <summary>Runs the system's tools (ip, nft, sysctl) and says what failed, with the tool's own message.</summary>
public static class Shell
{
    /// <summary>Runs a program to its end; a non-zero exit throws with the command and its stderr.</summary>
    public static string Run(string program, params string[] args)
    {
        var (code, output, error) = Try(program, args);
        if (code != 0)
            throw new VerifyException($"'{program} {string.Join(' ', args)}' failed (exit {code}): {error.Trim()}");
        return output;
    }

    /// <summary>Runs a program with <paramref name="input"/> on its stdin (nft -f -).</summary>
    public static void RunWithInput(string input, string program, params string[] args)
    {
        var (code, _, error) = Try(program, args, input);
        if (code != 0)
            throw new VerifyException($"'{program} {string.Join(' ', args)}' failed (exit {code}): {error.Trim()}\n{input}");
    }

    public static (int Code, string Output, string Error) Try(string program, string[] args, string? input = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        using var p = Process.Start(info) ?? throw new VerifyException($"could not start {program}");
        if (input is not null)
        {
            p.StandardInput.Write(input);
            p.StandardInput.Close();
        }
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr.Result);
    }

    /// <summary>The full path of a program on PATH, or null.</summary>
    public static string? Which(string program)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                     .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]))
        {
            string path = Path.Combine(dir, program);
            if (File.Exists(path))
                return path;
        }
        return null;
    }
}

/// <summary>Verify cannot go on: the machine, the tools or the scenario do not allow it. Exit code 2.</summary>
public sealed class VerifyException(string message) : Exception(message);
