namespace Vyra.Sdk;

/// <summary>A subscription to one topic, from <see cref="IInterfaceFactory.CreateSubscriberAsync"/>; dispose to stop receiving.</summary>
public interface IBusSubscription : IAsyncDisposable
{
    /// <summary>The topic.</summary>
    InterfaceAddress Address { get; }
}
