namespace Zombiesim.Core.Tls;

/// <summary>
/// The server's side of one connection's handshake: it takes the client's flights out of what the
/// server reads and answers each (the server's CPU is not modelled: its reply leaves at once), and
/// hands back the bytes after the handshake, the client's commands.
/// </summary>
internal sealed class ServerHandshake(TlsVersion version)
{
    private int _stage; // 0: awaits the ClientHello; 1: awaits the client's second flight; 2: done
    private int _partial; // bytes of the awaited flight already read

    public bool Done => _stage == 2;

    /// <summary>Consumes handshake bytes of the <paramref name="bytes"/> read, sending the server's answers
    /// through <paramref name="send"/>; returns what is left for the application.</summary>
    public int Consume(int bytes, Action<int> send)
    {
        while (bytes > 0 && _stage < 2)
        {
            int want = (_stage == 0 ? TlsFlights.ClientHello : TlsFlights.ClientSecond(version)) - _partial;
            if (bytes < want)
            {
                _partial += bytes;
                return 0;
            }
            bytes -= want;
            _partial = 0;
            if (_stage == 0)
                send(TlsFlights.ServerFlight);
            else if (version == TlsVersion.Tls12)
                send(TlsFlights.ServerFinished12);
            _stage++;
        }
        return bytes;
    }
}
