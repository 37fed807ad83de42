using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Vyra.Sdk.Redis;

/// <summary>
/// One subscriber of a topic: its own handler on the topic's channel (StackExchange.Redis keeps one Redis subscription
/// per channel and calls every handler), its own bounded inbox and worker, so a slow handler delays only itself and
/// drops only its own events once <see cref="RedisInterfaceFactoryOptions.MaxPendingEvents"/> are waiting.
/// </summary>
internal sealed class RedisBusSubscription : IBusSubscription
{
    private readonly RedisInterfaceFactory _factory;
    private readonly Func<PluginEvent, CancellationToken, ValueTask> _onEvent;
    private readonly Action<RedisChannel, RedisValue> _onMessage;
    private readonly RedisChannel _channel;
    private readonly string _channelName;
    private readonly Inbox<RedisValue> _inbox;
    private int _disposed;

    public RedisBusSubscription(RedisInterfaceFactory factory, InterfaceAddress address, Func<PluginEvent, CancellationToken, ValueTask> onEvent)
    {
        _factory = factory;
        _onEvent = onEvent;
        Address = address;
        _channel = factory.Keys.TopicChannel(address);
        _channelName = factory.Keys.TopicChannelName(address);
        _inbox = new Inbox<RedisValue>(factory.Options.MaxPendingEvents, DeliverAsync);
        _onMessage = OnMessage;
    }

    public InterfaceAddress Address { get; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await VyraRedis.RetryWhileConnectingAsync(() => _factory.Redis.GetSubscriber().SubscribeAsync(_channel, _onMessage), VyraRedis.StartPatience, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await _inbox.StopAsync(TimeSpan.Zero).ConfigureAwait(false);
            throw;
        }
    }

    // On StackExchange.Redis's thread: a length check and a hand-off, nothing else.
    private void OnMessage(RedisChannel channel, RedisValue message)
    {
        if (_factory.TooLarge(message))
        {
            _factory.Drop(_channelName, $"an event of {message.Length()} bytes (at most {_factory.Options.MaxMessageBytes})");
            return;
        }
        if (!_inbox.Post(message) && Volatile.Read(ref _disposed) == 0)
        {
            _factory.Drop(_channelName, $"the subscriber's inbox is full ({_factory.Options.MaxPendingEvents} events wait for its handler)");
        }
    }

    private async Task DeliverAsync(RedisValue message, CancellationToken stop)
    {
        var pluginEvent = Accept(message, out var problem);
        if (pluginEvent is null)
        {
            _factory.Drop(_channelName, problem!);
            return;
        }
        try
        {
            await _onEvent(pluginEvent, stop).ConfigureAwait(false);
        }
        catch (Exception ex) when (!stop.IsCancellationRequested)
        {
            // A handler that throws loses this event only (IInterfaceFactory's contract).
            _factory.Logger.LogWarning(ex, "A subscriber of {Address} failed on event {Event} from {Plugin}", Address, pluginEvent.EventName, pluginEvent.PluginId);
        }
    }

    /// <summary>The event when its MAC, sender, age and authorization check out; null with the reason otherwise.</summary>
    private PluginEvent? Accept(RedisValue message, out string? problem)
    {
        var signer = _factory.Signer;
        var json = signer.Unwrap(WireSigner.KindBusEvent, _factory.Keys.Prefix, _channelName, (string?)message ?? "", out var key, out problem);
        if (json is null) return null;
        var pluginEvent = RedisEventBus.Parse(json, out var sender, out var sent, _factory.Options.MaxJsonDepth);
        if (pluginEvent is null)
        {
            problem = "it is not a plugin_event (or nested deeper than MaxJsonDepth)";
            return null;
        }
        if (key is not null && (sender is null || !WireNames.IsSenderId(sender) || !key.Allows(sender)))
        {
            problem = $"key '{key.Id}' may not sign for sender '{sender}'";
            return null;
        }
        if (signer.EventAgeProblem(key, sent, pluginEvent.EventName, sender) is { } stale)
        {
            problem = stale;
            return null;
        }
        if (_factory.Options.Authorization is { } authorization && !authorization.MayPublish(sender ?? "", pluginEvent.PluginId))
        {
            problem = $"sender '{sender}' may not publish as plugin '{pluginEvent.PluginId}'";
            return null;
        }
        problem = null;
        return pluginEvent;
    }

    /// <summary>Unsubscribes, then stops the worker: after this returns no event is delivered any more.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _factory.Untrack(this);
        try
        {
            await _factory.Redis.GetSubscriber().UnsubscribeAsync(_channel, _onMessage).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException or TimeoutException)
        {
            // The subscription goes with the connection.
        }
        await _inbox.StopAsync(_factory.Options.ShutdownGrace).ConfigureAwait(false);
    }
}
