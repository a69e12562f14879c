namespace Zombiesim.Core.Servers.Kinds;

/// <summary>
/// An HTTP/1.1 server (nginx 1.31.5, src/http/ngx_http_core_module.c: `keepalive_timeout` 75 s,
/// `keepalive_requests` 1000; Node.js http `server.keepAliveTimeout` 5 s): one request at a time per
/// connection; the idle close after the keep-alive timeout and the close after the last allowed
/// request write nothing more (the last response said "Connection: close").
/// </summary>
internal sealed class HttpKind : ServerKind
{
    public static HttpKind Instance { get; } = new();

    public override bool OneRequestAtATime => true;
}
