using System.Text;

namespace Vyra.Sdk.Redis;

/// <summary>Publishes on a topic's channel: VYRA's <c>plugin_event</c> JSON plus the sender id and send time, signed.</summary>
internal sealed class RedisBusPublisher(RedisInterfaceFactory factory, InterfaceAddress address) : IBusPublisher
{
    private readonly string _channelName = factory.Keys.TopicChannelName(address);

    public InterfaceAddress Address { get; } = address;

    public async ValueTask PublishAsync(PluginEvent message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ObjectDisposedException.ThrowIf(factory.IsDisposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        var json = RedisEventBus.Serialize(message, factory.SenderId, RedisInterfaceFactory.NowMs());
        var size = Encoding.UTF8.GetByteCount(json);
        if (size > factory.Options.MaxMessageBytes)
        {
            throw new ArgumentException($"the event on '{Address}' is {size} bytes of JSON; at most {factory.Options.MaxMessageBytes} are sent (RedisInterfaceFactoryOptions.MaxMessageBytes)", nameof(message));
        }
        var signed = factory.Signer.Wrap(WireSigner.KindBusEvent, factory.Keys.Prefix, _channelName, json);
        await factory.Redis.GetSubscriber().PublishAsync(factory.Keys.TopicChannel(Address), signed).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync()
    {
        factory.Untrack(this);
        return ValueTask.CompletedTask;
    }
}
