using System.Diagnostics;
using FluentAssertions;
using Microsoft.Coyote;
using Microsoft.Coyote.Specifications;
using Microsoft.Coyote.SystematicTesting;
using Xunit;
using Xunit.Abstractions;
using Zombiesim.Tcp;
using CoyoteGenerator = Microsoft.Coyote.Random.Generator;

namespace Zombiesim.Tests.Tcp;

/// <summary>
/// Systematic testing of Simulator.Tcp: a client and a server exchange a request, a response and
/// a close while Coyote chooses which segment is delivered next (reordering), which is lost or
/// duplicated, and when timers fire instead (delay). Every transition must be legal, the exchange
/// must end with both sides CLOSED or in TIME_WAIT or with an error reported, and no byte that was
/// acknowledged may be lost.
/// </summary>
public class TcpCoyoteTests(ITestOutputHelper output)
{
    private static readonly HashSet<(TcpState, TcpState)> Legal =
    [
        (TcpState.Closed, TcpState.Listen), (TcpState.Closed, TcpState.SynSent),
        (TcpState.Listen, TcpState.SynReceived), (TcpState.Listen, TcpState.Closed),
        (TcpState.SynSent, TcpState.SynReceived), (TcpState.SynSent, TcpState.Established), (TcpState.SynSent, TcpState.Closed),
        (TcpState.SynReceived, TcpState.Established), (TcpState.SynReceived, TcpState.FinWait1), (TcpState.SynReceived, TcpState.Closed),
        (TcpState.Established, TcpState.FinWait1), (TcpState.Established, TcpState.CloseWait), (TcpState.Established, TcpState.Closed),
        (TcpState.FinWait1, TcpState.FinWait2), (TcpState.FinWait1, TcpState.Closing), (TcpState.FinWait1, TcpState.Closed),
        (TcpState.FinWait2, TcpState.TimeWait), (TcpState.FinWait2, TcpState.Closed),
        (TcpState.CloseWait, TcpState.LastAck), (TcpState.CloseWait, TcpState.Closed),
        (TcpState.Closing, TcpState.TimeWait), (TcpState.Closing, TcpState.Closed),
        (TcpState.LastAck, TcpState.Closed),
        (TcpState.TimeWait, TcpState.Closed),
    ];

    private const int Request = 100, Response = 200;

    /// <summary>One exchange under Coyote's control. Synchronous: no tasks, so no false deadlocks.</summary>
    private sealed class Exchange : ITcpDriver
    {
        private readonly CoyoteGenerator _choice = CoyoteGenerator.Create();
        private readonly List<Segment> _inFlight = new();
        private readonly Dictionary<TcpConnection, TimeSpan> _deadlines = new();
        private readonly Dictionary<TcpConnection, TcpState> _last = new();
        private readonly TcpHost _client, _server;
        private readonly bool _forbidRetransmissions;
        private TimeSpan _now;
        private int _losses, _duplicates;
        private TcpConnection? _c, _s;
        private long _serverRead, _clientRead;
        private bool _clientClosed, _serverClosed;
        private readonly HashSet<TcpConnection> _errored = new();
        private readonly HashSet<uint> _clientDataSeqs = new();

        public Exchange(bool forbidRetransmissions)
        {
            _forbidRetransmissions = forbidRetransmissions;
            _client = new TcpHost("client", 1, this);
            _server = new TcpHost("server", 2, this);
        }

        public void Run()
        {
            _server.Listen(80);
            _c = _client.Connect(_now, new Endpoint(2, 80));
            for (int step = 0; step < 2_000; step++)
            {
                CheckNoAcknowledgedByteLost();
                bool timers = _deadlines.Count > 0;
                if (_inFlight.Count == 0 && !timers)
                {
                    CheckEnd();
                    return;
                }
                if (_inFlight.Count > 0 && (!timers || _choice.NextInteger(4) != 0))
                    DeliverOne();
                else
                    FireEarliestTimer();
            }
            Specification.Assert(false, "the exchange did not finish within 2,000 steps");
        }

        private void DeliverOne()
        {
            int i = _choice.NextInteger(_inFlight.Count); // any order: reordering
            Segment s = _inFlight[i];
            int fate = _choice.NextInteger(8);
            if (fate == 0 && _losses < 3)
            {
                _losses++;
                _inFlight.RemoveAt(i); // lost
                return;
            }
            if (fate == 1 && _duplicates < 2)
                _duplicates++; // delivered now and again later
            else
                _inFlight.RemoveAt(i);
            _now += TimeSpan.FromTicks(1 + _choice.NextInteger(3) * 2_500); // a little delay
            (s.Destination.Address == 1 ? _client : _server).Deliver(_now, s);
        }

        private void FireEarliestTimer()
        {
            var (conn, at) = _deadlines.OrderBy(d => d.Value).ThenBy(d => d.Key.Host.Name).ThenBy(d => d.Key.Id).First();
            if (at > _now)
                _now = at;
            conn.Host.OnTimer(_now, conn);
        }

        private void CheckNoAcknowledgedByteLost()
        {
            if (_c is not null)
                Specification.Assert(_serverRead >= _c.BytesAcknowledged,
                    "the server acknowledged {0} bytes of the request but its application got only {1}", _c.BytesAcknowledged, _serverRead);
            if (_s is not null)
                Specification.Assert(_clientRead >= _s.BytesAcknowledged,
                    "the client acknowledged {0} bytes of the response but its application got only {1}", _s.BytesAcknowledged,
                    _clientRead);
        }

        private void CheckEnd()
        {
            foreach (var x in new[] { _c, _s })
            {
                if (x is null)
                    continue;
                Specification.Assert(x.State is TcpState.Closed or TcpState.TimeWait || _errored.Contains(x),
                    "{0} ended in {1} without an error", x, x.State.Name());
            }
            if (_errored.Count == 0)
            {
                Specification.Assert(_serverRead == Request && _clientRead == Response,
                    "no error was reported, yet the server read {0} of {1} and the client {2} of {3} bytes", _serverRead, Request,
                    _clientRead, Response);
            }
        }

        public void Transmit(TcpHost from, in Segment segment)
        {
            if (_forbidRetransmissions && from == _client && segment.Length > 0)
                Specification.Assert(_clientDataSeqs.Add(segment.Seq), "the client retransmitted its request");
            _inFlight.Add(segment);
        }

        public void OnEvent(TcpConnection c, in TcpEvent e)
        {
            switch (e.Kind)
            {
                case TcpEventKind.Connected when c == _c:
                    c.Send(_now, Request);
                    break;
                case TcpEventKind.Accepted:
                    _s = c;
                    break;
                case TcpEventKind.Readable when c == _s:
                    _serverRead += c.Read(_now).Bytes;
                    if (_serverRead == Request && !_serverClosed)
                    {
                        c.Send(_now, Response);
                        c.Close(_now);
                        _serverClosed = true;
                    }
                    break;
                case TcpEventKind.Readable when c == _c:
                    _clientRead += c.Read(_now).Bytes;
                    break;
                case TcpEventKind.PeerClosed when c == _c && !_clientClosed:
                    _clientRead += c.Read(_now).Bytes;
                    c.Close(_now);
                    _clientClosed = true;
                    break;
                case TcpEventKind.Error:
                    _errored.Add(c);
                    break;
            }
        }

        public void OnTransition(TcpConnection c, TcpState from, TcpState to, TcpCause cause)
        {
            Specification.Assert(Legal.Contains((from, to)), "illegal transition {0} -> {1} ({2}) on {3}", from.Name(), to.Name(),
                cause.Name(), c);
            TcpState expected = _last.TryGetValue(c, out var prev)
                ? prev : (to == TcpState.SynReceived ? TcpState.Listen : TcpState.Closed);
            Specification.Assert(from == expected, "{0} went from {1} but was in {2}", c, from.Name(), expected.Name());
            _last[c] = to;
            if (to == TcpState.Closed)
                _deadlines.Remove(c);
        }

        public void OnDeadlineChanged(TcpConnection c, TimeSpan? deadline)
        {
            if (deadline is { } d)
                _deadlines[c] = d;
            else
                _deadlines.Remove(c);
        }
    }

    private static Configuration Config(uint iterations) => Configuration.Create()
        .WithTestingIterations(iterations)
        .WithRandomGeneratorSeed(20261122)
        .WithMaxSchedulingSteps(20_000)
        .WithFailureOnMaxStepsBoundEnabled(true)
        .WithTelemetryEnabled(false)
        .WithConsoleLoggingEnabled(false)
        .WithVerbosityEnabled(Microsoft.Coyote.Logging.VerbosityLevel.None);

    [Fact]
    public void Request_response_and_close_stay_legal_under_reordering_loss_duplication_and_delay()
    {
        const uint iterations = 10_000;
        var engine = TestingEngine.Create(Config(iterations), () => new Exchange(forbidRetransmissions: false).Run());
        var sw = Stopwatch.StartNew();
        engine.Run();
        sw.Stop();
        var report = engine.TestReport;
        output.WriteLine($"{report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths} iterations in {sw.Elapsed.TotalSeconds:F2} s: "
            + $"{(report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths) / sw.Elapsed.TotalSeconds:F0} iterations/s");
        report.NumOfFoundBugs.Should().Be(0, string.Join("\n", report.BugReports));
        (report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths).Should().Be((int)iterations);
    }

    [Fact]
    public void Exploration_finds_the_schedule_that_breaks_a_false_claim()
    {
        // A control: "the client never retransmits its request" is false whenever the request or
        // its ACK is lost; the exploration must find such a schedule, or it explores nothing.
        var engine = TestingEngine.Create(Config(1_000), () => new Exchange(forbidRetransmissions: true).Run());
        engine.Run();
        engine.TestReport.NumOfFoundBugs.Should().BeGreaterThan(0);
        engine.TestReport.BugReports.Should().Contain(b => b.Contains("retransmitted its request"));
    }
}
