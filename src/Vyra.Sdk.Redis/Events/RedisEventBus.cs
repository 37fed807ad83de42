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
/// Plugin events over Redis (<see cref="Vyra.Sdk.PluginEvent"/>, the kernel's type): VYRA's <c>plugin/logic_event</c> messages on one channel, published by any host (see
/// <see cref="RedisHostFunctions"/>, the target of the guest's <c>host_emit_event</c>) and delivered to every
/// subscription whose globs match — to a runtime's <see cref="PluginRuntime.OnEventAsync"/> or to a handler. Delivery
/// is Redis pub/sub: immediate, in order per subscription, and only to subscribers connected at the time.
/// Events are signed with the bus's <see cref="RedisWireSecurity"/> key and carry the publisher's sender id and send
/// time; a received event is dropped (and counted in <see cref="DroppedCount"/>) when it is larger than
/// <see cref="MaxEventBytes"/>, not signed by an accepted key allowed for its sender, older than
/// <see cref="RedisWireSecurity.MaxEventAge"/>, or published as a plugin id the <see cref="RedisAuthorization"/>
/// does not let that sender speak for.
/// </summary>
public sealed class RedisEventBus : IAsyncDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly RedisKeyspace _keys;
    private readonly ILogger _logger;
    private readonly WireSigner _signer;
    private readonly LogThrottle _drops = new(TimeSpan.FromSeconds(1));
    private readonly RedisAuthorization? _authorization;
    private long _dropped;
    private readonly ConcurrentDictionary<Subscription, byte> _subscriptions = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ChannelMessageQueue? _queue;
    private bool _disposed;

    /// <summary>Creates the bus on <paramref name="redis"/>.</summary>
    /// <param name="redis">The connection; owned by the caller.</param>
    /// <param name="security">This process's sender id and the keys it signs with and accepts.</param>
    /// <param name="keyspace">The Redis names (default <c>vyra</c>).</param>
    /// <param name="loggerFactory">Where dropped events are logged.</param>
    /// <param name="authorization">Who may publish as which plugin id; null: every authenticated sender as any.</param>
    public RedisEventBus(IConnectionMultiplexer redis, RedisWireSecurity security, RedisKeyspace? keyspace = null, ILoggerFactory? loggerFactory = null, RedisAuthorization? authorization = null)
    {
        _redis = redis ?? throw new ArgumentNullException(nameof(redis));
        _signer = (security ?? throw new ArgumentNullException(nameof(security))).CreateSigner(nameof(RedisEventBus));
        _authorization = authorization;
        _keys = keyspace ?? RedisKeyspace.Default;
        _logger = loggerFactory?.CreateLogger<RedisEventBus>() ?? NullLogger<RedisEventBus>.Instance;
    }

    /// <summary>The largest event accepted (default 1 MiB); larger ones are dropped unread and are not published.</summary>
    public int MaxEventBytes { get; init; } = 1 << 20;

    /// <summary>Received events dropped: too large, malformed, unsigned or forged, too old, or from a sender not allowed to publish as their plugin.</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <summary>Publishes an event; returns how many connections received it.</summary>
    public async Task<long> PublishAsync(PluginEvent pluginEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pluginEvent);
        cancellationToken.ThrowIfCancellationRequested();
        var json = Serialize(pluginEvent, _signer.SenderId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        if (Encoding.UTF8.GetByteCount(json) > MaxEventBytes)
        {
            throw new ArgumentException($"event '{pluginEvent.EventName}' is larger than {MaxEventBytes} bytes", nameof(pluginEvent));
        }
        var message = _signer.Wrap(WireSigner.KindEvent, _keys.Prefix, _keys.EventChannelName, json);
        return await _redis.GetSubscriber().PublishAsync(_keys.EventChannel, message).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Publishes <c>{"event_name", "plugin_id", "data", "error"}</c>; <paramref name="data"/> is serialized to JSON
    /// (a <see cref="JsonElement"/> or <see cref="System.Text.Json.Nodes.JsonNode"/> as it is).
    /// </summary>
    public Task<long> PublishAsync(string pluginId, string eventName, object? data, string? error = null, CancellationToken cancellationToken = default) =>
        PublishAsync(new PluginEvent(eventName, pluginId, WireJson.ToElement(data), error), cancellationToken);

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
            await runtime.OnEventAsync(e.EventName, EventData(e), ct).ConfigureAwait(false);
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
        var pluginEvent = Accept(message, out var problem);
        if (pluginEvent is null)
        {
            Interlocked.Increment(ref _dropped);
            if (_drops.TryEnter(out var suppressed))
            {
                _logger.LogWarning("Dropped a message on {Channel}: {Problem} ({Suppressed} more dropped since the last report)", _keys.EventChannel, problem, suppressed);
            }
            return;
        }
        foreach (var subscription in _subscriptions.Keys)
        {
            if (EventGlob.MatchesAny(subscription.Globs, pluginEvent.EventName)) subscription.Post(pluginEvent);
        }
    }

    /// <summary>The event in <paramref name="message"/> when every check passes; null with the reason otherwise.</summary>
    private PluginEvent? Accept(RedisValue message, out string? problem)
    {
        if (message.Length() > MaxEventBytes + 256)
        {
            problem = $"the message is {message.Length()} bytes, more than {MaxEventBytes}";
            return null;
        }
        var json = _signer.Unwrap(WireSigner.KindEvent, _keys.Prefix, _keys.EventChannelName, (string?)message ?? "", out var key, out problem);
        if (json is null) return null;
        var parsed = Parse(json, out var sender, out var sent);
        if (parsed is null) { problem = "it is not a plugin event"; return null; }
        if (sender is null ? key is not null : !WireNames.IsSenderId(sender) || !WireSigner.KeyAllows(key, sender))
        {
            problem = $"key '{key?.Id}' may not sign for sender '{sender}'";
            return null;
        }
        if (_signer.EventAgeProblem(key, sent, parsed.EventName, sender) is { } stale)
        {
            problem = stale;
            return null;
        }
        if (_authorization is { } authorization && !authorization.MayPublish(sender ?? "", parsed.PluginId))
        {
            problem = $"sender '{sender}' may not publish events as plugin '{parsed.PluginId}'";
            return null;
        }
        return parsed;
    }

    /// <summary>What a subscribed runtime's <c>on_event</c> receives as its data: <c>{"plugin_id", "data", "error"}</c>, the data as plain .NET values.</summary>
    internal static IReadOnlyDictionary<string, object?> EventData(PluginEvent pluginEvent) => new Dictionary<string, object?>
    {
        ["plugin_id"] = pluginEvent.PluginId,
        ["data"] = WireJson.Natural(pluginEvent.Data),
        ["error"] = pluginEvent.Error,
    };

    internal static string Serialize(PluginEvent pluginEvent, string? sender = null, long? sentUnixMs = null)
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
            if (sender is not null) writer.WriteString("sender", sender);
            if (sentUnixMs is { } sent) writer.WriteNumber("sent", sent);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    internal static PluginEvent? Parse(string? text) => Parse(text, out _, out _);

    internal static PluginEvent? Parse(string? text, out string? sender, out long? sent, int maxDepth = 32)
    {
        sender = null;
        sent = null;
        if (string.IsNullOrEmpty(text)) return null;
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = maxDepth });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            if (!root.TryGetProperty("event_name", out var name) || name.ValueKind != JsonValueKind.String) return null;
            var pluginId = root.TryGetProperty("plugin_id", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";
            var data = root.TryGetProperty("data", out var d) ? d.Clone() : WireJson.Null;
            var error = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            sender = root.TryGetProperty("sender", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            sent = root.TryGetProperty("sent", out var t) && t.TryGetInt64(out var ms) ? ms : null;
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
