namespace Vyra.Sdk;

/// <summary>A publisher on an <see cref="InProcessBus"/> topic: hands each event to the topic's current subscriptions' queues.</summary>
internal sealed class InProcessPublisher(InProcessBus bus, InterfaceAddress address) : IBusPublisher
{
    private volatile bool _disposed;

    public InterfaceAddress Address { get; } = address;

    public ValueTask PublishAsync(PluginEvent message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        bus.Publish(Address, message);
        return default;
    }

    public ValueTask DisposeAsync()
    {
        _disposed = true;
        return default;
    }
}
