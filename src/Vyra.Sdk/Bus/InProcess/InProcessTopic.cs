namespace Vyra.Sdk;

/// <summary>
/// One topic address of an <see cref="InProcessBus"/>: its subscriptions, as a copy-on-write array so a publish reads
/// them without a lock. Adds and removals (rare) take the topic's lock; a topic whose last subscription left is closed
/// and forgotten, and a late add to a closed topic is refused so the bus makes a fresh one.
/// </summary>
internal sealed class InProcessTopic(InterfaceAddress address)
{
    private readonly object _gate = new();
    private volatile InProcessSubscription[] _subscribers = [];
    private bool _closed;

    public InterfaceAddress Address { get; } = address;

    public InProcessSubscription[] Subscribers => _subscribers;

    public bool TryAdd(InProcessSubscription subscription, int max)
    {
        lock (_gate)
        {
            if (_closed) return false;
            var current = _subscribers;
            if (current.Length >= max)
                throw new BusFullException($"topic '{Address}' already has {max} subscriptions (InProcessBusOptions.MaxSubscribersPerAddress)");
            _subscribers = [.. current, subscription];
            return true;
        }
    }

    /// <summary>Removes <paramref name="subscription"/>; true when the topic is now empty and closed (the bus forgets it).</summary>
    public bool Remove(InProcessSubscription subscription)
    {
        lock (_gate)
        {
            var current = _subscribers;
            var index = Array.IndexOf(current, subscription);
            if (index < 0) return false;
            _subscribers = current.Length == 1 ? [] : [.. current[..index], .. current[(index + 1)..]];
            _closed = _subscribers.Length == 0;
            return _closed;
        }
    }
}
