namespace Zombiesim.Core.Clients;

/// <summary>What a <see cref="PooledClient"/> draws for its connections: the CPU time to set one up, its lifetime (when
/// the pool has a maximum), and the library's delay before reconnect attempt n (from 1) to retry a command.</summary>
internal sealed record ConnectionDraws(Func<TimeSpan> Setup, Func<TimeSpan> Lifetime, Func<int, TimeSpan> Reconnect);
