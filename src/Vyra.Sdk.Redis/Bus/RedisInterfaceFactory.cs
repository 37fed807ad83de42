using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Vyra.Sdk.Redis;

/// <summary>
/// The module's interface factory over Redis (VYRA §6): plugins on several hosts publish, subscribe, request and serve
/// through one Redis. Give it to the host functions (<c>new RedisHostFunctions(events, factory)</c>, or any
/// <see cref="BaseHostFunctions"/> constructor's <c>interfaces</c>); every operation still passes each plugin's
/// <see cref="PluginFacade"/> first.
/// <list type="bullet">
/// <item>A topic is a pub/sub channel, <c>{prefix}:bus:topic:{address}</c>; an event crosses as VYRA's <c>plugin_event</c>
/// JSON and reaches the subscribers connected at the time (at most once, in order per subscription).</item>
/// <item>A service is a list, <c>{prefix}:bus:svc:{address}</c>: a client pushes its request (LPUSH, refused when the list
/// holds <see cref="RedisInterfaceFactoryOptions.MaxQueueLength"/>), every server of the service pops (RPOP, atomic) when
/// woken on <c>{prefix}:bus:wake:{address}</c> or every <see cref="RedisInterfaceFactoryOptions.PollInterval"/>, so
/// servers on several hosts share the load and each request is taken by exactly one. The server answers on the
/// requesting sender's channel <c>{prefix}:bus:reply:{sender}</c>, derived from the authenticated sender id. A request
/// still waiting at its deadline is skipped (<see cref="ExpiredCount"/>), never run; its client has answered itself
/// "timeout". A server that dies holding a request loses it: delivery is at most once.</item>
/// </list>
/// Every message is signed with <see cref="RedisInterfaceFactoryOptions.Security"/>'s key; an unsigned, forged,
/// oversized, malformed, too deep, replayed or unauthorized message is dropped, logged (throttled) and counted in
/// <see cref="DroppedCount"/>. Handlers never run on StackExchange.Redis's message thread: each subscription and the
/// reply channel hand messages to a bounded inbox of their own, and requests run on the thread pool. docs/redis.md
/// has the names, shapes and bounds. Disposing the factory disposes every handle it created.
/// </summary>
public sealed class RedisInterfaceFactory : IInterfaceFactory, IAsyncDisposable
{
    // The client's push: refused when the list is full, so a service nobody serves holds a bounded list, which expires
    // once every request in it is past the longest deadline anyone may give.
    private const string PushScript = """
        if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
        local n = redis.call('LPUSH', KEYS[1], ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        redis.call('PUBLISH', ARGV[3], '1')
        return n
        """;

    // The server's pop: first trim what a client pushed past the cap without the check (keeping the oldest), then take
    // the oldest request. RPOP is atomic: two servers never take the same entry.
    private const string PopScript = """
        redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
        return redis.call('RPOP', KEYS[1])
        """;

    /// <summary>Clocks of clients and servers differ a little: a deadline this much beyond the maximum is still accepted.</summary>
    internal const long ClockSkewMs = 60_000;

    /// <summary>The signed envelope around the JSON (<c>vyra1:{kid}:{mac}:</c>) is at most this long.</summary>
    internal const int EnvelopeBytes = 128;

    private readonly ConcurrentDictionary<IAsyncDisposable, byte> _handles = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<ServiceResponse>> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _replyGate = new(1, 1);
    private readonly LogThrottle _dropLog = new(TimeSpan.FromSeconds(1));
    private readonly Action<RedisChannel, RedisValue> _onReply;
    private Inbox<RedisValue>? _replies;
    private long _dropped;
    private long _expired;
    private volatile bool _disposed;

    /// <summary>Creates the factory on <paramref name="redis"/> (see <see cref="VyraRedis.ConnectAsync"/>; owned by the caller).</summary>
    public RedisInterfaceFactory(IConnectionMultiplexer redis, RedisInterfaceFactoryOptions options)
    {
        Redis = redis ?? throw new ArgumentNullException(nameof(redis));
        Options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.MaxMessageBytes < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxMessageBytes must be positive");
        if (options.MaxJsonDepth is < 1 or > 1000) throw new ArgumentOutOfRangeException(nameof(options), "MaxJsonDepth must be 1 to 1000");
        if (options.MaxQueueLength < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxQueueLength must be at least 1");
        if (options.MaxConcurrentRequests < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxConcurrentRequests must be at least 1");
        if (options.MaxPendingEvents < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxPendingEvents must be at least 1");
        if (options.MaxPendingRequests < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxPendingRequests must be at least 1");
        if (options.MaxRequestTimeout <= TimeSpan.Zero || options.MaxRequestTimeout > TimeSpan.FromDays(7)) throw new ArgumentOutOfRangeException(nameof(options), "MaxRequestTimeout must be positive and at most 7 days");
        if (options.PollInterval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "PollInterval must be positive");
        if (options.ShutdownGrace < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "ShutdownGrace must not be negative");
        Signer = (options.Security ?? throw new ArgumentException(
            "RedisInterfaceFactoryOptions.Security is required: wire keys, or RedisWireSecurity.Unauthenticated() for development", nameof(options)))
            .CreateSigner(nameof(RedisInterfaceFactoryOptions));
        Keys = options.Keyspace ?? throw new ArgumentException("RedisInterfaceFactoryOptions.Keyspace must not be null", nameof(options));
        Logger = options.LoggerFactory?.CreateLogger<RedisInterfaceFactory>() ?? NullLogger<RedisInterfaceFactory>.Instance;
        _onReply = OnReplyMessage;
    }

    /// <summary>This factory's sender id: its requests are answered on <c>{prefix}:bus:reply:{sender}</c>.</summary>
    public string SenderId => Signer.SenderId;

    /// <summary>
    /// Received messages dropped: unsigned, forged or signed by a key not allowed for their sender, oversized, malformed
    /// or too deeply nested, events too old, requests replayed, senders speaking for a plugin id they may not, and events
    /// or replies that found their inbox full.
    /// </summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <summary>Requests this factory's servers took after their deadline had passed and therefore skipped without running.</summary>
    public long ExpiredCount => Interlocked.Read(ref _expired);

    /// <summary>Requests of this factory's clients waiting for their reply.</summary>
    public int PendingRequestCount => _pending.Count;

    internal IConnectionMultiplexer Redis { get; }

    internal RedisInterfaceFactoryOptions Options { get; }

    internal WireSigner Signer { get; }

    internal RedisKeyspace Keys { get; }

    internal ILogger Logger { get; }

    /// <inheritdoc />
    public ValueTask<IBusPublisher> CreatePublisherAsync(InterfaceAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ValueTask.FromResult<IBusPublisher>(Track(new RedisBusPublisher(this, address)));
    }

    /// <inheritdoc />
    public async ValueTask<IBusSubscription> CreateSubscriberAsync(InterfaceAddress address, Func<PluginEvent, CancellationToken, ValueTask> onEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(onEvent);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var subscription = new RedisBusSubscription(this, address, onEvent);
        await subscription.StartAsync(cancellationToken).ConfigureAwait(false);
        return Track(subscription);
    }

    /// <inheritdoc />
    public async ValueTask<IServiceServer> CreateServerAsync(InterfaceAddress address, Func<ServiceRequest, CancellationToken, ValueTask<ServiceResponse>> handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(handler);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var server = new RedisServiceServer(this, address, handler);
        await server.StartAsync(cancellationToken).ConfigureAwait(false);
        return Track(server);
    }

    /// <inheritdoc />
    public async ValueTask<IServiceClient> CreateClientAsync(InterfaceAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        ObjectDisposedException.ThrowIf(_disposed, this);
        await EnsureRepliesAsync(cancellationToken).ConfigureAwait(false);
        return Track(new RedisServiceClient(this, address));
    }

    /// <summary>Disposes every publisher, subscription, server and client it created; requests still waiting fail with <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var handle in _handles.Keys)
        {
            try
            {
                await handle.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Logger.LogWarning(ex, "Closing a Redis bus handle failed");
            }
        }
        await _replyGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_replies is { } replies)
            {
                await TryAsync(() => Redis.GetSubscriber().UnsubscribeAsync(Keys.BusReplyChannel(SenderId), _onReply)).ConfigureAwait(false);
                await replies.StopAsync(Options.ShutdownGrace).ConfigureAwait(false);
                _replies = null;
            }
        }
        finally
        {
            _replyGate.Release();
        }
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var waiter)) waiter.TrySetException(new ObjectDisposedException(nameof(RedisInterfaceFactory)));
        }
    }

    internal bool IsDisposed => _disposed;

    internal void Untrack(IAsyncDisposable handle) => _handles.TryRemove(handle, out _);

    /// <summary>Counts a dropped message and logs it (at most one line a second: anyone with Redis access can send these as fast as Redis takes them).</summary>
    internal void Drop(string where, string problem)
    {
        Interlocked.Increment(ref _dropped);
        if (_dropLog.TryEnter(out var suppressed))
        {
            Logger.LogWarning("Dropped a message on {Where}: {Problem} ({Suppressed} more dropped since the last report)", where, problem, suppressed);
        }
    }

    internal void CountExpired() => Interlocked.Increment(ref _expired);

    /// <summary>A message too large to be worth reading: JSON past the cap plus the envelope.</summary>
    internal bool TooLarge(RedisValue message) => message.Length() > Options.MaxMessageBytes + EnvelopeBytes;

    /// <summary>Pushes a signed request; false when the service's list is full.</summary>
    internal async Task<bool> PushAsync(InterfaceAddress address, string signed)
    {
        var result = await Redis.GetDatabase().ScriptEvaluateAsync(PushScript, [Keys.ServiceQueue(address)],
            [signed, Options.MaxQueueLength, Keys.ServiceWakeChannelName(address), (long)Options.MaxRequestTimeout.TotalMilliseconds + ClockSkewMs]).ConfigureAwait(false);
        return (long)result >= 0;
    }

    /// <summary>Takes the oldest request of the service, or null when there is none.</summary>
    internal async Task<RedisValue> PopAsync(InterfaceAddress address)
    {
        var result = await Redis.GetDatabase().ScriptEvaluateAsync(PopScript, [Keys.ServiceQueue(address)], [Options.MaxQueueLength]).ConfigureAwait(false);
        return result.IsNull ? RedisValue.Null : (RedisValue)result;
    }

    /// <summary>Registers a request's waiter; null when too many are waiting already.</summary>
    internal TaskCompletionSource<ServiceResponse>? Expect(string requestId)
    {
        if (_pending.Count >= Options.MaxPendingRequests) return null;
        var waiter = new TaskCompletionSource<ServiceResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[requestId] = waiter;
        if (_disposed && _pending.TryRemove(requestId, out _)) throw new ObjectDisposedException(nameof(RedisInterfaceFactory));
        return waiter;
    }

    internal void Forget(string requestId) => _pending.TryRemove(requestId, out _);

    private T Track<T>(T handle) where T : IAsyncDisposable
    {
        _handles[handle] = 0;
        if (_disposed)
        {
            _handles.TryRemove(handle, out _);
            _ = handle.DisposeAsync();
            throw new ObjectDisposedException(nameof(RedisInterfaceFactory));
        }
        return handle;
    }

    /// <summary>Subscribes to this sender's reply channel once, before the first client sends.</summary>
    private async Task EnsureRepliesAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _replies) is not null) return;
        await _replyGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_replies is not null) return;
            var inbox = new Inbox<RedisValue>(4096, (message, _) =>
            {
                Complete(message);
                return Task.CompletedTask;
            });
            Volatile.Write(ref _replies, inbox);
            try
            {
                await VyraRedis.RetryWhileConnectingAsync(() => Redis.GetSubscriber().SubscribeAsync(Keys.BusReplyChannel(SenderId), _onReply), VyraRedis.StartPatience, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                _replies = null;
                await inbox.StopAsync(TimeSpan.Zero).ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            _replyGate.Release();
        }
    }

    // On StackExchange.Redis's thread: only a length check and a hand-off.
    private void OnReplyMessage(RedisChannel channel, RedisValue message)
    {
        if (TooLarge(message))
        {
            Drop(Keys.BusReplyChannelName(SenderId), $"a reply of {message.Length()} bytes (at most {Options.MaxMessageBytes})");
            return;
        }
        if (Volatile.Read(ref _replies) is not { } inbox || !inbox.Post(message))
        {
            Drop(Keys.BusReplyChannelName(SenderId), "the reply inbox is full");
        }
    }

    private void Complete(RedisValue message)
    {
        var where = Keys.BusReplyChannelName(SenderId);
        var json = Signer.Unwrap(WireSigner.KindBusReply, Keys.Prefix, SenderId, (string?)message ?? "", out var key, out var problem);
        if (json is null)
        {
            Drop(where, problem ?? "the reply is not signed");
            return;
        }
        var reply = BusWire.ParseReply(json, Options.MaxJsonDepth);
        if (reply is null)
        {
            Drop(where, "it is not a reply");
            return;
        }
        if (key is not null && (reply.Sender is null || !WireNames.IsSenderId(reply.Sender) || !key.Allows(reply.Sender)))
        {
            Drop(where, $"key '{key.Id}' may not sign for sender '{reply.Sender}'");
            return;
        }
        // A reply nobody waits for came late (its client answered itself "timeout") or belongs to another process with
        // the same sender id: not an attack, not counted.
        if (_pending.TryRemove(reply.RequestId, out var waiter)) waiter.TrySetResult(reply.Body);
    }

    private async Task TryAsync(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException or TimeoutException)
        {
            Logger.LogDebug(ex, "A Redis command failed while closing");
        }
    }

    internal static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
