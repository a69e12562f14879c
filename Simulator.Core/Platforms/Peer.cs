using Zombiesim.Core.Observation;

namespace Zombiesim.Core.Platforms;

/// <summary>
/// Who is at a client address, as the server's side sees it: the environment while it lives; once it is destroyed,
/// only its name and function, by which the server's sockets still open to it (zombies) are counted and explained
/// for the rest of the run. The environment itself goes (a day of a pooled fleet destroys thousands).
/// </summary>
internal sealed class Peer(Environment environment)
{
    private Environment? _live = environment;

    public string Name { get; } = environment.Name;
    public FunctionRuntime Function { get; } = environment.Function;
    public EnvironmentState State => _live?.State ?? EnvironmentState.Destroyed;

    /// <summary>The environment, until it is destroyed.</summary>
    public Environment? Live => _live;

    internal void Departed() => _live = null;
}
