using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Zombiesim.Cli.Verify;

/// <summary>
/// The MySQL/MariaDB client/server protocol, as much as one command per invocation needs (MySQL source docs,
/// "Protocol::HandshakeV10", "Protocol::HandshakeResponse41", "COM_PING", "OK_Packet", "ERR_Packet",
/// https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html; MariaDB's "Connection" and "ERR_Packet",
/// https://mariadb.com/kb/en/connection/): every packet is a 3-byte little-endian payload length, a sequence id and
/// the payload. The server speaks first with a HandshakeV10 (protocol 10), or with an ERR_Packet (0xFF, error 1040 at
/// max_connections); the client answers a HandshakeResponse41 (CLIENT_PROTOCOL_41, SECURE_CONNECTION, PLUGIN_AUTH,
/// an empty auth response for a user without a password, mysql_native_password) and the server an OK_Packet (0x00)
/// or an ERR_Packet. An invocation sends COM_PING (0x0E), answered by an OK_Packet; COM_QUIT (0x01) before the client
/// closes. An ERR_Packet (error 4031 before an idle close in MySQL 8.0.24+) is the server's error.
/// </summary>
public sealed class MySqlProtocol : ClientProtocol
{
    public const string User = "zombiesim";

    private const uint ClientLongPassword = 0x1, ClientProtocol41 = 0x200, ClientTransactions = 0x2000,
        ClientSecureConnection = 0x8000, ClientPluginAuth = 0x80000;

    public override IReadOnlyList<byte[]> Opening { get; } = [[], Response()];

    public override byte[] Command { get; } = Packet(0, [0x0e]); // COM_PING

    public override byte[] Goodbye { get; } = Packet(0, [0x01]); // COM_QUIT

    public override Reading Read(ReadOnlySpan<byte> received, out int used)
    {
        used = 0;
        if (received.Length < 4)
            return Reading.More;
        int length = received[0] | received[1] << 8 | received[2] << 16;
        if (received.Length < 4 + length)
            return Reading.More;
        used = 4 + length;
        return length > 0 && received[4] == 0xff ? Reading.Error : Reading.Done;
    }

    public override string? ErrorCode(ReadOnlySpan<byte> received) => received.Length >= 7 && received[4] == 0xff
        ? BinaryPrimitives.ReadUInt16LittleEndian(received[5..]).ToString(CultureInfo.InvariantCulture)
        : null;

    public override void Serve(Socket socket)
    {
        var greeting = new List<byte> { 10 };
        greeting.AddRange(Encoding.ASCII.GetBytes("warm-up\0"));
        greeting.AddRange(new byte[4 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10 + 13]);
        socket.Send(Packet(0, [.. greeting]));
        ReceiveAtLeast(socket, Opening[1].Length);
        socket.Send(Packet(2, [0, 0, 0, 2, 0, 0, 0]));
        ReceiveAtLeast(socket, Command.Length);
        socket.Send(Packet(1, [0, 0, 0, 2, 0, 0, 0]));
    }

    private static byte[] Response()
    {
        var body = new List<byte>();
        var four = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(four,
            ClientLongPassword | ClientProtocol41 | ClientTransactions | ClientSecureConnection | ClientPluginAuth);
        body.AddRange(four);
        BinaryPrimitives.WriteUInt32LittleEndian(four, 1 << 24); // max packet size
        body.AddRange(four);
        body.Add(45); // utf8mb4_general_ci
        body.AddRange(new byte[23]);
        body.AddRange(Encoding.ASCII.GetBytes(User + "\0"));
        body.Add(0); // an empty auth response: no password
        body.AddRange(Encoding.ASCII.GetBytes("mysql_native_password\0"));
        return Packet(1, [.. body]);
    }

    private static byte[] Packet(byte sequence, byte[] payload)
    {
        var packet = new byte[4 + payload.Length];
        packet[0] = (byte)payload.Length;
        packet[1] = (byte)(payload.Length >> 8);
        packet[2] = (byte)(payload.Length >> 16);
        packet[3] = sequence;
        payload.CopyTo(packet, 4);
        return packet;
    }
}
