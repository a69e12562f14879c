namespace Zombiesim.Core.Tls;

/// <summary>
/// The flights of a full handshake, as bytes on the wire. The model has no bandwidth, so the sizes
/// only tell a flight from a command; they are of the usual order (a ClientHello padded to 517 bytes
/// as browsers and OpenSSL-based clients send it, a server flight with a two-certificate chain).
/// TLS 1.3 (RFC 8446 §2): ClientHello; ServerHello ... Finished; the client's Finished, with its first
/// data right behind it. TLS 1.2 (RFC 5246 §7.3): ClientHello; ServerHello, Certificate,
/// ServerKeyExchange, ServerHelloDone; ClientKeyExchange, ChangeCipherSpec, Finished;
/// ChangeCipherSpec, Finished; then the client's first data.
/// </summary>
internal static class TlsFlights
{
    public const int ClientHello = 517, ServerFlight = 4000, ClientFinished13 = 80, ClientKeyExchange12 = 126,
        ServerFinished12 = 51;

    /// <summary>What the client sends after it processed the server's first flight.</summary>
    public static int ClientSecond(TlsVersion v) => v == TlsVersion.Tls13 ? ClientFinished13 : ClientKeyExchange12;
}
