using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Vyra.Sdk.Redis;

/// <summary>
/// One server of a service: takes requests from the service's list (shared with every other server of it, on any host)
/// while it has a free slot (<see cref="RedisInterfaceFactoryOptions.MaxConcurrentRequests"/>), checks each, runs the
/// handler on the thread pool and publishes the signed reply on the requesting sender's reply channel. A non-blocking
/// RPOP woken by a message (or the poll interval) rather than BRPOP: a blocking pop would stall every other command on
/// the shared multiplexed connection.
/// </summary>
internal sealed class RedisServiceServer : IServiceServer
{
    private readonly RedisInterfaceFactory _factory;
    private readonly Func<ServiceRequest, CancellationToken, ValueTask<ServiceResponse>> _handler;
    private readonly string _queueName;
    private readonly RedisChannel _wakeChannel;
    private readonly Action<RedisChannel, RedisValue> _onWake;
    private readonly Signal _wake = new();
    private readonly LogThrottle _refusals = new(TimeSpan.FromMinutes(1));
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private Task? _loop;
    private int _disposed;

    public RedisServiceServer(RedisInterfaceFactory factory, InterfaceAddress address, Func<ServiceRequest, CancellationToken, ValueTask<ServiceResponse>> handler)
    {
        _factory = factory;
        _handler = handler;
        Address = address;
        _queueName = factory.Keys.ServiceQueueName(address);
        _wakeChannel = factory.Keys.ServiceWakeChannel(address);
        _slots = new SemaphoreSlim(factory.Options.MaxConcurrentRequests, factory.Options.MaxConcurrentRequests);
        _onWake = (_, _) => _wake.Set();
    }

    public InterfaceAddress Address { get; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await VyraRedis.RetryWhileConnectingAsync(() => _factory.Redis.GetSubscriber().SubscribeAsync(_wakeChannel, _onWake), VyraRedis.StartPatience, cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(() => ReadLoopAsync(_stop.Token));
    }

    private async Task ReadLoopAsync(CancellationToken stop)
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
            RedisValue taken = RedisValue.Null;
            var failed = false;
            try
            {
                taken = await _factory.PopAsync(Address).ConfigureAwait(false);
            }
            catch (RedisServerException ex)
            {
                // Redis refuses (e.g. an ACL without the list commands): worth a warning, once a minute at most.
                failed = true;
                if (_refusals.TryEnter(out var suppressed)) _factory.Logger.LogWarning(ex, "Redis refused to give the requests of {Address} ({Suppressed} more refusals)", Address, suppressed);
            }
            catch (Exception ex) when (ex is RedisException or ObjectDisposedException or TimeoutException)
            {
                failed = true;
                _factory.Logger.LogDebug(ex, "Taking a request of {Address} failed", Address);
            }
            if (taken.IsNull)
            {
                _slots.Release();
                // Nothing waiting (or Redis is away): sleep until a client's push wakes us, or the poll interval passes.
                if (failed)
                {
                    try
                    {
                        await Task.Delay(_factory.Options.PollInterval, stop).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
                else
                {
                    await _wake.WaitAsync(_factory.Options.PollInterval, stop).ConfigureAwait(false);
                }
                continue;
            }
            var work = Task.Run(() => ProcessAsync(taken, stop));
            _running[work] = 0;
            _ = work.ContinueWith(t =>
            {
                _running.TryRemove(t, out _);
                _slots.Release();
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ProcessAsync(RedisValue message, CancellationToken stop)
    {
        try
        {
            await HandleAsync(message, stop).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // A Redis failure while answering: the client answers itself "timeout".
            _factory.Logger.LogWarning(ex, "A request of {Address} was not answered", Address);
        }
    }

    private async Task HandleAsync(RedisValue message, CancellationToken stop)
    {
        // 1. Bounds and authenticity before anything is parsed. Without a verified sender there is no reply channel an
        //    attacker could not have chosen: such a request is dropped unanswered.
        if (_factory.TooLarge(message))
        {
            _factory.Drop(_queueName, $"a request of {message.Length()} bytes (at most {_factory.Options.MaxMessageBytes})");
            return;
        }
        var signer = _factory.Signer;
        var json = signer.Unwrap(WireSigner.KindBusRequest, _factory.Keys.Prefix, _queueName, (string?)message ?? "", out var key, out var problem);
        if (json is null)
        {
            _factory.Drop(_queueName, problem!);
            return;
        }
        var request = BusWire.ParseRequest(json, _factory.Options.MaxJsonDepth, out problem);
        if (request is null)
        {
            _factory.Drop(_queueName, $"not a request: {problem}");
            return;
        }
        if (request.Sender is not { } sender || !WireNames.IsSenderId(sender) || !WireNames.IsRequestId(request.RequestId) || !WireSigner.KeyAllows(key, sender))
        {
            _factory.Drop(_queueName, $"the sender '{request.Sender}' or request id is not plain, or key '{key?.Id}' may not sign for the sender");
            return;
        }

        // 2. The deadline: one already past is skipped (its client answered itself "timeout"); one too far away refused.
        var now = RedisInterfaceFactory.NowMs();
        if (request.DeadlineUnixMs <= now)
        {
            _factory.CountExpired();
            _factory.Logger.LogDebug("Skipped request {Request} of {Sender} on {Address}: its deadline passed before it was taken", request.RequestId, sender, Address);
            return;
        }
        if (request.DeadlineUnixMs > now + (long)_factory.Options.MaxRequestTimeout.TotalMilliseconds + RedisInterfaceFactory.ClockSkewMs)
        {
            await ReplyAsync(sender, request.RequestId, BusWire.Failure(Address.ToString(), $"the request's deadline is further away than this server accepts ({_factory.Options.MaxRequestTimeout})")).ConfigureAwait(false);
            return;
        }

        // 3. Replays: a request id runs once per sender, whichever copy of it is taken first.
        var seenFor = TimeSpan.FromMilliseconds(request.DeadlineUnixMs - now + 1000);
        if (!await _factory.Redis.GetDatabase().StringSetAsync(_factory.Keys.BusSeenKey(sender, request.RequestId), 1, seenFor, When.NotExists).ConfigureAwait(false))
        {
            _factory.Drop(_queueName, $"request '{request.RequestId}' of '{sender}' was pushed again (a replay)");
            return;
        }

        // 4. Who may speak for the requesting plugin.
        if (_factory.Options.Authorization is { } authorization && !authorization.MayPublish(sender, request.Body.PluginId))
        {
            _factory.Logger.LogWarning("Sender {Sender} may not request {Address} as plugin {Plugin}", sender, Address, request.Body.PluginId);
            await ReplyAsync(sender, request.RequestId, BusWire.Failure(Address.ToString(), $"permission denied: sender '{sender}' may not speak for plugin '{request.Body.PluginId}'")).ConfigureAwait(false);
            return;
        }

        // 5. The handler, cancelled at the deadline or when the server is disposed.
        ServiceResponse response;
        using (var call = CancellationTokenSource.CreateLinkedTokenSource(stop))
        {
            call.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(1, request.DeadlineUnixMs - RedisInterfaceFactory.NowMs())));
            try
            {
                response = await _handler(request.Body, call.Token).ConfigureAwait(false)
                    ?? BusWire.Failure(Address.ToString(), "the service gave no reply");
            }
            catch (PluginCallException ex)
            {
                response = BusWire.Failure(Address.ToString(), ex.Reason);
            }
            catch (OperationCanceledException) when (call.IsCancellationRequested)
            {
                response = BusWire.Failure(Address.ToString(), stop.IsCancellationRequested ? "the server stopped" : "timeout");
            }
            catch (Exception ex)
            {
                // The handler's exception stays in this host's log: its message may carry internals.
                _factory.Logger.LogWarning(ex, "The handler of {Address} failed on a request of {Plugin}", Address, request.Body.PluginId);
                response = BusWire.Failure(Address.ToString(), $"the service failed ({ex.GetType().Name})");
            }
        }
        await ReplyAsync(sender, request.RequestId, response).ConfigureAwait(false);
    }

    /// <summary>Answers on the sender's reply channel (derived from its authenticated id, never read from the request), signed for that sender.</summary>
    private async Task ReplyAsync(string sender, string requestId, ServiceResponse response)
    {
        var json = BusWire.SerializeReply(response, requestId, _factory.SenderId);
        var size = Encoding.UTF8.GetByteCount(json);
        if (size > _factory.Options.MaxMessageBytes)
        {
            json = BusWire.SerializeReply(BusWire.Failure(Address.ToString(), $"the reply is {size} bytes of JSON; at most {_factory.Options.MaxMessageBytes} are sent"), requestId, _factory.SenderId);
        }
        var signed = _factory.Signer.Wrap(WireSigner.KindBusReply, _factory.Keys.Prefix, sender, json);
        await _factory.Redis.GetSubscriber().PublishAsync(_factory.Keys.BusReplyChannel(sender), signed).ConfigureAwait(false);
    }

    /// <summary>Stops taking requests and unsubscribes; running handlers are cancelled and awaited up to the shutdown grace.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _factory.Untrack(this);
        _stop.Cancel();
        try
        {
            await _factory.Redis.GetSubscriber().UnsubscribeAsync(_wakeChannel, _onWake).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException or TimeoutException)
        {
            // The subscription goes with the connection.
        }
        if (_loop is { } loop) await loop.ConfigureAwait(false);
        var running = _running.Keys.ToArray();
        if (running.Length > 0) await Task.WhenAny(Task.WhenAll(running), Task.Delay(_factory.Options.ShutdownGrace)).ConfigureAwait(false);
    }
}
