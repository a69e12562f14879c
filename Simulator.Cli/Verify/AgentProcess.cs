using System.Collections.Concurrent;
using System.Diagnostics;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// A process verify started in a namespace (`ip netns exec NS program ...`, which execs, so the pid is the program's):
/// zombiesim in agent mode, or a real server. Its stdout lines are queued as they come; signals freeze, thaw and kill
/// it. Disposing kills it.
/// </summary>
public sealed class AgentProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly ConcurrentQueue<string> _errors = new();

    private AgentProcess(Process process, string what)
    {
        _process = process;
        What = what;
        // Its lines are read by a thread of their own at verify's real-time priority where allowed: the run waits for
        // an agent's reply before it freezes the agent, and a reader at normal priority on a busy machine came 30 to
        // 50 ms late, past the tolerance.
        new Thread(() =>
        {
            Libc.RealTimeThread();
            try
            {
                while (_process.StandardOutput.ReadLine() is { } line)
                    _lines.Add(line);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // disposed while reading: the process is gone
            }
            finally
            {
                _lines.CompleteAdding();
            }
        })
        { IsBackground = true }.Start();
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                _errors.Enqueue(e.Data);
        };
        _process.BeginErrorReadLine();
    }

    public string What { get; }
    public int Pid => _process.Id;
    public bool Exited
    {
        get
        {
            try
            {
                return _disposed || _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true; // disposed meanwhile
            }
        }
    }

    private volatile bool _disposed;

    /// <summary>What it wrote on stderr, for error messages.</summary>
    public string Errors => string.Join('\n', _errors);

    /// <summary>Whether processes start under SCHED_FIFO (`chrt -f`), so that a busy machine does not delay their
    /// timers and replies by more than the tolerance; false where chrt is missing or not allowed (no CAP_SYS_NICE).</summary>
    public static bool RealTime { get; } = Shell.Which("chrt") is not null && Shell.Try("chrt", ["-f", "1", "true"]).Code == 0;

    public static AgentProcess Start(string ns, string what, string program, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("ip")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        string priority = Libc.RealTimePriority.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] realTime = RealTime ? ["chrt", "-f", priority] : [];
        foreach (var a in new[] { "netns", "exec", ns }.Concat(realTime).Append(program).Concat(args))
            info.ArgumentList.Add(a);
        var p = Process.Start(info) ?? throw new VerifyException($"could not start {what}");
        return new AgentProcess(p, what);
    }

    /// <summary>zombiesim itself in agent mode: the apphost beside this assembly.</summary>
    public static AgentProcess StartZombiesim(string ns, string role, IEnumerable<string> args)
    {
        string host = Path.Combine(AppContext.BaseDirectory, "zombiesim");
        if (!File.Exists(host))
            throw new VerifyException($"verify starts its agents with {host}, which is missing");
        return Start(ns, $"agent {role} in {ns}", host, new[] { "agent", role }.Concat(args));
    }

    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>The next line, or null when none came within <paramref name="timeout"/> or the process ended.</summary>
    public string? Next(TimeSpan timeout) => _lines.TryTake(out var line, timeout) ? line : null;

    public void WaitReady(TimeSpan timeout)
    {
        if (Next(timeout) != "ready")
            throw new VerifyException($"{What} did not start: {Errors}");
    }

    public void Stop() => Libc.Signal(Pid, Libc.SigStop);

    public void Continue() => Libc.Signal(Pid, Libc.SigCont);

    /// <summary>A graceful shutdown: SIGTERM, which the client agent with a shutdown hook handles.</summary>
    public void Terminate() => Libc.Signal(Pid, Libc.SigTerm);

    public void Kill()
    {
        if (!_process.HasExited)
        {
            Libc.Signal(Pid, Libc.SigKill);
            Libc.Signal(Pid, Libc.SigCont);
            _process.WaitForExit(5000);
        }
    }

    public void Dispose()
    {
        _disposed = true;
        Kill();
        _process.Dispose();
    }
}
