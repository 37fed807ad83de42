namespace Vyra.Sdk;

/// <summary>
/// The embedded transport: topics and services inside one process, with no set-up. <see cref="Shared"/> is what
/// <see cref="BaseHostFunctions"/> uses by default; create your own to keep a group of plugins apart.
/// </summary>
public sealed class InProcessBus : IInterfaceFactory
{
    /// <summary>The process's bus, the default of every <see cref="BaseHostFunctions"/>.</summary>
    public static InProcessBus Shared { get; } = new();

    // TODO(bus helper): the real transport replaces these placeholders before this lands.

    /// <inheritdoc />
    public ValueTask<IBusPublisher> CreatePublisherAsync(InterfaceAddress address, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    /// <inheritdoc />
    public ValueTask<IBusSubscription> CreateSubscriberAsync(InterfaceAddress address, Func<PluginEvent, CancellationToken, ValueTask> onEvent, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    /// <inheritdoc />
    public ValueTask<IServiceServer> CreateServerAsync(InterfaceAddress address, Func<ServiceRequest, CancellationToken, ValueTask<ServiceResponse>> handler, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    /// <inheritdoc />
    public ValueTask<IServiceClient> CreateClientAsync(InterfaceAddress address, CancellationToken cancellationToken = default) => throw new NotSupportedException();
}
