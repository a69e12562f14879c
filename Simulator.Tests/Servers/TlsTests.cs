using FluentAssertions;
using Xunit;
using Zombiesim.Core.Observation;
using Zombiesim.Core.Tls;
using static Zombiesim.Tests.Servers.ServerWorld;

namespace Zombiesim.Tests.Servers;

/// <summary>TLS on a server: the handshake's round trips (TLS 1.3: one, RFC 8446 §2; TLS 1.2: two,
/// RFC 5246 §7.3) and the client's CPU, stretched by 1,769 MB / memory, in connection set-up.
/// One-way latency 0.5 ms, no TCP set-up cost, replies after 1 ms: plain TCP takes 3 ms (a round trip
/// to connect, one for the command, and the reply's 1 ms).</summary>
public class TlsTests
{
    [Fact]
    public void Tls_1_3_adds_one_round_trip_and_the_clients_cpu_stretched_below_a_full_vcpu()
    {
        // 1 ms on a vCPU x 1769/1024 = 1.7275 ms; 3 ms + 1 ms round trip + 1.7275 ms.
        var r = ServerWorld.Run("preset: redis\n  responseTime: 1ms\n  tls: { version: \"1.3\" }", "[0s, 10s]", "{ setupCost: 0s }",
            function: "    strategy: per-invocation");
        r.Requests.Select(q => q.LatencyMs).Should().Equal(205.7275, 5.7275); // the first after the 200 ms cold start
    }

    [Fact]
    public void Tls_1_2_adds_two_round_trips_and_the_same_cpu()
    {
        var r = ServerWorld.Run("preset: redis\n  responseTime: 1ms\n  tls: { version: \"1.2\", clientCpu: 2ms }", "[0s, 10s]",
            "{ setupCost: 0s }", function: "    strategy: per-invocation");
        // 3 ms plain, two round trips of 1 ms, 2 ms x 1769/1024 = 3.455078 ms of CPU (to the model's 100 ns: 3.4551 ms).
        r.Requests[1].LatencyMs.Should().Be(8.4551);
    }

    [Fact]
    public void A_cached_connection_pays_the_handshake_once()
    {
        var r = ServerWorld.Run("preset: redis\n  responseTime: 1ms\n  tls: { version: \"1.3\" }", "[0s, 1s]", "{ setupCost: 0s }");
        r.Requests.Select(q => q.LatencyMs).Should().Equal(205.7275, 2.0);
    }

    [Fact]
    public void The_handshake_cpu_at_128_mb_is_1769_over_128_times_a_vcpus()
    {
        new TlsSpec(TlsVersion.Tls13, TimeSpan.FromMilliseconds(1)).ClientCpuAt(128).Should().Be(TimeSpan.FromTicks(138203));
        new TlsSpec(TlsVersion.Tls13, TimeSpan.FromMilliseconds(1)).ClientCpuAt(3008).Should().Be(TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public void A_connect_timeout_shorter_than_the_handshake_fails_the_connect()
    {
        // TCP connects at 1 ms; the handshake would end at 2 ms + 17.275 ms of CPU (10 ms x 1769/1024):
        // the 10 ms connect timeout fires first.
        var r = ServerWorld.Run("preset: redis\n  responseTime: 1ms\n  tls: { version: \"1.3\", clientCpu: 10ms }", "[10s]",
            "{ setupCost: 0s, connectTimeout: 10ms }", function: "    strategy: per-invocation");
        var q = r.Requests.Single();
        (q.Outcome, q.Origin, q.LatencyMs).Should().Be((Outcome.ETIMEDOUT, Origin.LibraryTimeout, 210.0));
    }

    [Fact]
    public void A_refusal_at_maxclients_is_read_in_place_of_the_servers_flight()
    {
        var r = ServerWorld.Run("preset: redis\n  responseTime: 1ms\n  maxClients: 1\n  tls: { version: \"1.3\" }", "[0s]",
            "{ setupCost: 0s }", other: "[0.5s]");
        r.Requests.Single(q => q.Function == "g").Outcome.Should().Be(Outcome.Rejected);
        r.Requests.Single(q => q.Function == "f").Ok.Should().BeTrue();
    }
}
