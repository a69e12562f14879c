using Zombiesim.Core.Scenarios;

namespace Zombiesim.Core.Files;

/// <summary>The directory a command writes its files into: created when missing; a file in its place is
/// bad usage, a directory that cannot be created is an <see cref="OutputException"/> (exit 2, nothing written).</summary>
public static class OutputDirectory
{
    /// <summary>Refuses a file where the directory should be, before any work is done; creates nothing.</summary>
    public static void Check(string dir, string flag = "--out")
    {
        if (File.Exists(dir))
            throw new UsageException(flag, $"'{dir}' is a file: give a directory (it is created when missing)");
    }

    /// <summary>Checks, then creates the directory when missing.</summary>
    public static void Ensure(string dir, string flag = "--out")
    {
        Check(dir, flag);
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputException(dir, $"cannot create the directory '{dir}': {e.Message}; nothing was written", e);
        }
    }
}
