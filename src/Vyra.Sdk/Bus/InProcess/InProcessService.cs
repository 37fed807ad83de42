namespace Vyra.Sdk;

/// <summary>
/// One service address of an <see cref="InProcessBus"/>: its servers (copy-on-write array) and the round-robin turn
/// that shares requests between them. Like a topic, an emptied service is closed and forgotten.
/// </summary>
internal sealed class InProcessService(InterfaceAddress address)
{
    private readonly object _gate = new();
    private volatile InProcessServer[] _servers = [];
    private bool _closed;
    private int _turn;

    public InterfaceAddress Address { get; } = address;

    public bool TryAdd(InProcessServer server, int max)
    {
        lock (_gate)
        {
            if (_closed) return false;
            var current = _servers;
            if (current.Length >= max)
                throw new BusFullException($"service '{Address}' already has {max} servers (InProcessBusOptions.MaxServersPerAddress)");
            _servers = [.. current, server];
            return true;
        }
    }

    public bool Remove(InProcessServer server)
    {
        lock (_gate)
        {
            var current = _servers;
            var index = Array.IndexOf(current, server);
            if (index < 0) return false;
            _servers = current.Length == 1 ? [] : [.. current[..index], .. current[(index + 1)..]];
            _closed = _servers.Length == 0;
            return _closed;
        }
    }

    /// <summary>
    /// The next server in turn that has room for one more request (reserved for the caller), or null with
    /// <paramref name="any"/> saying whether there was a server at all.
    /// </summary>
    public InProcessServer? Next(out bool any)
    {
        var servers = _servers;
        any = servers.Length > 0;
        if (!any) return null;
        var start = (int)((uint)Interlocked.Increment(ref _turn) % (uint)servers.Length);
        for (var i = 0; i < servers.Length; i++)
        {
            var server = servers[(start + i) % servers.Length];
            if (server.TryReserve()) return server;
        }
        return null;
    }
}
