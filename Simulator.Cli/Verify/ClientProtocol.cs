using System.Net.Sockets;
using System.Text;

namespace Zombiesim.Cli.Verify;

/// <summary>How far the bytes received so far answer what the client wrote: not yet, a whole reply, or an error
/// message from the server (then the request fails with it).</summary>
public enum Reading { More, Done, Error }

/// <summary>
/// What the client agent writes and reads on a connection, per server kind: the opening exchange after the TCP
/// connect (steps, each written and then answered), the one command an invocation sends, the goodbye written before
/// the client closes, and how a reply is recognised. <see cref="Serve"/> plays the server's side once on loopback, so
/// that the agent's warm-up runs the same code the real run does.
/// </summary>
public abstract class ClientProtocol
{
    public static ClientProtocol For(string name) => name switch
    {
        "line" => new LineProtocol(),
        "postgres" => new PostgresProtocol(),
        "mysql" => new MySqlProtocol(),
        "http" => new HttpProtocol(),
        _ => throw new VerifyException($"agent: unknown protocol '{name}'"),
    };

    /// <summary>The opening exchange's steps: each is written (it may be empty: the server speaks first) and then
    /// read until <see cref="Read"/> says it is done.</summary>
    public virtual IReadOnlyList<byte[]> Opening => [];

    public abstract byte[] Command { get; }

    /// <summary>Written before the client closes a connection it no longer wants (PostgreSQL Terminate, COM_QUIT).</summary>
    public virtual byte[] Goodbye => [];

    /// <summary>Whether <paramref name="received"/> holds a whole reply; <paramref name="used"/> is its length.</summary>
    public abstract Reading Read(ReadOnlySpan<byte> received, out int used);

    /// <summary>The error code of the first error message in <paramref name="received"/> (SQLSTATE, MySQL error number),
    /// for the agent's log.</summary>
    public virtual string? ErrorCode(ReadOnlySpan<byte> received) => null;

    /// <summary>The server's side of one connection on loopback, for the warm-up: answers the opening and one command.</summary>
    public abstract void Serve(Socket socket);

    /// <summary>Reads from <paramref name="socket"/> until at least <paramref name="count"/> bytes came (or the end).</summary>
    protected static byte[] ReceiveAtLeast(Socket socket, int count)
    {
        var buffer = new byte[4096];
        int n = 0;
        while (n < count)
        {
            int r = socket.Receive(buffer, n, buffer.Length - n, SocketFlags.None);
            if (r == 0)
                break;
            n += r;
        }
        return buffer[..n];
    }
}

/// <summary>The generic server's and Redis's: a command line, a reply line (`PING`, `+PONG`).</summary>
public sealed class LineProtocol : ClientProtocol
{
    public override byte[] Command { get; } = Encoding.ASCII.GetBytes("PING\r\n");

    public override Reading Read(ReadOnlySpan<byte> received, out int used)
    {
        used = received.IndexOf((byte)'\n') + 1;
        return used > 0 ? Reading.Done : Reading.More;
    }

    public override void Serve(Socket socket)
    {
        ReceiveAtLeast(socket, Command.Length);
        socket.Send(Encoding.ASCII.GetBytes("+PONG\r\n"));
    }
}
