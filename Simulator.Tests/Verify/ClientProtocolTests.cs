using System.Text;
using FluentAssertions;
using Xunit;
using Zombiesim.Cli.Verify;

namespace Zombiesim.Tests.Verify;

/// <summary>The client agent's wire protocols read replies byte for byte as the protocol documents lay them out.</summary>
public class ClientProtocolTests
{
    [Fact]
    public void PostgreSQL_startup_is_protocol_3_0_and_a_reply_ends_at_ReadyForQuery()
    {
        var pg = ClientProtocol.For("postgres");
        var startup = pg.Opening.Single();
        startup[..8].Should().Equal(0, 0, 0, (byte)startup.Length, 0, 3, 0, 0);
        Encoding.ASCII.GetString(startup[8..]).Should().Be("user\0zombiesim\0database\0postgres\0\0");
        pg.Command.Should().Equal([(byte)'Q', 0, 0, 0, 13, .. Encoding.ASCII.GetBytes("SELECT 1\0")]);
        byte[] authOk = [(byte)'R', 0, 0, 0, 8, 0, 0, 0, 0], ready = [(byte)'Z', 0, 0, 0, 5, (byte)'I'];
        pg.Read(authOk, out _).Should().Be(Reading.More);
        pg.Read([.. authOk, .. ready[..5]], out _).Should().Be(Reading.More);
        pg.Read([.. authOk, .. ready, 1, 2], out int used).Should().Be(Reading.Done);
        used.Should().Be(15);
    }

    [Fact]
    public void HTTP_a_keep_alive_response_ends_at_its_Content_Length_and_a_5xx_is_the_server_s_error()
    {
        var http = ClientProtocol.For("http");
        Encoding.ASCII.GetString(http.Command).Should().Be("GET / HTTP/1.1\r\nHost: server\r\n\r\n");
        var ok = HttpProtocol.Response;
        http.Read(ok[..^1], out _).Should().Be(Reading.More, "the body's last byte has not come");
        http.Read([.. ok, .. ok], out int used).Should().Be(Reading.Done);
        used.Should().Be(ok.Length);
        Encoding.ASCII.GetString(HttpProtocol.LastResponse).Should().Contain("Connection: close");
        var busy = Encoding.ASCII.GetBytes("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
        http.Read(busy, out used).Should().Be(Reading.Error);
        used.Should().Be(busy.Length);
        http.ErrorCode(busy).Should().Be("503");
        HttpProtocol.Requests([.. http.Command, .. http.Command, .. http.Command[..5]]).Should().Be(2);
    }

    [Fact]
    public void PostgreSQL_ErrorResponse_is_the_server_s_error_with_its_SQLSTATE()
    {
        var pg = ClientProtocol.For("postgres");
        var fields = Encoding.ASCII.GetBytes("SFATAL\0VFATAL\0C57P05\0Mterminating connection due to idle-session timeout\0\0");
        byte[] error = [(byte)'E', 0, 0, 0, (byte)(4 + fields.Length), .. fields];
        pg.Read(error, out int used).Should().Be(Reading.Error);
        used.Should().Be(error.Length);
        pg.ErrorCode(error).Should().Be("57P05");
    }

    [Fact]
    public void MySQL_handshake_response_has_an_empty_password_and_a_packet_ends_at_its_length()
    {
        var my = ClientProtocol.For("mysql");
        my.Opening[0].Should().BeEmpty("the server speaks first");
        var response = my.Opening[1];
        (response[0] | response[1] << 8 | response[2] << 16).Should().Be(response.Length - 4);
        response[3].Should().Be(1, "the second packet of the exchange");
        BitConverter.ToUInt32(response, 4).Should().Be(0x0008A201u); // LONG_PASSWORD, PROTOCOL_41, TRANSACTIONS,
        // SECURE_CONNECTION, PLUGIN_AUTH
        Encoding.ASCII.GetString(response[(4 + 32)..]).Should().Be("zombiesim\0\0mysql_native_password\0");
        my.Command.Should().Equal(1, 0, 0, 0, 0x0e);
        byte[] ok = [7, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0];
        my.Read(ok[..6], out _).Should().Be(Reading.More);
        my.Read(ok, out int used).Should().Be(Reading.Done);
        used.Should().Be(11);
        byte[] err = [.. new byte[] { 9, 0, 0, 0, 0xff, 0xbf, 0x0f }, .. Encoding.ASCII.GetBytes("#HY000")];
        my.Read(err[..13], out _).Should().Be(Reading.Error);
        my.ErrorCode(err).Should().Be("4031");
    }
}
