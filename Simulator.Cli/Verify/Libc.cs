using System.Runtime.InteropServices;

namespace Zombiesim.Cli.Verify;

/// <summary>The few Linux calls verify needs that .NET does not expose: signals by number, poll() over a pipe and a
/// socket together, raw reads of standard input, a pipe a signal handler writes to, and the effective user.</summary>
internal static class Libc
{
    public const int SigKill = 9, SigTerm = 15, SigCont = 18, SigStop = 19;
    public const short PollIn = 0x001, PollErr = 0x008, PollHup = 0x010;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static extern int Poll([In, Out] PollFd[] fds, nuint count, int timeoutMs);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    public static extern nint Read(int fd, [Out] byte[] buffer, nuint count);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    public static extern nint Write(int fd, byte[] buffer, nuint count);

    [DllImport("libc", EntryPoint = "pipe", SetLastError = true)]
    public static extern int Pipe([Out] int[] fds);

    [DllImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static extern int SchedSetScheduler(int pid, int policy, ref int priority);

    /// <summary>The real-time priority verify's own timing threads and processes run at (SCHED_FIFO, below threaded
    /// interrupt handlers at 50).</summary>
    public const int RealTimePriority = 40;

    /// <summary>Puts the calling thread under SCHED_FIFO at <see cref="RealTimePriority"/>; false when not allowed.</summary>
    public static bool RealTimeThread()
    {
        int priority = RealTimePriority;
        return SchedSetScheduler(0, 1, ref priority) == 0;
    }

    /// <summary>Puts the calling thread back under SCHED_OTHER.</summary>
    public static void NormalThread()
    {
        int priority = 0;
        SchedSetScheduler(0, 0, ref priority);
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    public static extern uint GetEuid();

    /// <summary>Sends a signal; a process already gone is not an error.</summary>
    public static void Signal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0 && Marshal.GetLastPInvokeError() != 3) // ESRCH: already gone
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }
}
