using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Vyra.Sdk;

/// <summary>
/// The embedded transport: topics and services inside one process, with no set-up. <see cref="Shared"/> is what
/// <see cref="BaseHostFunctions"/> uses by default; create your own to keep a group of plugins apart.
/// <para>
/// Topics fan out to every subscription of the exact address. Each subscription has its own bounded queue and
/// delivers in order, never on the publisher's thread and without the publisher's execution context (a delivery is not
/// a nested call of the publisher): a plugin's <c>on_event</c> is handed to its guest thread straight from the publish
/// when nothing is queued for it, any other handler runs on the thread pool. When its queue is full an event is
/// dropped for that subscriber only, counted (<c>vyra.bus.dropped</c>) and logged. Services may have several servers, which share the requests
/// round-robin; a request to an address nobody serves fails at once (<c>no server for '…'</c>) instead of waiting
/// out its timeout. docs/bus.md ("Transports") has the design.
/// </para>
/// </summary>
public sealed class InProcessBus : IInterfaceFactory
{
    private readonly ConcurrentDictionary<InterfaceAddress, InProcessTopic> _topics = new();
    private readonly ConcurrentDictionary<InterfaceAddress, InProcessService> _services = new();

    /// <summary>Creates a bus with <paramref name="options"/> (default <see cref="InProcessBusOptions.Default"/>), logging drops and failing handlers to <paramref name="logger"/>.</summary>
    public InProcessBus(InProcessBusOptions? options = null, ILogger? logger = null)
    {
        Options = options ?? InProcessBusOptions.Default;
        Options.Validate();
        Logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The process's bus, the default of every <see cref="BaseHostFunctions"/>.</summary>
    public static InProcessBus Shared { get; } = new();

    /// <summary>The bounds in force.</summary>
    public InProcessBusOptions Options { get; }

    internal ILogger Logger { get; }

    /// <inheritdoc />
    public ValueTask<IBusPublisher> CreatePublisherAsync(InterfaceAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        return new(new InProcessPublisher(this, address));
    }

    /// <inheritdoc />
    public ValueTask<IBusSubscription> CreateSubscriberAsync(InterfaceAddress address, Func<PluginEvent, CancellationToken, ValueTask> onEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(onEvent);
        cancellationToken.ThrowIfCancellationRequested();
        while (true)
        {
            var topic = _topics.GetOrAdd(address, a => new InProcessTopic(a));
            var subscription = new InProcessSubscription(this, topic, onEvent);
            // A topic emptied (and removed) between the lookup and the add refuses it: take the fresh one.
            if (topic.TryAdd(subscription, Options.MaxSubscribersPerAddress)) return new(subscription.Start());
        }
    }

    /// <inheritdoc />
    public ValueTask<IServiceServer> CreateServerAsync(InterfaceAddress address, Func<ServiceRequest, CancellationToken, ValueTask<ServiceResponse>> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(handler);
        cancellationToken.ThrowIfCancellationRequested();
        while (true)
        {
            var service = _services.GetOrAdd(address, a => new InProcessService(a));
            var server = new InProcessServer(this, service, handler);
            if (service.TryAdd(server, Options.MaxServersPerAddress)) return new(server);
        }
    }

    /// <inheritdoc />
    public ValueTask<IServiceClient> CreateClientAsync(InterfaceAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        return new(new InProcessClient(this, address));
    }

    /// <summary>Hands <paramref name="message"/> to every current subscription of <paramref name="address"/>; never waits for one.</summary>
    internal void Publish(InterfaceAddress address, PluginEvent message)
    {
        if (!_topics.TryGetValue(address, out var topic)) return;
        foreach (var subscription in topic.Subscribers) subscription.Offer(message);
    }

    /// <summary>How many subscriptions <paramref name="address"/> has now (diagnostics and tests).</summary>
    internal int SubscriberCount(InterfaceAddress address) => _topics.TryGetValue(address, out var topic) ? topic.Subscribers.Length : 0;

    /// <summary>The subscriptions of <paramref name="address"/> now (tests).</summary>
    internal InProcessSubscription[] SubscriptionsOf(InterfaceAddress address) => _topics.TryGetValue(address, out var topic) ? topic.Subscribers : [];

    /// <summary>The service at <paramref name="address"/>, or null when nobody serves it.</summary>
    internal InProcessService? FindService(InterfaceAddress address) => _services.TryGetValue(address, out var service) ? service : null;

    /// <summary>Forgets a topic whose last subscription left (so addresses nobody uses any more hold no memory).</summary>
    internal void Forget(InProcessTopic topic) => _topics.TryRemove(new KeyValuePair<InterfaceAddress, InProcessTopic>(topic.Address, topic));

    /// <summary>Forgets a service whose last server left.</summary>
    internal void Forget(InProcessService service) => _services.TryRemove(new KeyValuePair<InterfaceAddress, InProcessService>(service.Address, service));
}
