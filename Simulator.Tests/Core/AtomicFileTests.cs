using System.Diagnostics;
using FluentAssertions;
using Xunit;
using Zombiesim.Cli;
using Zombiesim.Core.Files;
using Zombiesim.Tests.Cli;
using Zombiesim.Tests.World;

namespace Zombiesim.Tests.Core;

/// <summary>A file is replaced whole or not at all, and no temporary is left behind.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("zombiesim-atomic-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] Temporaries() => Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories);

    [Fact]
    public void What_is_written_is_read_back_and_no_temporary_remains()
    {
        string path = Path.Combine(_dir, "a.json");
        AtomicFile.WriteAllText(path, "{ \"é\": 1 }\n");
        File.ReadAllBytes(path).Should()
            .Equal(new System.Text.UTF8Encoding(false).GetBytes("{ \"é\": 1 }\n"), "UTF-8 without a byte order mark");
        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        File.ReadAllBytes(path).Should().Equal(1, 2, 3);
        Temporaries().Should().BeEmpty();
    }

    [Fact]
    public void A_write_that_fails_midway_keeps_the_old_file_and_removes_the_temporary()
    {
        string path = Path.Combine(_dir, "search.json");
        File.WriteAllText(path, "the good one");
        var act = () => AtomicFile.Write(path, f =>
        {
            f.Writer.Write(new string('x', 100_000));
            f.Writer.Flush();
            Temporaries().Should().ContainSingle("the content goes to a temporary first");
            throw new IOException("No space left on device");
        });
        act.Should().Throw<OutputException>()
            .WithMessage($"cannot write '{path}': No space left on device; the file there was kept as it was");
        File.ReadAllText(path).Should().Be("the good one");
        Temporaries().Should().BeEmpty();
    }

    [Fact]
    public void A_rename_that_fails_removes_the_temporary_and_says_nothing_was_written()
    {
        string path = Path.Combine(_dir, "taken");
        Directory.CreateDirectory(path); // a directory where the file should go: the rename fails
        var act = () => AtomicFile.WriteAllText(path, "x");
        act.Should().Throw<OutputException>().Which.Message.Should()
            .StartWith($"cannot write '{path}': ").And.EndWith("no file was written there");
        Temporaries().Should().BeEmpty();
    }

    [Fact]
    public void A_file_disposed_before_commit_leaves_nothing()
    {
        string path = Path.Combine(_dir, "trace.jsonl");
        using (var f = AtomicFile.Create(path))
        {
            f.Writer.WriteLine("{}");
            File.Exists(f.Temporary).Should().BeTrue();
        }
        File.Exists(path).Should().BeFalse();
        Temporaries().Should().BeEmpty();
    }

    [Fact]
    public void A_temporary_left_by_a_killed_process_is_removed_when_the_file_is_next_written()
    {
        string path = Path.Combine(_dir, "points.jsonl");
        using var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        gone.WaitForExit();
        string stale = Path.Combine(_dir, $".points.jsonl.{gone.Id}-1.tmp");
        string other = Path.Combine(_dir, $".other.jsonl.{gone.Id}-1.tmp");
        File.WriteAllText(stale, "half");
        File.WriteAllText(other, "half");
        AtomicFile.WriteAllText(path, "whole");
        File.Exists(stale).Should().BeFalse();
        File.Exists(other).Should().BeTrue("only the temporaries of the file being written are touched");
    }

    [Fact]
    public void A_full_disk_or_refused_write_in_run_out_is_exit_2_with_what_was_kept()
    {
        string dir = Path.Combine(_dir, "run");
        Directory.CreateDirectory(Path.Combine(dir, "connections.csv")); // the third file cannot be renamed into place
        File.WriteAllText(Path.Combine(dir, "summary.json"), "old");
        var (code, output, error) = CliTests.Run("run", Scenarios.File("upstash-2020-process.yaml"), "--out", dir);
        code.Should().Be(ExitCodes.BadInput);
        output.Should().BeEmpty();
        error.Should().StartWith($"error: cannot write '{Path.Combine(dir, "connections.csv")}': ")
            .And.Contain("Written: trace.jsonl, requests.csv; "
                + "not written (any earlier file of the same name kept): connections.csv, summary.json")
            .And.NotContain("   at ");
        File.ReadAllText(Path.Combine(dir, "summary.json")).Should().Be("old");
        Temporaries().Should().BeEmpty();
    }

    [Fact]
    public void Ctrl_c_during_a_run_removes_the_temporaries_and_keeps_the_old_files()
    {
        string dir = Path.Combine(_dir, "interrupted");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "trace.jsonl"), "old");
        string dll = typeof(ZombiesimCli).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll, "run", Scenarios.File("fleet-reuse-vs-per-invocation.yaml"), "--set", "horizon=3650d", "--out", dir },
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var p = Process.Start(start)!;
        var until = DateTime.UtcNow.AddSeconds(60);
        while (Temporaries().Length == 0 && DateTime.UtcNow < until && !p.HasExited)
            Thread.Sleep(50);
        Temporaries().Should().NotBeEmpty("the run streams its files to temporaries");
        p.HasExited.Should().BeFalse("the interruption must come while the work goes on");
        Process.Start("kill", ["-INT", p.Id.ToString()])!.WaitForExit();
        p.WaitForExit(90_000).Should().BeTrue("SIGINT ends the process (a loaded machine may take its time)");
        Temporaries().Should().BeEmpty();
        File.ReadAllText(Path.Combine(dir, "trace.jsonl")).Should().Be("old");
        Directory.GetFiles(dir).Select(Path.GetFileName).Should().Equal("trace.jsonl");
    }

    [Fact]
    public void A_search_whose_results_cannot_be_written_exits_2_and_keeps_its_points()
    {
        string dir = Path.Combine(_dir, "search");
        Directory.CreateDirectory(Path.Combine(dir, "search.json")); // in the way of the result
        var (code, output, error) = CliTests.Run("search", Scenarios.File("search-upstash-idle-timeout.yaml"),
            "--vary", "server.idleTimeout=[300s,310s]", "--replications", "2", "--workers", "2", "--out", dir);
        code.Should().Be(ExitCodes.BadInput);
        output.Should().BeEmpty();
        string last = error.TrimEnd('\n').Split('\n')[^1];
        last.Should().StartWith($"error: cannot write '{Path.Combine(dir, "search.json")}': Is a directory")
            .And.EndWith("; no file was written there");
        error.Should().NotContain("   at ");
        File.ReadAllLines(Path.Combine(dir, "points.jsonl")).Should()
            .HaveCount(3, "the header and both points: --resume continues from them");
        Temporaries().Should().BeEmpty();
    }

    [Fact]
    public void Ctrl_c_during_a_search_keeps_the_finished_points_and_leaves_no_temporary()
    {
        string dir = Path.Combine(_dir, "search-interrupted");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList =
            {
                typeof(ZombiesimCli).Assembly.Location, "search", Scenarios.File("search-upstash-idle-timeout.yaml"),
                "--vary", "server.idleTimeout=60s..400s:1s", "--strategy", "grid", "--replications", "1000", "--workers", "1", "--out", dir,
            },
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var p = Process.Start(start)!;
        string points = Path.Combine(dir, "points.jsonl");
        var until = DateTime.UtcNow.AddSeconds(60);
        while ((!File.Exists(points) || File.ReadAllLines(points).Length < 3) && DateTime.UtcNow < until && !p.HasExited)
            Thread.Sleep(50);
        p.HasExited.Should().BeFalse("the interruption must come while the work goes on");
        Process.Start("kill", ["-INT", p.Id.ToString()])!.WaitForExit();
        p.WaitForExit(90_000).Should().BeTrue("SIGINT ends the process (a loaded machine may take its time)");
        Temporaries().Should().BeEmpty();
        File.Exists(Path.Combine(dir, "search.json")).Should().BeFalse("the search did not finish");
        File.ReadAllLines(points).Length.Should().BeGreaterThanOrEqualTo(3, "the header and the points finished before Ctrl-C");
    }
}
