using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// HTTP/1.1 with keep-alive (RFC 9112), as much as one request per command needs: a `GET /` with a Host header, and a
/// response read to the end of its body by its Content-Length; a 5xx status is the server's error. The client library
/// `http-agent` speaks it to the built-in generic server, which answers it (<see cref="ServerAgent"/>).
/// </summary>
public sealed class HttpProtocol : ClientProtocol
{
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();

    /// <summary>The built-in server's response: 200 with a two-byte body, the connection kept alive.</summary>
    public static byte[] Response { get; } = Encoding.ASCII.GetBytes(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok");

    /// <summary>Its last response on a connection (keepalive_requests reached): the server closes after it.</summary>
    public static byte[] LastResponse { get; } = Encoding.ASCII.GetBytes(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");

    public override byte[] Command { get; } = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: server\r\n\r\n");

    /// <summary>How many whole requests (each ends with an empty line) <paramref name="received"/> holds.</summary>
    public static int Requests(ReadOnlySpan<byte> received)
    {
        int n = 0;
        for (int at = received.IndexOf(HeaderEnd); at >= 0; at = received.IndexOf(HeaderEnd))
        {
            n++;
            received = received[(at + HeaderEnd.Length)..];
        }
        return n;
    }

    public override Reading Read(ReadOnlySpan<byte> received, out int used)
    {
        used = 0;
        int end = received.IndexOf(HeaderEnd);
        if (end < 0)
            return Reading.More;
        string head = Encoding.ASCII.GetString(received[..end]);
        int length = 0;
        foreach (var line in head.Split("\r\n").Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                length = int.Parse(line[(colon + 1)..].Trim(), CultureInfo.InvariantCulture);
        }
        if (received.Length < end + HeaderEnd.Length + length)
            return Reading.More;
        used = end + HeaderEnd.Length + length;
        return head.Split(' ') is [_, var status, ..] && status.StartsWith('5') ? Reading.Error : Reading.Done;
    }

    public override string? ErrorCode(ReadOnlySpan<byte> received) =>
        Encoding.ASCII.GetString(received).Split(' ') is [_, var status, ..] ? status : null;

    public override void Serve(Socket socket)
    {
        var buffer = new byte[4096];
        int n = 0;
        while (Requests(buffer.AsSpan(0, n)) == 0)
        {
            int r = socket.Receive(buffer, n, buffer.Length - n, SocketFlags.None);
            if (r == 0)
                return;
            n += r;
        }
        socket.Send(Response);
    }
}
