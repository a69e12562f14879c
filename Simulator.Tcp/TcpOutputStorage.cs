namespace Zombiesim.Tcp;

/// <summary>
/// The output batches of a world's hosts, kept for the next world a thread builds (a search runs thousands of small
/// worlds one after another, and would otherwise allocate a host's batches anew in each). <see cref="Reclaim"/> takes
/// every batch back, emptied, once no host that used one will run again. Hosts built without one allocate their own.
/// </summary>
public sealed class TcpOutputStorage
{
    private readonly List<TcpOutputs.Batch> _batches = new();
    private int _handedOut;

    internal TcpOutputs.Batch Take()
    {
        if (_handedOut == _batches.Count)
            _batches.Add(new TcpOutputs.Batch());
        return _batches[_handedOut++];
    }

    /// <summary>Takes back every batch handed out: the hosts that hold them must never run again.</summary>
    public void Reclaim()
    {
        for (int i = 0; i < _handedOut; i++)
            _batches[i].Reset();
        _handedOut = 0;
    }
}
