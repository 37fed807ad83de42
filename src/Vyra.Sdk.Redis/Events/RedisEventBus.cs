using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Vyra.Sdk.Redis;

/// <summary>
/// Plugin events over Redis: VYRA's <c>plugin/logic_event</c> messages on one channel, published by any host (see
/// <see cref="RedisHostFunctions"/>, the target of the guest's <c>host_emit_event</c>) and delivered to every
/// subscription whose globs match — to a runtime's <see cref="PluginRuntime.OnEventAsync"/> or to a handler. Delivery
/// is Redis pub/sub: immediate, in order per subscription, and only to subscribers connected at the time.
/// </summary>
public sealed class RedisEventBus : IAsyncDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly RedisKeyspace _keys;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Subscription, byte> _subscriptions = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ChannelMessageQueue? _queue;
    private bool _disposed;

    /// <summary>Creates the bus on <paramref name="redis"/>.</summary>
    public RedisEventBus(IConnectionMultiplexer redis, RedisKeyspace? keyspace = null, ILoggerFactory? loggerFactory = null)
    {
        _redis = redis ?? throw new ArgumentNullException(nameof(redis));
        _keys = keyspace ?? RedisKeyspace.Default;
        _logger = loggerFactory?.CreateLogger<RedisEventBus>() ?? NullLogger<RedisEventBus>.Instance;
    }

    /// <summary>Publishes an event; returns how many connections received it.</summary>
    public async Task<long> PublishAsync(PluginEvent pluginEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pluginEvent);
        cancellationToken.ThrowIfCancellationRequested();
        return await _redis.GetSubscriber().PublishAsync(_keys.EventChannel, Serialize(pluginEvent)).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Publishes <c>{"event_name", "plugin_id", "data", "error"}</c>.</summary>
    public Task<long> PublishAsync(string pluginId, string eventName, object? data, string? error = null, CancellationToken cancellationToken = default) =>
        PublishAsync(new PluginEvent(eventName, pluginId, data, error), cancellationToken);

    /// <summary>Calls <paramref name="handler"/>, one event after the other, for each event matching <paramref name="globs"/> (null: all).</summary>
    public async Task<IAsyncDisposable> SubscribeAsync(Func<PluginEvent, CancellationToken, ValueTask> handler, IReadOnlyList<string>? globs = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        await EnsureSubscribedAsync(cancellationToken).ConfigureAwait(false);
        var subscription = new Subscription(this, handler, globs?.ToArray());
        _subscriptions[subscription] = 0;
        return subscription;
    }

    /// <summary>
    /// Delivers matching events to <paramref name="runtime"/>'s <see cref="PluginRuntime.OnEventAsync"/> with data
    /// <c>{"plugin_id", "data", "error"}</c>. <paramref name="globs"/> null: the manifest's <c>events</c> of a
    /// <see cref="WasmRuntime"/>, else all events. <paramref name="skipOwnEvents"/>: not the events of its own plugin id.
    /// </summary>
    public Task<IAsyncDisposable> SubscribeAsync(PluginRuntime runtime, IReadOnlyList<string>? globs = null, bool skipOwnEvents = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        globs ??= (runtime as WasmRuntime)?.Manifest?.Events;
        return SubscribeAsync(async (e, ct) =>
        {
            if (skipOwnEvents && e.PluginId == runtime.PluginId) return;
            await runtime.OnEventAsync(e.EventName, e.ToEventData(), ct).ConfigureAwait(false);
        }, globs, cancellationToken);
    }

    /// <summary>Ends every subscription and the Redis subscription.</summary>
    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed) return;
            _disposed = true;
            if (_queue is { } queue)
            {
                try
                {
                    await queue.UnsubscribeAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RedisException or ObjectDisposedException or TimeoutException)
                {
                }
            }
        }
        finally
        {
            _gate.Release();
        }
        foreach (var subscription in _subscriptions.Keys) await subscription.DisposeAsync().ConfigureAwait(false);
    }

    private async Task EnsureSubscribedAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_queue is not null) return;
            ChannelMessageQueue? queue = null;
            await VyraRedis.RetryWhileConnectingAsync(async () => queue = await _redis.GetSubscriber().SubscribeAsync(_keys.EventChannel).ConfigureAwait(false), VyraRedis.StartPatience, cancellationToken).ConfigureAwait(false);
            queue!.OnMessage(message => Dispatch(message.Message));
            _queue = queue;
        }
        finally
        {
            _gate.Release();
        }
    }

    private void Dispatch(RedisValue message)
    {
        var pluginEvent = Parse(message);
        if (pluginEvent is null)
        {
            _logger.LogDebug("Ignoring a message on {Channel} that is not a plugin event", _keys.EventChannel);
            return;
        }
        foreach (var subscription in _subscriptions.Keys)
        {
            if (EventGlob.MatchesAny(subscription.Globs, pluginEvent.EventName)) subscription.Post(pluginEvent);
        }
    }

    internal static string Serialize(PluginEvent pluginEvent)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("event_name", pluginEvent.EventName);
            writer.WriteString("plugin_id", pluginEvent.PluginId);
            writer.WritePropertyName("data");
            WireJson.WriteValue(writer, pluginEvent.Data);
            if (pluginEvent.Error is null) writer.WriteNull("error");
            else writer.WriteString("error", pluginEvent.Error);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    internal static PluginEvent? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            if (!root.TryGetProperty("event_name", out var name) || name.ValueKind != JsonValueKind.String) return null;
            var pluginId = root.TryGetProperty("plugin_id", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";
            var data = root.TryGetProperty("data", out var d) ? WireJson.Natural(d) : null;
            var error = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            return new PluginEvent(name.GetString()!, pluginId, data, error);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed class Subscription : IAsyncDisposable
    {
        private readonly RedisEventBus _bus;
        private readonly Func<PluginEvent, CancellationToken, ValueTask> _handler;
        private readonly Channel<PluginEvent> _events = Channel.CreateUnbounded<PluginEvent>(new UnboundedChannelOptions { SingleReader = true });
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _worker;

        public Subscription(RedisEventBus bus, Func<PluginEvent, CancellationToken, ValueTask> handler, IReadOnlyList<string>? globs)
        {
            _bus = bus;
            _handler = handler;
            Globs = globs;
            _worker = Task.Run(RunAsync);
        }

        public IReadOnlyList<string>? Globs { get; }

        public void Post(PluginEvent pluginEvent) => _events.Writer.TryWrite(pluginEvent);

        private async Task RunAsync()
        {
            try
            {
                await foreach (var pluginEvent in _events.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
                {
                    try
                    {
                        await _handler(pluginEvent, _stop.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (!_stop.IsCancellationRequested)
                    {
                        _bus._logger.LogWarning(ex, "Delivering event {Event} from {Plugin} failed", pluginEvent.EventName, pluginEvent.PluginId);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_bus._subscriptions.TryRemove(this, out _)) return;
            _events.Writer.TryComplete();
            // Events already queued are still delivered; a handler that hangs is cancelled after a moment.
            if (await Task.WhenAny(_worker, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false) != _worker)
            {
                _stop.Cancel();
                await _worker.ConfigureAwait(false);
            }
            _stop.Dispose();
        }
    }
}
