using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// The PostgreSQL frontend/backend protocol 3.0, as much as one query per invocation needs (PostgreSQL docs, "Message
/// Formats" and "Message Flow", https://www.postgresql.org/docs/15/protocol-message-formats.html): the StartupMessage
/// (Int32 length, Int32 196608, then `user` and `database` as name/value strings and a final zero byte), answered
/// under trust authentication by AuthenticationOk ('R', 0), ParameterStatus ('S') and BackendKeyData ('K') messages
/// and ReadyForQuery ('Z'); a simple Query ('Q', "SELECT 1") answered by RowDescription, DataRow, CommandComplete and
/// ReadyForQuery; Terminate ('X') before the client closes. Every backend message is a type byte and an Int32 length
/// that counts itself. An ErrorResponse ('E': FATAL 53300 at the connection limit, FATAL 57P05 on an idle-session
/// timeout) is the server's error.
/// </summary>
public sealed class PostgresProtocol : ClientProtocol
{
    public const string User = "zombiesim", Database = "postgres";

    public override IReadOnlyList<byte[]> Opening { get; } = [Startup()];

    public override byte[] Command { get; } = Message('Q', Encoding.ASCII.GetBytes("SELECT 1\0"));

    public override byte[] Goodbye { get; } = Message('X', []);

    public override Reading Read(ReadOnlySpan<byte> received, out int used)
    {
        used = 0;
        while (received.Length - used >= 5)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(received[(used + 1)..]);
            if (received.Length - used < 1 + length)
                break;
            byte type = received[used];
            used += 1 + length;
            if (type == 'E')
                return Reading.Error;
            if (type == 'Z')
                return Reading.Done;
        }
        return Reading.More;
    }

    public override string? ErrorCode(ReadOnlySpan<byte> received)
    {
        int at = 0;
        while (received.Length - at >= 5)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(received[(at + 1)..]);
            if (received[at] == 'E')
            {
                var fields = Encoding.ASCII.GetString(received.Slice(at + 5, Math.Min(length - 4, received.Length - at - 5)));
                return fields.Split('\0').FirstOrDefault(f => f.StartsWith('C'))?[1..];
            }
            at += 1 + length;
        }
        return null;
    }

    public override void Serve(Socket socket)
    {
        ReceiveAtLeast(socket, Opening[0].Length);
        var auth = new byte[4];
        socket.Send([.. Message('R', auth), .. Message('Z', [(byte)'I'])]);
        ReceiveAtLeast(socket, Command.Length);
        socket.Send([.. Message('C', Encoding.ASCII.GetBytes("SELECT 1\0")), .. Message('Z', [(byte)'I'])]);
    }

    private static byte[] Startup()
    {
        var body = Encoding.ASCII.GetBytes($"user\0{User}\0database\0{Database}\0\0");
        var message = new byte[8 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(message, message.Length);
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(4), 3 << 16); // protocol 3.0
        body.CopyTo(message, 8);
        return message;
    }

    private static byte[] Message(char type, byte[] body)
    {
        var message = new byte[5 + body.Length];
        message[0] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(1), 4 + body.Length);
        body.CopyTo(message, 5);
        return message;
    }
}
