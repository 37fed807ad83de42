using System.Collections.Concurrent;
using System.Diagnostics;
using StackExchange.Redis;

namespace Vyra.Sdk.Redis;

/// <summary>
/// A plugin served by a <see cref="PluginServer"/> anywhere on the same Redis, used like a local runtime: the same
/// <see cref="PluginRuntime.CallAsync(string, IReadOnlyDictionary{string, object?}?, CancellationToken)"/>, the same
/// results and <see cref="PluginErrorKind"/>s (the serving runtime's failures come back with their kind), so generated
/// typed proxies work over it unchanged (<c>new XPlugin(remoteRuntime)</c>). It adds <see cref="PluginErrorKind.Timeout"/>
/// after <see cref="RemotePluginRuntimeOptions.CallTimeout"/>, <see cref="PluginErrorKind.Cancelled"/> for the caller's
/// token, and <see cref="PluginUnavailableException"/> (kind <see cref="PluginErrorKind.NotStarted"/>) at once while Redis
/// is unreachable. <c>ping</c> is answered locally (backend <c>remote</c>); <see cref="OnEventAsync"/> delivers the
/// event to the plugin on a serving host. Requests are signed with <see cref="RemotePluginRuntimeOptions.Security"/>'s key
/// and replies are accepted only when signed by an accepted key (see docs/redis.md).
/// </summary>
public sealed class RemotePluginRuntime : PluginRuntime
{
    private static readonly AsyncLocal<RemoteCallOptions?> CurrentCallOptions = new();
    private static readonly IReadOnlyDictionary<string, object?> NoData = new Dictionary<string, object?>();
    private static readonly TimeSpan ReplyPollAfter = TimeSpan.FromSeconds(1);

    private readonly IConnectionMultiplexer _redis;
    private readonly RemotePluginRuntimeOptions _remote;
    private readonly RedisKeyspace _keys;
    private readonly WireSigner _signer;
    private readonly RedisChannel _replyChannel;
    private readonly string _replyTo;
    private readonly ConcurrentDictionary<string, PendingCall> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _servedBy = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly Action<RedisChannel, RedisValue> _onMessage;
    private readonly EventHandler<ConnectionFailedEventArgs> _onConnectionFailed;
    private CancellationTokenSource? _running;
    private Task? _pollLoop;

    /// <summary>Creates the runtime for <paramref name="pluginId"/> on <paramref name="redis"/> (see <see cref="VyraRedis.ConnectAsync"/>).</summary>
    /// <param name="pluginId">The plugin id the serving hosts serve.</param>
    /// <param name="redis">The connection; owned by the caller.</param>
    /// <param name="options">Identity and keys (required), timeout, size limit and keyspace.</param>
    /// <param name="host">This side's host functions (the result notifications of calls go there).</param>
    /// <param name="runtimeOptions">Logging; the limits in it apply on the serving host, not here.</param>
    public RemotePluginRuntime(string pluginId, IConnectionMultiplexer redis, RemotePluginRuntimeOptions? options = null, IHostFunctions? host = null, PluginRuntimeOptions? runtimeOptions = null)
        : base(pluginId, host, runtimeOptions)
    {
        _redis = redis ?? throw new ArgumentNullException(nameof(redis));
        _remote = options ?? new RemotePluginRuntimeOptions();
        _keys = _remote.Keyspace;
        _signer = (_remote.Security ?? throw new ArgumentException(
            "RemotePluginRuntimeOptions.Security is required: wire keys, or RedisWireSecurity.Unauthenticated() for development", nameof(options)))
            .CreateSigner(nameof(RemotePluginRuntimeOptions));
        // Replies come on the sender's channel, which the serving host derives from the authenticated sender id.
        _replyTo = _keys.ReplyChannel(_signer.SenderId);
        _replyChannel = RedisChannel.Literal(_replyTo);
        _onMessage = (_, message) => Complete((string?)message);
        _onConnectionFailed = (_, e) => FailPending(e.Exception, $"the connection to Redis was lost ({e.FailureType})");
    }

    /// <inheritdoc />
    public override bool IsRunning => _running is not null;

    /// <inheritdoc />
    public override string Backend => "remote";

    /// <summary>Calls waiting for their reply.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>How many successful calls each serving host (its <see cref="PluginServer.HostName"/>) answered.</summary>
    public IReadOnlyDictionary<string, long> ServedBy => new Dictionary<string, long>(_servedBy, StringComparer.Ordinal);

    /// <summary>Subscribes to this runtime's reply channel. Fails (not running) when Redis cannot be reached.</summary>
    public override async ValueTask StartAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_running is not null) return;
            try
            {
                await VyraRedis.RetryWhileConnectingAsync(() => _redis.GetSubscriber().SubscribeAsync(_replyChannel, _onMessage), VyraRedis.StartPatience, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                throw new PluginLoadException($"plugin '{PluginId}': Redis cannot be reached to start the remote runtime ({ex.Message})", innerException: ex);
            }
            _redis.ConnectionFailed += _onConnectionFailed;
            _running = new CancellationTokenSource();
            _pollLoop = Task.Run(() => PollRepliesAsync(_running.Token));
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops: calls still waiting fail with <see cref="PluginErrorKind.NotStarted"/>.</summary>
    public override async ValueTask StopAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_running is not { } running) return;
            _running = null;
            running.Cancel();
            _redis.ConnectionFailed -= _onConnectionFailed;
            foreach (var id in _pending.Keys)
            {
                if (_pending.TryRemove(id, out var call)) call.Reply.TrySetException(NotStarted(call.Function));
            }
            try
            {
                await _redis.GetSubscriber().UnsubscribeAsync(_replyChannel, _onMessage).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                // Gone with the connection.
            }
            if (_pollLoop is { } loop) await loop.ConfigureAwait(false);
            _pollLoop = null;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>
    /// <see cref="PluginRuntime.CallAsync(string, IReadOnlyDictionary{string, object?}?, CancellationToken)"/> with per-call
    /// settings: an idempotency key (a retry with the same key is not applied twice) and a timeout.
    /// </summary>
    public async ValueTask<IReadOnlyDictionary<string, object?>> CallAsync(string function, IReadOnlyDictionary<string, object?>? data, RemoteCallOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var previous = CurrentCallOptions.Value;
        CurrentCallOptions.Value = options;
        try
        {
            return await CallAsync(function, data, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            CurrentCallOptions.Value = previous;
        }
    }

    /// <summary>Delivers the event to the plugin's <c>on_event</c> on a serving host and waits until it ran there.</summary>
    public override async ValueTask OnEventAsync(string eventName, IReadOnlyDictionary<string, object?>? data = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        if (!IsRunning) throw NotStarted("on_event");
        await SendAsync(RemoteRequest.OpEvent, eventName, data ?? NoData, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override ValueTask<IReadOnlyDictionary<string, object?>> InvokeAsync(string function, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken) =>
        SendAsync(RemoteRequest.OpCall, function, data, cancellationToken);

    private async ValueTask<IReadOnlyDictionary<string, object?>> SendAsync(string op, string function, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) throw Cancelled(function, cancellationToken);
        if (!IsRunning) throw NotStarted(function);
        var callOptions = CurrentCallOptions.Value;
        // Both are bounded when the options are made, so nothing below can fail after the request is sent.
        var timeout = callOptions?.Timeout ?? _remote.CallTimeout;
        byte[] body;
        try
        {
            body = RemoteRequest.Body(PluginId, function, data);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or System.Text.Json.JsonException or ArgumentException)
        {
            throw new PluginCallException(PluginId, function, $"the arguments cannot be sent as JSON: {ex.Message}", PluginErrorKind.InvalidArgument, ex);
        }
        var requestId = Guid.NewGuid().ToString("N");
        var deadline = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + (long)Math.Ceiling(timeout.TotalMilliseconds);
        var entry = RemoteRequest.ToEntry(_signer, _keys.Prefix, requestId, body, op, deadline, callOptions?.IdempotencyKey);
        // Counted as the hosts count it: every field, so a request sent is never refused for its size by a host with the same limit.
        var size = entry.Sum(field => field.Name.Length() + field.Value.Length());
        if (size > _remote.MaxRequestBytes)
        {
            throw new PluginCallException(PluginId, function, $"the request is {size} bytes; at most {_remote.MaxRequestBytes} are sent (RemotePluginRuntimeOptions.MaxRequestBytes)", PluginErrorKind.InvalidArgument);
        }
        if (!_redis.IsConnected || !_redis.GetSubscriber().IsConnected(_replyChannel))
        {
            throw new PluginUnavailableException(PluginId, function, "Redis is unreachable", mayHaveRun: false);
        }

        var call = new PendingCall(function, _keys.ReplyKey(_signer.SenderId, requestId), Stopwatch.GetTimestamp());
        _pending[requestId] = call;
        var stream = _keys.RequestStream(PluginId);
        try
        {
            var db = _redis.GetDatabase();
            var added = db.StreamAddAsync(stream, entry);
            _ = db.PublishAsync(_keys.WakeChannel(PluginId), requestId, CommandFlags.FireAndForget);
            call.EntryId = await added.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            _pending.TryRemove(requestId, out _);
            // The request may have reached Redis before the connection broke: say so.
            throw new PluginUnavailableException(PluginId, function, $"Redis is unreachable ({ex.Message})", mayHaveRun: true, ex);
        }

        RemoteReply reply;
        try
        {
            reply = await call.Reply.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            Abandon(requestId, call);
            throw new PluginCallException(PluginId, function, $"no reply within {timeout.TotalMilliseconds:0} ms", PluginErrorKind.Timeout, ex);
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            Abandon(requestId, call);
            throw Cancelled(function, cancellationToken, ex);
        }

        if (!reply.Success)
        {
            throw new PluginCallException(PluginId, function, reply.Error ?? "the remote call failed", reply.ErrorKind);
        }
        if (reply.ServedBy is { } host) _servedBy.AddOrUpdate(host, 1, static (_, n) => n + 1);
        return reply.Data is { } result ? WireJson.ReadResult(result, reply.Types) : new Dictionary<string, object?>();
    }

    /// <summary>A call given up by its caller: forget it, and take the request back if no host has taken it yet.</summary>
    private void Abandon(string requestId, PendingCall call)
    {
        _pending.TryRemove(requestId, out _);
        if (call.EntryId.IsNull) return;
        try
        {
            _ = _redis.GetDatabase().StreamDeleteAsync(_keys.RequestStream(PluginId), [call.EntryId], CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
        {
            // Best effort: a host that runs it anyway answers nobody.
        }
    }

    /// <summary>Replies not accepted: not signed by an accepted key, or signed by a key that may not speak for the host's sender id.</summary>
    internal long RejectedReplyCount => Interlocked.Read(ref _rejectedReplies);

    private long _rejectedReplies;

    private void Complete(string? message)
    {
        if (string.IsNullOrEmpty(message)) return;
        var json = _signer.Unwrap(WireSigner.KindReply, _keys.Prefix, _signer.SenderId, message, out var key, out _);
        var reply = RemoteReply.Parse(json);
        if (reply is null || !WireSigner.KeyAllows(key, reply.Sender ?? ""))
        {
            Interlocked.Increment(ref _rejectedReplies);
            return;
        }
        if (_pending.TryRemove(reply.RequestId, out var call)) call.Reply.TrySetResult(reply);
    }

    private void FailPending(Exception? cause, string reason)
    {
        foreach (var id in _pending.Keys)
        {
            if (_pending.TryRemove(id, out var call))
            {
                call.Reply.TrySetException(new PluginUnavailableException(PluginId, call.Function, $"{reason}; the call may or may not have run", mayHaveRun: true, cause));
            }
        }
    }

    /// <summary>Fetches the kept reply of calls waiting longer than a second, in case its message was missed.</summary>
    private async Task PollRepliesAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(ReplyPollAfter, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var now = Stopwatch.GetTimestamp();
            foreach (var (id, call) in _pending)
            {
                if (Stopwatch.GetElapsedTime(call.Started, now) < ReplyPollAfter) continue;
                try
                {
                    var kept = await _redis.GetDatabase().StringGetAsync(call.ReplyKey).ConfigureAwait(false);
                    if (kept.HasValue) Complete(kept);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
                {
                    break;
                }
            }
        }
    }

    private sealed class PendingCall(string function, string replyKey, long started)
    {
        public string Function { get; } = function;
        public string ReplyKey { get; } = replyKey;
        public long Started { get; } = started;
        public RedisValue EntryId { get; set; }
        public TaskCompletionSource<RemoteReply> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
