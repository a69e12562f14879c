using System.Diagnostics;
using System.Text;

namespace Zombiesim.Core.Files;

/// <summary>
/// A file written atomically: the content goes to a temporary name in the same directory, is
/// flushed to disk, and is renamed over the final name only when complete. Until then the final
/// name keeps its old content (or stays absent). An I/O error, a disposal before
/// <see cref="Commit"/> and <see cref="RemovePending"/> (Ctrl-C, SIGTERM) remove the temporary.
/// A temporary left by a killed process is removed the next time the same file is written.
/// </summary>
public sealed class AtomicFile : IDisposable
{
    private static readonly object Gate = new();
    private static readonly HashSet<AtomicFile> Pending = new();
    private static bool _stopping;
    private static long _counter;

    private readonly FileStream _stream;
    private StreamWriter? _writer;
    private bool _done;

    private AtomicFile(string path, string temporary, FileStream stream)
    {
        Path = path;
        Temporary = temporary;
        _stream = stream;
    }

    /// <summary>The final name.</summary>
    public string Path { get; }

    /// <summary>The temporary name the content goes to until <see cref="Commit"/>.</summary>
    public string Temporary { get; }

    /// <summary>The content as bytes.</summary>
    public Stream Stream => _stream;

    /// <summary>The content as text: UTF-8 without a byte order mark, lines ended with "\n".</summary>
    public TextWriter Writer => _writer ??= new StreamWriter(_stream, new UTF8Encoding(false), 65536, leaveOpen: true) { NewLine = "\n" };

    /// <summary>Opens a temporary for <paramref name="path"/> (its directory must exist).</summary>
    public static AtomicFile Create(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        string dir = System.IO.Path.GetDirectoryName(full)!, name = System.IO.Path.GetFileName(full);
        RemoveStale(dir, name);
        lock (Gate)
        {
            if (_stopping)
                throw new OperationCanceledException("interrupted: no file is written any more");
            string temporary = System.IO.Path.Combine(dir, $".{name}.{Environment.ProcessId}-{++_counter}.tmp");
            try
            {
                var file = new AtomicFile(path, temporary, new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None));
                Pending.Add(file);
                return file;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Failed(path, e);
            }
        }
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8, no byte order mark) to <paramref name="path"/> atomically.</summary>
    public static void WriteAllText(string path, string text) => Write(path, f => f.Writer.Write(text));

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, f => f.Stream.Write(bytes));

    /// <summary>Writes what <paramref name="write"/> produces to <paramref name="path"/> atomically; on
    /// any exception the temporary is removed and the final name keeps what it held.</summary>
    public static void Write(string path, Action<AtomicFile> write)
    {
        using var file = Create(path);
        try
        {
            write(file);
        }
        catch (IOException e) when (e is not OutputException)
        {
            throw Failed(path, e);
        }
        file.Commit();
    }

    /// <summary>Flushes to disk and renames over the final name.</summary>
    public void Commit()
    {
        try
        {
            _writer?.Flush();
            _stream.Flush(flushToDisk: true);
            _writer?.Dispose();
            _writer = null;
            _stream.Dispose();
            lock (Gate)
            {
                if (_stopping || _done)
                    throw new OperationCanceledException("interrupted: the file was not written");
                File.Move(Temporary, Path, overwrite: true);
                _done = true;
                Pending.Remove(this);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Abandon();
            throw Failed(Path, e);
        }
    }

    /// <summary>Removes the temporary unless the file was committed.</summary>
    public void Dispose() => Abandon();

    private void Abandon()
    {
        lock (Gate)
        {
            if (_done)
                return;
            _done = true;
            Pending.Remove(this);
        }
        try
        {
            _writer?.Dispose();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The disk refused the buffered rest: the temporary goes anyway.
        }
        _stream.Dispose();
        TryDelete(Temporary);
    }

    /// <summary>Removes every temporary not yet committed, and refuses to write afterwards: for Ctrl-C
    /// and termination signals, which end the process once this returns.</summary>
    public static void RemovePending()
    {
        lock (Gate)
        {
            _stopping = true;
            foreach (var f in Pending)
            {
                f._done = true;
                TryDelete(f.Temporary); // unlinked even while the writer still holds it open
            }
            Pending.Clear();
        }
    }

    /// <summary>Temporaries of the same file left by processes that no longer run (killed).</summary>
    private static void RemoveStale(string dir, string name)
    {
        if (!Directory.Exists(dir))
            return;
        foreach (var f in Directory.EnumerateFiles(dir, $".{name}.*.tmp"))
        {
            string middle = System.IO.Path.GetFileName(f)[(name.Length + 2)..^4];
            int dash = middle.IndexOf('-');
            if (dash > 0 && int.TryParse(middle[..dash], out int pid) && !Running(pid))
                TryDelete(f);
        }
    }

    private static bool Running(int pid)
    {
        if (pid == Environment.ProcessId)
            return true;
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing more can be done; the next write of the same file removes it.
        }
    }

    /// <summary>The failure of a write to this file, named by its final name (not the temporary's), with
    /// <paramref name="kept"/> saying what remains.</summary>
    public OutputException Failure(Exception e, string kept) =>
        new(Path, $"cannot write '{Path}': {e.Message.Replace($" : '{Temporary}'", "")}; {kept}", e);

    private static OutputException Failed(string path, Exception e)
    {
        string kept = File.Exists(path) ? "the file there was kept as it was" : "no file was written there";
        return new(path, $"cannot write '{path}': {Reason(e)}; {kept}", e);
    }

    /// <summary>The system's reason without the temporary's name, which would only confuse.</summary>
    private static string Reason(Exception e)
    {
        int at = e.Message.IndexOf(" : '", StringComparison.Ordinal);
        return at > 0 && e.Message.EndsWith(".tmp'", StringComparison.Ordinal) ? e.Message[..at] : e.Message;
    }
}

/// <summary>A file could not be written (a full disk, no permission): what failed and what was kept.</summary>
public sealed class OutputException(string path, string message, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>The file that could not be written.</summary>
    public string Path { get; } = path;
}
