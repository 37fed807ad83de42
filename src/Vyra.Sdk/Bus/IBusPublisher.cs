namespace Vyra.Sdk;

/// <summary>A publisher on one topic, from <see cref="IInterfaceFactory.CreatePublisherAsync"/>.</summary>
public interface IBusPublisher : IAsyncDisposable
{
    /// <summary>The topic.</summary>
    InterfaceAddress Address { get; }

    /// <summary>Publishes <paramref name="message"/> to the topic's current subscribers (fire and forget: completes when handed to the transport).</summary>
    ValueTask PublishAsync(PluginEvent message, CancellationToken cancellationToken = default);
}
