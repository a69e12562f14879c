using Zombiesim.Core.Platforms;
using Zombiesim.Tcp;

namespace Zombiesim.Core.Clients;

/// <summary>
/// A client library inside an execution environment: how the function's code holds connections to
/// the server and runs a command on one, with the library's timeouts, retries and checks. It ends
/// each command's invocation through its <see cref="IProcess"/>.
/// </summary>
internal interface IClientLibrary
{
    /// <summary>Runs one command of the invocation; <paramref name="done"/> gets its result.</summary>
    void Command(Invocation inv, Action<Result> done);

    /// <summary>Whether the handler calls the library once its commands succeeded, before it returns
    /// (serverless-mysql's `await mysql.end()`).</summary>
    bool RunsAtEnd => false;

    /// <summary>The handler's last call before it returns, after its commands succeeded with
    /// <paramref name="result"/>; <paramref name="done"/> gets the invocation's result.</summary>
    void End(Invocation inv, Result result, Action<Result> done) => done(result);

    /// <summary>The socket event the process let through.</summary>
    void OnSocketEvent(TcpConnection socket, TcpEvent e);

    /// <summary>The invocation ended: forget it and its timeouts.</summary>
    void Finished();

    /// <summary>The platform kills the invocation (function timeout): the process's sockets close.
    /// Returns the name of the connection the command was on, if any.</summary>
    string? Abandon();

    /// <summary>The environment waits for the next invocation (background work may run).</summary>
    void Idle();

    /// <summary>The environment is reused or destroyed: background work stops.</summary>
    void Pause();

    /// <summary>The environment is frozen: the process and its timers stop.</summary>
    void Freeze();

    /// <summary>The environment was thawed by an invocation: called once before its handler runs and
    /// once after it started, so that timers overdue at the thaw can run on either side.</summary>
    void Thawed(bool beforeHandler);

    /// <summary>Whether the library holds connections a shutdown hook would close.</summary>
    bool HoldsConnections { get; }

    /// <summary>A shutdown hook closes the library's connections cleanly.</summary>
    void CloseAll();

    /// <summary>The function's init code connects before any event (a client created at module scope).</summary>
    void ConnectInInit()
    {
    }

    /// <summary>The instant until which the library's own timers (a pool's idle timers) are pending;
    /// null: none. A platform hook (Vercel's attachDatabasePool) keeps the instance running until then.</summary>
    TimeSpan? PendingTimersUntil => null;
}
