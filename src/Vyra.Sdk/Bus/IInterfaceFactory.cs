namespace Vyra.Sdk;

/// <summary>
/// The module's interface factory (VYRA §6): the only way plugins communicate. The in-process bus
/// (<see cref="InProcessBus"/>) is the default; <c>Vyra.Sdk.Redis</c> provides one across machines. Plugins never see
/// a factory directly: every operation passes the plugin's <see cref="PluginFacade"/> first (permission, then throttle).
/// Handles are disposed to stop publishing, receiving or serving; a factory bounds what one caller can hold.
/// </summary>
public interface IInterfaceFactory
{
    /// <summary>Creates a publisher for the topic at <paramref name="address"/>.</summary>
    ValueTask<IBusPublisher> CreatePublisherAsync(InterfaceAddress address, CancellationToken cancellationToken = default);

    /// <summary>
    /// Subscribes <paramref name="onEvent"/> to the topic at <paramref name="address"/>. Events are delivered
    /// asynchronously, never on the publisher's thread; a handler that throws loses that event only.
    /// </summary>
    ValueTask<IBusSubscription> CreateSubscriberAsync(InterfaceAddress address, Func<PluginEvent, CancellationToken, ValueTask> onEvent, CancellationToken cancellationToken = default);

    /// <summary>Serves the service at <paramref name="address"/> with <paramref name="handler"/>; the handler's reply is sent back.</summary>
    ValueTask<IServiceServer> CreateServerAsync(InterfaceAddress address, Func<ServiceRequest, CancellationToken, ValueTask<ServiceResponse>> handler, CancellationToken cancellationToken = default);

    /// <summary>Creates a client of the service at <paramref name="address"/>.</summary>
    ValueTask<IServiceClient> CreateClientAsync(InterfaceAddress address, CancellationToken cancellationToken = default);
}
