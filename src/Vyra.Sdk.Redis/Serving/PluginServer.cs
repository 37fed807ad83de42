using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Vyra.Sdk.Redis;

/// <summary>
/// Exposes local plugin runtimes on Redis. Each plugin id has a request stream read through one consumer group, so
/// every host serving that id shares its load; a request is acknowledged only together with its reply, and one a host
/// took but stopped refreshing (the host died) is claimed by another host after <see cref="PluginServerOptions.ClaimTimeout"/>
/// and run again: delivery is at least once, at most <see cref="PluginServerOptions.MaxDeliveries"/> times before the
/// request is dead-lettered. A call that carries an idempotency key runs once per key, sender, plugin and function
/// (its reply is cached for <see cref="PluginServerOptions.IdempotencyTtl"/>). Only requests signed by an accepted key
/// are answered, only as the <see cref="PluginServerOptions.Authorization"/> allows, and always on the reply channel
/// and key of their authenticated sender (see docs/redis.md). The server neither starts nor disposes the runtimes.
/// </summary>
public sealed class PluginServer : IAsyncDisposable
{
    // One round trip answers a request: keep the reply, cache it for the idempotency key, publish it, ack and delete the entry.
    private const string ReplyScript = """
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        if #KEYS >= 3 then redis.call('SET', KEYS[3], ARGV[7], 'PX', ARGV[6]) end
        redis.call('PUBLISH', ARGV[3], ARGV[1])
        redis.call('XACK', KEYS[2], ARGV[4], ARGV[5])
        redis.call('XDEL', KEYS[2], ARGV[5])
        return 1
        """;

    // A refused entry is acknowledged and deleted; the replay guard its take set (KEYS[2], when given) is released.
    private const string AckScript = """
        redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        redis.call('XDEL', KEYS[1], ARGV[2])
        if #KEYS >= 2 and redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
        return 1
        """;

    // Takes the next new entry for this host and, in the same round trip, sets its replay guard (what SeenScript does
    // after the MAC check, for a claimed entry or one the script could not check). The guard is set before the host has
    // verified the entry: a forged entry can only guard a request id it names, and a request id is a fresh random id
    // of its sender that no one can know before its genuine entry is in the stream, which the group hands out first
    // (entries are taken in id order, atomically with this check). A refused entry releases its guard (AckScript).
    // The guard is per plugin, so a genuine request copied into another plugin's stream guards nothing here.
    // Only a plain sender and request id and a deadline in (now, now + the longest accepted] are guarded; any other
    // entry is returned unchecked and the host answers or refuses it before its guard would matter.
    // The guard key is derived from the entry read, so it cannot be declared in KEYS (one Redis, not Cluster: docs/redis.md).
    // KEYS[1] stream; ARGV: group, consumer, guard key prefix, now (ms), longest deadline ahead (ms), reply TTL (ms),
    // longest sender id, longest request id. Returns nil, or {entry id, fields, verdict (0 unchecked, 1 taken,
    // 2 a replay), the guard key set or ''}.
    private const string TakeScript = """
        local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', 1, 'STREAMS', KEYS[1], '>')
        if not r then return false end
        local entry = r[1][2][1]
        local id, f = entry[1], entry[2]
        local sender, req, deadline
        for i = 1, #f - 1, 2 do
            local n = f[i]
            if n == 'sender' then sender = f[i + 1]
            elseif n == 'request_id' then req = f[i + 1]
            elseif n == 'deadline' then deadline = f[i + 1] end
        end
        if not sender or #sender > tonumber(ARGV[7]) or not string.match(sender, '^[%w%._%-]+$')
            or not req or #req > tonumber(ARGV[8]) or not string.match(req, '^[%w%._%-]+$')
            or not deadline or #deadline > 15 or not string.match(deadline, '^%d+$') then
            return {id, f, 0, ''}
        end
        local d, now = tonumber(deadline), tonumber(ARGV[4])
        if d <= now or d > now + tonumber(ARGV[5]) then return {id, f, 0, ''} end
        local key = ARGV[3] .. sender .. ':' .. req
        local v = redis.call('GET', key)
        if not v then
            redis.call('SET', key, id, 'PX', d - now + tonumber(ARGV[6]))
            return {id, f, 1, key}
        end
        if v == id then return {id, f, 1, ''} end
        return {id, f, 2, ''}
        """;

    private const string ReleaseMarkerScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    // A request id is taken from one stream entry: the first entry seen wins, the same entry (a re-claim) passes.
    private const string SeenScript = """
        local v = redis.call('GET', KEYS[1])
        if not v then
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
            return 1
        end
        if v == ARGV[1] then return 1 end
        return 0
        """;

    // A failed blocking read is retried after 50 ms, then twice as long each time up to a second (Redis down or
    // reconnecting: never a hot loop, and back within about a second of Redis).
    private static readonly TimeSpan MinReadBackOff = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxReadBackOff = TimeSpan.FromSeconds(1);

    // Clocks of callers and hosts differ a little: a deadline this much beyond the maximum is still accepted.
    private const long ClockSkewMs = 60_000;

    private readonly IConnectionMultiplexer _redis;
    private readonly PluginServerOptions _options;
    private readonly RedisKeyspace _keys;
    private readonly ILogger _logger;
    private readonly WireSigner _signer;
    private readonly LogThrottle _refusals = new(TimeSpan.FromSeconds(1));
    // A blocking read that keeps failing (Redis down, an ACL without XREADGROUP) is worth a warning, but not one a second.
    private readonly LogThrottle _readFailureWarnings = new(TimeSpan.FromSeconds(30));
    private readonly Dictionary<string, Served> _served = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Work, byte> _inFlight = new();
    private readonly SemaphoreSlim _slots;
    private readonly object _gate = new();
    // Start and stop take turns: a stop that lands while a start is still connecting cancels that start and waits for it
    // to undo what it made, instead of returning while the start goes on to open connections and loops nobody stops.
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private CancellationTokenSource? _starting;
    private CancellationTokenSource? _stopReading;
    private CancellationTokenSource? _abort;
    private readonly List<Task> _loops = [];
    private long _handled;
    private long _claimed;
    private long _refused;
    private long _deadLettered;
    private long _readFailures;
    private bool _started;

    /// <summary>Creates a server on <paramref name="redis"/> (see <see cref="VyraRedis.ConnectAsync"/>).</summary>
    public PluginServer(IConnectionMultiplexer redis, PluginServerOptions? options = null)
    {
        _redis = redis ?? throw new ArgumentNullException(nameof(redis));
        _options = options ?? new PluginServerOptions();
        if (_options.MaxConcurrentCalls < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxConcurrentCalls must be at least 1");
        if (_options.ClaimTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "ClaimTimeout must be positive");
        if (_options.MaxDeliveries < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxDeliveries must be at least 1");
        if (_options.MaxRequestBytes < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxRequestBytes must be positive");
        if (_options.MaxJsonDepth is < 1 or > 1000) throw new ArgumentOutOfRangeException(nameof(options), "MaxJsonDepth must be 1 to 1000");
        if (_options.MaxDeadline <= TimeSpan.Zero || _options.MaxDeadline > TimeSpan.FromDays(7)) throw new ArgumentOutOfRangeException(nameof(options), "MaxDeadline must be positive and at most 7 days");
        _signer = (_options.Security ?? throw new ArgumentException(
            "PluginServerOptions.Security is required: wire keys, or RedisWireSecurity.Unauthenticated() for development", nameof(options)))
            .CreateSigner(nameof(PluginServerOptions));
        _keys = _options.Keyspace;
        _logger = _options.LoggerFactory?.CreateLogger<PluginServer>() ?? NullLogger<PluginServer>.Instance;
        _slots = new SemaphoreSlim(_options.MaxConcurrentCalls, _options.MaxConcurrentCalls);
        HostName = _options.HostName ?? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..^24];
    }

    /// <summary>This host's consumer name (reported to callers as <c>served_by</c>).</summary>
    public string HostName { get; }

    /// <summary>The plugin ids served.</summary>
    public IReadOnlyCollection<string> PluginIds
    {
        get
        {
            lock (_gate) return _served.Keys.ToArray();
        }
    }

    /// <summary>Requests this host has run and answered (counted as the answer is sent).</summary>
    public long HandledCount => Interlocked.Read(ref _handled);

    /// <summary>Requests this host claimed from another host that stopped refreshing them.</summary>
    public long ClaimedCount => Interlocked.Read(ref _claimed);

    /// <summary>Entries dropped without an answer: unsigned, forged, signed with an unknown key, replayed or misdirected.</summary>
    public long RefusedCount => Interlocked.Read(ref _refused);

    /// <summary>Requests delivered more than <see cref="PluginServerOptions.MaxDeliveries"/> times, answered with an error and recorded.</summary>
    public long DeadLetteredCount => Interlocked.Read(ref _deadLettered);

    /// <summary>Blocking reads that failed (Redis down, the read connection dropped, the group gone); each is retried after a back-off.</summary>
    public long ReadFailureCount => Interlocked.Read(ref _readFailures);

    /// <summary>Requests running now.</summary>
    public int InFlightCount => _inFlight.Count;

    /// <summary>Serves <paramref name="runtime"/> under its plugin id (before <see cref="StartAsync"/>).</summary>
    public PluginServer Serve(PluginRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        lock (_gate)
        {
            if (_started) throw new InvalidOperationException("Serve runtimes before the server starts.");
            if (_served.ContainsKey(runtime.PluginId)) throw new ArgumentException($"plugin '{runtime.PluginId}' is already served", nameof(runtime));
            _served[runtime.PluginId] = new Served(runtime, _keys.RequestStream(runtime.PluginId), _keys.SeenKeyPrefix(runtime.PluginId));
        }
        return this;
    }

    /// <summary>Creates the consumer groups and starts taking requests. Fails when Redis cannot be reached.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var starting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Volatile.Write(ref _starting, starting);
            try
            {
                await StartLockedAsync(starting.Token).ConfigureAwait(false);
            }
            finally
            {
                Volatile.Write(ref _starting, null);
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private async Task StartLockedAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_started) return;
            _started = true;
        }
        try
        {
            var subscriber = _redis.GetSubscriber();
            foreach (var served in _served.Values)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await VyraRedis.RetryWhileConnectingAsync(() => EnsureGroupAsync(served), VyraRedis.StartPatience, cancellationToken).ConfigureAwait(false);
                if (_options.ReadConfiguration is { } readConfiguration)
                {
                    // Entries arrive with the blocking read itself: no wake-up subscription (callers still publish
                    // the wake-up for hosts of earlier versions).
                    served.Reader = await BlockingReader.ConnectAsync(readConfiguration).ConfigureAwait(false);
                }
                else
                {
                    await VyraRedis.RetryWhileConnectingAsync(() => subscriber.SubscribeAsync(_keys.WakeChannel(served.Runtime.PluginId), (_, _) => served.Wake.Set()), VyraRedis.StartPatience, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch
        {
            await CloseReadersAsync().ConfigureAwait(false);
            lock (_gate) _started = false;
            throw;
        }
        _stopReading = new CancellationTokenSource();
        _abort = new CancellationTokenSource();
        foreach (var served in _served.Values)
        {
            var stop = _stopReading.Token;
            _loops.Add(served.Reader is { } reader
                ? Task.Run(() => BlockingReadLoopAsync(served, reader, stop))
                : Task.Run(() => ReadLoopAsync(served, stop)));
            _loops.Add(Task.Run(() => ClaimLoopAsync(served, stop)));
        }
        _loops.Add(Task.Run(() => HeartbeatLoopAsync(_stopReading.Token)));
        _logger.LogInformation("Host {Host} serves {Plugins} on Redis", HostName, string.Join(", ", _served.Keys));
    }

    /// <summary>
    /// Stops taking requests, lets running calls finish for <see cref="PluginServerOptions.ShutdownGrace"/>, then
    /// abandons the rest unanswered (they stay pending and another host claims them). A start still connecting is
    /// cancelled (it throws <see cref="OperationCanceledException"/> and closes what it opened) before the stop runs.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            Volatile.Read(ref _starting)?.Cancel(); // a start still connecting gives up; it undoes what it made
        }
        catch (ObjectDisposedException)
        {
            // that start has just ended
        }
        await _lifecycle.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await StopLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private async Task StopLockedAsync(CancellationToken cancellationToken)
    {
        CancellationTokenSource? stop, abort;
        lock (_gate)
        {
            if (!_started) return;
            _started = false;
            stop = _stopReading;
            abort = _abort;
            _stopReading = null;
            _abort = null;
        }
        stop?.Cancel();
        // A blocking read ends when its connection closes, not when the token is cancelled: close them first.
        await CloseReadersAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Host {Host}: a loop ended with an error", HostName);
        }
        _loops.Clear();
        var subscriber = _redis.GetSubscriber();
        foreach (var served in _served.Values)
        {
            try
            {
                await subscriber.UnsubscribeAsync(_keys.WakeChannel(served.Runtime.PluginId)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
            {
                // The subscription goes with the connection.
            }
        }
        var graceEnds = DateTime.UtcNow + _options.ShutdownGrace;
        while (!_inFlight.IsEmpty && DateTime.UtcNow < graceEnds && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
        }
        abort?.Cancel();
        var abandonEnds = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!_inFlight.IsEmpty && DateTime.UtcNow < abandonEnds)
        {
            await Task.Delay(20, CancellationToken.None).ConfigureAwait(false);
        }
        _logger.LogInformation("Host {Host} stopped", HostName);
    }

    /// <summary>Stops the server.</summary>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private IDatabase Db => _redis.GetDatabase();

    private async Task CloseReadersAsync()
    {
        foreach (var served in _served.Values)
        {
            if (served.Reader is not { } reader) continue;
            served.Reader = null;
            await reader.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Takes entries with a blocking read on the plugin's own connection: an entry reaches the host with the read, not
    /// after a wake-up message and a take. A read returns empty after <see cref="PluginServerOptions.PollInterval"/> (at
    /// most half the connection's async timeout, so the loop never waits on a read the client library would time out,
    /// and at most half the claim timeout, so the claim loop waiting for the read's slot gets it in time).
    /// Failures (Redis down, the connection dropped, the group gone) back off from 50 ms up to a second.
    /// </summary>
    private async Task BlockingReadLoopAsync(Served served, BlockingReader reader, CancellationToken stop)
    {
        var backOff = TimeSpan.Zero;
        var readBlock = _options.PollInterval < ClaimPeriod ? _options.PollInterval : ClaimPeriod;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _slots.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            StreamEntry? entry = null;
            var failed = false;
            try
            {
                // At most a claim period: the read holds a slot meanwhile, which the claim loop may be waiting for.
                entry = await reader.ReadAsync(served.Stream, _keys.Group, HostName, readBlock).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.Contains("NOGROUP", StringComparison.Ordinal))
            {
                failed = true;
                await TryAsync(() => EnsureGroupAsync(served)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Any failure, a reply of a shape no Redis server sends included, is a failed read: the loop goes on (an
                // exception leaving it would end this plugin's serving and keep its slot). While stopping, the read
                // connection is closed under the read on purpose.
                failed = true;
                if (!stop.IsCancellationRequested && _readFailureWarnings.TryEnter(out var suppressed))
                {
                    _logger.LogWarning(ex, "Host {Host}: the blocking read of {Plugin} failed; retrying with a back-off ({Suppressed} more failed since the last report)",
                        HostName, served.Runtime.PluginId, suppressed);
                }
                else
                {
                    _logger.LogDebug(ex, "Host {Host}: the blocking read of {Plugin} failed", HostName, served.Runtime.PluginId);
                }
            }
            if (entry is { } taken)
            {
                // The guard is set after the MAC check (a blocking read cannot run in the take script), as for a claim.
                Dispatch(served, new Taken(taken, Guard.Unchecked, null), claimed: false, deliveries: 1);
            }
            else
            {
                _slots.Release();
            }
            if (!failed)
            {
                backOff = TimeSpan.Zero;
                continue;
            }
            backOff = backOff == TimeSpan.Zero ? MinReadBackOff : TimeSpan.FromTicks(Math.Min(backOff.Ticks * 2, MaxReadBackOff.Ticks));
            Interlocked.Increment(ref _readFailures);
            try
            {
                await Task.Delay(backOff, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task EnsureGroupAsync(Served served)
    {
        try
        {
            // From the stream's start: a request sent before any host was up is still served.
            await Db.StreamCreateConsumerGroupAsync(served.Stream, _keys.Group, "0-0", createStream: true).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.Contains("BUSYGROUP", StringComparison.Ordinal))
        {
        }
    }

    private async Task ReadLoopAsync(Served served, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _slots.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var dispatched = false;
            var failed = false;
            try
            {
                var taken = await TakeAsync(served).ConfigureAwait(false);
                if (taken is not null)
                {
                    dispatched = true;
                    Dispatch(served, taken, claimed: false, deliveries: 1);
                }
            }
            catch (RedisServerException ex) when (ex.Message.Contains("NOGROUP", StringComparison.Ordinal))
            {
                failed = true;
                await TryAsync(() => EnsureGroupAsync(served)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or ObjectDisposedException or TimeoutException)
            {
                failed = true;
                _logger.LogDebug(ex, "Host {Host}: reading requests of {Plugin} failed", HostName, served.Runtime.PluginId);
            }
            finally
            {
                if (!dispatched) _slots.Release();
            }
            if (!dispatched)
            {
                if (failed)
                {
                    try
                    {
                        await Task.Delay(_options.PollInterval, stop).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
                else
                {
                    await served.Wake.WaitAsync(_options.PollInterval, stop).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>How often the claim loop looks for requests of dead hosts (half the claim timeout, at least 50 ms).</summary>
    private TimeSpan ClaimPeriod => TimeSpan.FromTicks(Math.Max(_options.ClaimTimeout.Ticks / 2, TimeSpan.FromMilliseconds(50).Ticks));

    private async Task ClaimLoopAsync(Served served, CancellationToken stop)
    {
        var period = ClaimPeriod;
        var minIdle = (long)_options.ClaimTimeout.TotalMilliseconds;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var free = _slots.CurrentCount;
            var held = false;
            if (free == 0)
            {
                if (_options.ReadConfiguration is null) continue;
                // Blocking reads hold a slot each for as long as they block: a host with no more slots than plugins has
                // none free at idle, so looking for a free one would never claim a dead host's requests. Wait for one
                // instead (a read gives its slot back within a claim period, BlockingReadLoopAsync) and use it first.
                try
                {
                    await _slots.WaitAsync(stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                held = true;
                free = 1 + _slots.CurrentCount;
            }
            try
            {
                var result = await Db.StreamAutoClaimAsync(served.Stream, _keys.Group, HostName, minIdle, "0-0", free).ConfigureAwait(false);
                foreach (var entry in result.ClaimedEntries)
                {
                    if (entry.IsNull) continue;
                    if (_inFlight.Keys.Any(w => w.Served == served && w.EntryId == entry.Id)) continue;
                    var deliveries = await DeliveriesAsync(served, entry.Id).ConfigureAwait(false);
                    if (held)
                    {
                        held = false; // the slot waited for above is this entry's
                    }
                    else if (!await _slots.WaitAsync(0, CancellationToken.None).ConfigureAwait(false))
                    {
                        // No room after all: leave it pending (idle again from now), it is claimed on a later round.
                        continue;
                    }
                    Interlocked.Increment(ref _claimed);
                    _logger.LogInformation("Host {Host} claimed request {Entry} of {Plugin} from a host that stopped answering", HostName, entry.Id, served.Runtime.PluginId);
                    Dispatch(served, new Taken(entry, Guard.Unchecked, null), claimed: true, deliveries);
                }
            }
            catch (RedisServerException ex) when (ex.Message.Contains("NOGROUP", StringComparison.Ordinal))
            {
                await TryAsync(() => EnsureGroupAsync(served)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or ObjectDisposedException or TimeoutException)
            {
                _logger.LogDebug(ex, "Host {Host}: claiming requests of {Plugin} failed", HostName, served.Runtime.PluginId);
            }
            finally
            {
                if (held) _slots.Release(); // nothing claimed took it
            }
        }
    }

    /// <summary>Keeps this host's running requests fresh so no other host claims them while they run.</summary>
    private async Task HeartbeatLoopAsync(CancellationToken stop)
    {
        var period = TimeSpan.FromTicks(Math.Max(_options.ClaimTimeout.Ticks / 3, TimeSpan.FromMilliseconds(20).Ticks));
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            foreach (var group in _inFlight.Keys.GroupBy(w => w.Served))
            {
                var ids = group.Select(w => w.EntryId).ToArray();
                try
                {
                    await Db.StreamClaimIdsOnlyAsync(group.Key.Stream, _keys.Group, HostName, 0, ids).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RedisException or ObjectDisposedException or TimeoutException)
                {
                    _logger.LogDebug(ex, "Host {Host}: refreshing running requests failed", HostName);
                }
            }
        }
    }

    /// <summary>How often the group delivered an entry (XPENDING counts every take; the heartbeat's JUSTID claims do not).</summary>
    private async Task<long> DeliveriesAsync(Served served, RedisValue entryId)
    {
        try
        {
            var pending = await Db.StreamPendingMessagesAsync(served.Stream, _keys.Group, 1, HostName, entryId, entryId).ConfigureAwait(false);
            return pending.Length > 0 ? pending[0].DeliveryCount : 1;
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException or TimeoutException)
        {
            // Unknown this round: the entry is run; the count is read again if it comes back.
            _logger.LogDebug(ex, "Host {Host}: reading the delivery count of {Entry} failed", HostName, entryId);
            return 1;
        }
    }

    /// <summary>The next new entry for this host with its replay-guard verdict (see <see cref="TakeScript"/>), or null.</summary>
    private async Task<Taken?> TakeAsync(Served served)
    {
        var result = await Db.ScriptEvaluateAsync(TakeScript, [served.Stream],
        [
            _keys.Group, HostName, served.GuardPrefix, NowMs(),
            (long)_options.MaxDeadline.TotalMilliseconds + ClockSkewMs, (long)_options.ReplyTtl.TotalMilliseconds,
            WireNames.MaxSenderId, WireNames.MaxRequestId,
        ]).ConfigureAwait(false);
        if (result.IsNull || result.Resp2Type != ResultType.Array) return null;
        var parts = (RedisResult[])result!;
        var verdict = (int)parts[2] switch { 1 => Guard.Taken, 2 => Guard.Replay, _ => Guard.Unchecked };
        var guardKey = (string?)parts[3];
        return new Taken(StreamEntries.FromFlat((RedisValue)parts[0], (RedisValue[])parts[1]!), verdict, string.IsNullOrEmpty(guardKey) ? null : guardKey);
    }

    /// <summary>
    /// Runs a taken entry on a pool thread, never on the read loop's (a runtime that completes synchronously would stall
    /// reading). Starting it on the read loop's thread until its first wait measured no faster (docs/benchmarks.md,
    /// "Remote calls, second pass"), so the hop stays.
    /// </summary>
    private void Dispatch(Served served, Taken taken, bool claimed, long deliveries)
    {
        var work = new Work(served, taken.Entry.Id);
        _inFlight[work] = 0;
        _ = Task.Run(() => RunAsync(work, taken, claimed, deliveries));
    }

    private async Task RunAsync(Work work, Taken taken, bool claimed, long deliveries)
    {
        try
        {
            await ProcessAsync(work, taken, claimed, deliveries).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Host {Host}: request {Entry} of {Plugin} was not answered; it stays pending", HostName, work.EntryId, work.Served.Runtime.PluginId);
        }
        finally
        {
            _inFlight.TryRemove(work, out _);
            _slots.Release();
        }
    }

    private async Task ProcessAsync(Work work, Taken taken, bool claimed, long deliveries)
    {
        var entry = taken.Entry;
        var served = work.Served;
        var pluginId = served.Runtime.PluginId;

        // 1. The fields, unparsed; then the MAC and the sender's key. Nothing unauthenticated is answered: without a
        //    verified sender there is no reply location that an attacker could not have chosen.
        var raw = Authenticate(entry, out var problem);
        if (raw is null)
        {
            await RefuseAsync(served, entry.Id, problem!, taken.GuardSet).ConfigureAwait(false);
            return;
        }
        var to = new ReplyTo(raw.Sender, raw.RequestId, pluginId);

        // 2. Bounds, before parsing: size, then the body with a nesting limit.
        if (raw.Size > _options.MaxRequestBytes)
        {
            await ReplyAsync(work, to, Failure(to, PluginErrorKind.InvalidArgument, $"the request is {raw.Size} bytes; this host accepts at most {_options.MaxRequestBytes}"), null).ConfigureAwait(false);
            return;
        }
        var request = raw.Parse(_options.MaxJsonDepth, out problem);
        if (request is null)
        {
            await ReplyAsync(work, to, Failure(to, PluginErrorKind.InvalidArgument, problem!), null).ConfigureAwait(false);
            return;
        }
        if (request.PluginId != pluginId)
        {
            // A signed request copied into another plugin's stream: answering would race the real reply.
            await RefuseAsync(served, entry.Id, $"the request names plugin '{request.PluginId}' but came on the stream of '{pluginId}'", taken.GuardSet).ConfigureAwait(false);
            return;
        }

        // 3. The deadline: bounded, so every request ends; one already past is answered, never run.
        var now = NowMs();
        if (raw.DeadlineUnixMs <= 0 || raw.DeadlineUnixMs > now + (long)_options.MaxDeadline.TotalMilliseconds + ClockSkewMs)
        {
            await ReplyAsync(work, to, Failure(to, PluginErrorKind.InvalidArgument, $"the deadline '{raw.DeadlineText}' is not within {_options.MaxDeadline} from now"), null).ConfigureAwait(false);
            return;
        }
        if (Expired(request))
        {
            await ReplyAsync(work, to, Failure(to, PluginErrorKind.Timeout, "the call waited past its deadline before a host took it"), null).ConfigureAwait(false);
            return;
        }

        // 4. Replays: a request id is run from one stream entry only (a re-claim is the same entry).
        //    The take usually checked it already (TakeScript); a claimed entry, or one it could not check, is checked here.
        var guard = taken.Guard;
        if (guard == Guard.Unchecked)
        {
            var seenFor = TimeSpan.FromMilliseconds(raw.DeadlineUnixMs - now) + _options.ReplyTtl;
            guard = (int)await Db.ScriptEvaluateAsync(SeenScript, [_keys.SeenKey(pluginId, raw.Sender, raw.RequestId)], [entry.Id, (long)seenFor.TotalMilliseconds]).ConfigureAwait(false) == 0
                ? Guard.Replay
                : Guard.Taken;
        }
        if (guard == Guard.Replay)
        {
            await RefuseAsync(served, entry.Id, $"request '{raw.RequestId}' of '{raw.Sender}' was added again (a replay)").ConfigureAwait(false);
            return;
        }
        if (claimed && await Db.KeyExistsAsync(_keys.ReplyKey(to.Sender, to.RequestId)).ConfigureAwait(false))
        {
            // Answered by the host that died before it could acknowledge: answer nobody twice.
            await AckAsync(served, entry.Id).ConfigureAwait(false);
            return;
        }
        if (deliveries > _options.MaxDeliveries)
        {
            await DeadLetterAsync(work, to, deliveries).ConfigureAwait(false);
            return;
        }

        // 5. Permission.
        var function = request.Op == RemoteRequest.OpEvent ? "on_event" : request.Function;
        if (_options.Authorization is { } authorization && !authorization.MayCall(raw.Sender, pluginId, function))
        {
            _logger.LogWarning("Host {Host}: sender {Sender} may not call {Plugin}.{Function}", HostName, raw.Sender, pluginId, function);
            await ReplyAsync(work, to, Failure(to, PluginErrorKind.PermissionDenied, $"sender '{raw.Sender}' may not call '{function}' on '{pluginId}'"), null).ConfigureAwait(false);
            return;
        }

        var abort = _abort?.Token ?? new CancellationToken(canceled: true);
        IdempotencyCache? idempotency = null;
        if (request.IdempotencyKey is { } idempotencyKey)
        {
            idempotency = new IdempotencyCache(_keys.IdempotencyKey(raw.Sender, pluginId, request.Function, idempotencyKey), request.ArgumentsHash);
            var marker = idempotency.PendingMarker(request.RequestId);
            while (true)
            {
                var lease = TimeSpan.FromMilliseconds(Math.Max(0, request.DeadlineUnixMs - NowMs())) + _options.ClaimTimeout;
                if (await Db.StringSetAsync(idempotency.Key, marker, lease, When.NotExists).ConfigureAwait(false)) break;
                var cached = (string?)await Db.StringGetAsync(idempotency.Key).ConfigureAwait(false);
                if (cached == marker) break;
                if (cached is not null && !idempotency.SameArguments(cached))
                {
                    await ReplyAsync(work, to, Failure(to, PluginErrorKind.InvalidArgument, $"idempotency key '{Shorten(idempotencyKey)}' was used with other arguments"), null).ConfigureAwait(false);
                    return;
                }
                if (cached is not null && IdempotencyCache.Completed(cached) is { } reply)
                {
                    await ReplyAsync(work, to, RemoteReply.Readdress(reply, request.RequestId, HostName, _signer.SenderId), null).ConfigureAwait(false);
                    return;
                }
                if (Expired(request))
                {
                    await ReplyAsync(work, to, Failure(to, PluginErrorKind.Timeout, "the call waited past its deadline for an earlier call with its idempotency key"), null).ConfigureAwait(false);
                    return;
                }
                if (abort.IsCancellationRequested) return;
                await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
            }
        }

        string answer;
        using (var call = CancellationTokenSource.CreateLinkedTokenSource(abort))
        {
            call.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(1, request.DeadlineUnixMs - NowMs())));
            try
            {
                if (request.Op == RemoteRequest.OpEvent)
                {
                    await served.Runtime.OnEventAsync(request.Function, request.Data, call.Token).ConfigureAwait(false);
                    answer = Success(to, new Dictionary<string, object?>(), null);
                }
                else
                {
                    var result = await served.Runtime.CallAsync(request.Function, request.Data, call.Token).ConfigureAwait(false);
                    answer = Success(to, result, ResultTypes(served.Runtime, request.Function));
                }
            }
            catch (Exception) when (abort.IsCancellationRequested)
            {
                // The host is stopping: abandon the call unanswered; another host claims it.
                if (idempotency is { } cache) await TryAsync(() => Db.ScriptEvaluateAsync(ReleaseMarkerScript, [cache.Key], [cache.PendingMarker(request.RequestId)])).ConfigureAwait(false);
                _logger.LogInformation("Host {Host} abandoned request {Entry} of {Plugin} on stop", HostName, entry.Id, pluginId);
                return;
            }
            catch (PluginCallException ex)
            {
                var kind = ex.Kind == PluginErrorKind.Cancelled && Expired(request) ? PluginErrorKind.Timeout : ex.Kind;
                answer = Failure(to, kind, kind == PluginErrorKind.Timeout && ex.Kind == PluginErrorKind.Cancelled ? "the call ran past its deadline" : ex.Reason);
            }
            catch (OperationCanceledException) when (Expired(request))
            {
                answer = Failure(to, PluginErrorKind.Timeout, "the call ran past its deadline");
            }
            catch (Exception ex)
            {
                answer = Failure(to, PluginErrorKind.Trap, ex.Message);
            }
        }
        // Counted before the reply is sent: a caller holding its answer reads a count that includes it.
        Interlocked.Increment(ref _handled);
        await ReplyAsync(work, to, answer, idempotency).ConfigureAwait(false);
    }

    /// <summary>The entry's fields when its MAC verifies with an accepted key that may sign for its sender, and its names are plain; null with the reason otherwise.</summary>
    private RemoteRequest.Envelope? Authenticate(StreamEntry entry, out string? problem)
    {
        var raw = RemoteRequest.Envelope.Read(entry, out problem);
        if (raw is null || !raw.Verify(_signer, _keys.Prefix, out var key, out problem)) return null;
        problem = !WireSigner.KeyAllows(key, raw.Sender) ? $"key '{key?.Id}' may not sign for sender '{raw.Sender}'"
            : !WireNames.IsSenderId(raw.Sender) ? "the sender id is not a plain name"
            : !WireNames.IsRequestId(raw.RequestId) ? "the request id is not a plain name"
            : null;
        return problem is null ? raw : null;
    }

    /// <summary>Drops an entry that gets no answer (forged, unauthenticated, replayed or misdirected), logs and counts it.</summary>
    private async Task RefuseAsync(Served served, RedisValue entryId, string problem, string? releaseGuard = null)
    {
        if (_refusals.TryEnter(out var suppressed))
        {
            _logger.LogWarning("Host {Host}: refused entry {Entry} of {Plugin} without an answer: {Problem} ({Suppressed} more refused since the last report)",
                HostName, entryId, served.Runtime.PluginId, problem, suppressed);
        }
        await (releaseGuard is { } guard
            ? Db.ScriptEvaluateAsync(AckScript, [served.Stream, guard], [_keys.Group, entryId])
            : AckAsync(served, entryId)).ConfigureAwait(false);
        // Counted once the entry is gone (and its guard released): whoever reads the count finds the stream without it.
        // An entry whose acknowledgement failed stays pending; it is claimed, refused and counted again later.
        Interlocked.Increment(ref _refused);
    }

    /// <summary>A request delivered too often (its hosts kept dying): recorded in the dead-letter stream and answered with an error.</summary>
    private async Task DeadLetterAsync(Work work, ReplyTo to, long deliveries)
    {
        Interlocked.Increment(ref _deadLettered);
        var reason = $"the request was delivered {deliveries} times (at most {_options.MaxDeliveries}) without being answered; it was dead-lettered";
        _logger.LogWarning("Host {Host}: dead-lettering request {Request} of {Sender} for {Plugin}: {Reason}", HostName, to.RequestId, to.Sender, to.PluginId, reason);
        await Db.StreamAddAsync(_keys.DeadLetterStream(to.PluginId),
            [new("entry", work.EntryId), new("sender", to.Sender), new("request_id", to.RequestId), new("reason", reason), new("host", HostName)],
            maxLength: 10_000, useApproximateMaxLength: true).ConfigureAwait(false);
        await ReplyAsync(work, to, Failure(to, PluginErrorKind.Trap, reason), null).ConfigureAwait(false);
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static IReadOnlyList<PluginValueType>? ResultTypes(PluginRuntime runtime, string function) =>
        runtime is WasmRuntime { Manifest: { } manifest } ? manifest.FindExport(function)?.Returns : null;

    private string Success(ReplyTo to, IReadOnlyDictionary<string, object?> result, IReadOnlyList<PluginValueType>? types)
    {
        try
        {
            return RemoteReply.Serialize(to.RequestId, to.PluginId, true, result, null, null, HostName, _signer.SenderId, types);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or System.Text.Json.JsonException or ArgumentException)
        {
            return Failure(to, PluginErrorKind.Abi, $"the result cannot be sent as JSON: {ex.Message}");
        }
    }

    private string Failure(ReplyTo to, PluginErrorKind kind, string error) =>
        RemoteReply.Serialize(to.RequestId, to.PluginId, false, null, error, kind, HostName, _signer.SenderId, null);

    /// <summary>Answers on the sender's own channel and key (derived here, never read from the request), signed for that sender.</summary>
    private async Task ReplyAsync(Work work, ReplyTo to, string reply, IdempotencyCache? cache)
    {
        var signed = _signer.Wrap(WireSigner.KindReply, _keys.Prefix, to.Sender, reply);
        RedisKey[] keys = cache is not null
            ? [_keys.ReplyKey(to.Sender, to.RequestId), work.Served.Stream, cache.Key]
            : [_keys.ReplyKey(to.Sender, to.RequestId), work.Served.Stream];
        RedisValue[] values =
        [
            signed,
            (long)_options.ReplyTtl.TotalMilliseconds,
            _keys.ReplyChannel(to.Sender),
            _keys.Group,
            work.EntryId,
            (long)_options.IdempotencyTtl.TotalMilliseconds,
            cache?.CompletedValue(reply) ?? RedisValue.EmptyString,
        ];
        await Db.ScriptEvaluateAsync(ReplyScript, keys, values).ConfigureAwait(false);
    }

    private Task AckAsync(Served served, RedisValue entryId) =>
        Db.ScriptEvaluateAsync(AckScript, [served.Stream], [_keys.Group, entryId]);

    private async Task TryAsync(Func<Task> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException or TimeoutException)
        {
            _logger.LogDebug(ex, "Host {Host}: a Redis command failed", HostName);
        }
    }

    private static bool Expired(RemoteRequest request) => request.DeadlineUnixMs > 0 && NowMs() >= request.DeadlineUnixMs;

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private sealed class Served(PluginRuntime runtime, RedisKey stream, string guardPrefix)
    {
        public PluginRuntime Runtime { get; } = runtime;
        public RedisKey Stream { get; } = stream;
        public Signal Wake { get; } = new();

        /// <summary>The plugin's own connection for blocking reads (<see cref="PluginServerOptions.ReadConfiguration"/>), while started.</summary>
        public BlockingReader? Reader { get; set; }

        /// <summary>The start of this plugin's replay-guard keys (<see cref="RedisKeyspace.SeenKey"/> without sender and request).</summary>
        public string GuardPrefix { get; } = guardPrefix;
    }

    private enum Guard
    {
        Unchecked,
        Taken,
        Replay,
    }

    /// <summary>An entry taken for this host, with its replay-guard verdict and the guard key its take set (released if the entry is refused).</summary>
    private sealed record Taken(StreamEntry Entry, Guard Guard, string? GuardSet);

    private sealed record Work(Served Served, RedisValue EntryId);

    /// <summary>Where a request is answered: derived from its authenticated sender and its request id.</summary>
    private sealed record ReplyTo(string Sender, string RequestId, string PluginId);
}
