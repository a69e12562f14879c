using System.Net;
using System.Net.Sockets;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// The running kernel's HZ (CONFIG_HZ), measured: a loopback connection's RTO is the 200 ms floor rounded up to whole
/// jiffies plus one (`usecs_to_jiffies(srtt/8 + rttvar)`, ../shared/FACTS.md), and TCP_INFO reports it in
/// microseconds: 204 ms at HZ=250, 201 ms at 1000, 210 ms at 100, 203.33 ms at 300.
/// </summary>
public static class KernelClock
{
    public static int? MeasureHz()
    {
        try
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(listener.LocalEndPoint!);
            using var server = listener.Accept();
            client.Send(new byte[1]);
            server.Receive(new byte[1]);
            Thread.Sleep(60); // the delayed ACK carries the RTT sample
            var info = new byte[104];
            client.GetRawSocketOption(6, 11, info); // IPPROTO_TCP, TCP_INFO
            uint rtoMicros = BitConverter.ToUInt32(info, 8); // after eight one-byte fields
            double jiffy = rtoMicros - 200_000.0;
            if (jiffy is <= 0 or > 11_000)
                return null;
            int hz = (int)Math.Round(1_000_000 / jiffy);
            return new[] { 100, 250, 300, 1000 }.OrderBy(h => Math.Abs(h - hz)).First();
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
