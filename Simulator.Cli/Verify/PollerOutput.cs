using System.Globalization;
using System.Net;
using Zombiesim.Core.Observation;
using Zombiesim.Tcp;

namespace Zombiesim.Cli.Verify;

/// <summary>What `zombiesim agent poll` printed when stopped: the connections' names by client address, the transitions
/// it polled and the segments its capture saw; and those segments as records named as the model names them.</summary>
public sealed record PollerOutput(Dictionary<string, string> Names, List<ObservedTransition> Transitions, List<CapturedSegment> Segments)
{
    public static PollerOutput Read(AgentProcess poller, TimeSpan timeout, TextWriter progress)
    {
        poller.Send("stop");
        var result = new PollerOutput(new(), [], []);
        var states = Enum.GetValues<TcpState>().ToDictionary(s => s.ToString());
        while (poller.Next(timeout) is { } line)
        {
            var f = line.Split(' ');
            if (f is ["gap", var gap, var at])
                progress.WriteLine($"verify: the longest time between two polls was {gap} s, ending at {at} s");
            else if (f is ["capture-failed", ..])
                progress.WriteLine($"warning: no packet capture ({line["capture-failed ".Length..]}): segments are not compared");
            else if (f is ["capture-stamps", var kernel, var all])
                progress.WriteLine($"verify: captured {all} segments, {kernel} stamped by the kernel");
            else if (f is ["name", var client, var name])
                result.Names[client] = name;
            else if (f is ["transition", var t, var host, var conn, var from, var to, var cause, var since])
                result.Transitions.Add(new ObservedTransition(double.Parse(t, CultureInfo.InvariantCulture), host, conn, states[from],
                    states[to], cause, double.Parse(since, CultureInfo.InvariantCulture)));
            else if (CaptureParser.Read(line) is { } segment)
                result.Segments.Add(segment);
        }
        return result;
    }

    /// <summary>The captured segments as records: from and to `server` or the environment whose address the client has,
    /// the connection by the final <paramref name="names"/> (`unnamed` for a client no poll or result named), fate
    /// `delivered` (seen at the server), instants rounded to the microsecond.</summary>
    public static List<SegmentRecord> Records(IEnumerable<CapturedSegment> segments, IReadOnlyDictionary<string, string> names,
        IReadOnlyDictionary<string, string> environmentByAddress) =>
        segments.OrderBy(s => s.T).Select(s =>
        {
            var client = IPEndPoint.Parse(s.Client);
            string env = environmentByAddress.GetValueOrDefault(client.Address.ToString(), client.Address.ToString());
            return new SegmentRecord(TimeSpan.FromTicks((long)Math.Round(s.T * 1e6) * 10), s.FromServer ? "server" : env,
                s.FromServer ? env : "server", names.GetValueOrDefault(s.Client, "unnamed"), (TcpFlags)s.Flags, s.Seq, s.Ack, s.Length,
                SegmentOutcome.Delivered);
        }).ToList();
}
