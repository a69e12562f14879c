using Zombiesim.Tcp;

namespace Zombiesim.Core.Connections;

/// <summary>The part a socket's application events go to (<see cref="ConnectionRegistry.Own(TcpConnection, ISocketOwner)"/>):
/// an object the part already has, so that owning a socket allocates no delegate.</summary>
internal interface ISocketOwner
{
    void OnSocketEvent(TcpConnection socket, TcpEvent e);
}
