using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>
/// The gate every communication operation of one plugin passes (VYRA's PluginFacade, §4), in upstream's order:
/// the permission check (<c>permissions.interfaces</c>), then the throttle (the plugin's own rate limiter), then the
/// module's interface factory (<see cref="IHostFunctions.Interfaces"/>). The guest's <c>vyra</c> imports go through it,
/// and so may host code acting for the plugin. A denied operation fails with <see cref="PluginErrorKind.PermissionDenied"/>,
/// a blocked plugin with <see cref="PluginErrorKind.Blocked"/>; denials, throttles and blocks are logged, counted
/// (<c>vyra.bus.*</c> in the "Vyra.Sdk" meter) and traced. <c>notify_ui</c> is throttled but needs no permission;
/// logging is neither. The handles it creates are its own: disposing the facade (the runtime does, when it stops)
/// disposes them all, once; a subscription or service the caller disposes earlier frees its slot.
/// docs/bus.md has the design.
/// </summary>
public sealed class PluginFacade : IAsyncDisposable
{
    private readonly IHostFunctions _host;
    private readonly PluginBusOptions _options;
    private volatile PermissionGate _gate;
    private readonly object _newAddressGate = new();
    private readonly RateLimiter _limiter;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<InterfaceAddress, Lazy<Task<IBusPublisher>>> _publishers = new();
    private readonly ConcurrentDictionary<InterfaceAddress, Lazy<Task<IServiceClient>>> _clients = new();
    private readonly HashSet<IAsyncDisposable> _owned = [];
    private readonly HandleBudget _subscriptions;
    private readonly HandleBudget _servers;
    private volatile bool _disposed;

    /// <summary>Creates the facade of plugin <paramref name="pluginId"/> with its manifest's <paramref name="permissions"/>.</summary>
    public PluginFacade(string pluginId, PluginPermissions? permissions, IHostFunctions host, PluginBusOptions? options = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginId);
        ArgumentNullException.ThrowIfNull(host);
        PluginId = pluginId;
        _host = host;
        _options = options ?? PluginBusOptions.Default;
        Validate(_options);
        _gate = new PermissionGate(permissions, _options.Module);
        _subscriptions = new HandleBudget(_options.MaxSubscriptions, "PluginBusOptions.MaxSubscriptions");
        _servers = new HandleBudget(_options.MaxServices, "PluginBusOptions.MaxServices");
        _limiter = new RateLimiter(_options.RateLimit, _options.TimeProvider);
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>The plugin this facade acts for.</summary>
    public string PluginId { get; }

    /// <summary>What the plugin's permissions allow, as a denial message states it.</summary>
    public string Allowed => _gate.Describe();

    /// <summary>
    /// Replaces the permissions (a hot swap to a version whose manifest says otherwise): later operations are checked
    /// against the new ones. Handles made earlier are the runtime's to revoke (<see cref="Allows"/>).
    /// </summary>
    internal void ReplacePermissions(PluginPermissions? permissions) => _gate = new PermissionGate(permissions, _options.Module);

    /// <summary>Whether the current permissions allow <paramref name="transport"/> on <paramref name="address"/>.</summary>
    internal bool Allows(InterfaceTransport transport, InterfaceAddress address) => _gate.Allows(transport, address);

    /// <summary>Whether the plugin is blocked for exceeding its rate limit too often.</summary>
    public bool IsBlocked => _limiter.IsBlocked;

    /// <summary>Lifts a block and resets the plugin's excess count (VYRA's <c>unblock</c>).</summary>
    public void Unblock()
    {
        _limiter.Unblock();
        _logger.LogInformation("Plugin {PluginId} unblocked by the host", PluginId);
    }

    /// <summary>Publishes <paramref name="data"/> on <paramref name="topic"/> (address text, docs/bus.md).</summary>
    public ValueTask PublishAsync(string topic, JsonElement data, CancellationToken cancellationToken = default) =>
        PublishAsync(topic, data, null, cancellationToken);

    /// <summary><see cref="PublishAsync(string, JsonElement, CancellationToken)"/> checked against <paramref name="gate"/> (null: the current permissions).</summary>
    internal async ValueTask PublishAsync(string topic, JsonElement data, PermissionGate? gate, CancellationToken cancellationToken)
    {
        var address = await PassAsync("publish", InterfaceTransport.Publish, topic, gate, cancellationToken).ConfigureAwait(false);
        using var activity = Trace("publish", address);
        var publisher = await Handle(_publishers, address, a => _host.Interfaces.CreatePublisherAsync(a, CancellationToken.None), cancellationToken).ConfigureAwait(false);
        await publisher.PublishAsync(new PluginEvent(address.Name, PluginId, data), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Subscribes <paramref name="onEvent"/> to <paramref name="topic"/>; the subscription ends when the facade is disposed, or earlier when disposed.</summary>
    public ValueTask<IBusSubscription> SubscribeAsync(string topic, Func<PluginEvent, CancellationToken, ValueTask> onEvent, CancellationToken cancellationToken = default) =>
        SubscribeAsync(topic, onEvent, null, cancellationToken);

    /// <summary><see cref="SubscribeAsync(string, Func{PluginEvent, CancellationToken, ValueTask}, CancellationToken)"/> checked against <paramref name="gate"/> (null: the current permissions).</summary>
    internal async ValueTask<IBusSubscription> SubscribeAsync(string topic, Func<PluginEvent, CancellationToken, ValueTask> onEvent, PermissionGate? gate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onEvent);
        var address = await PassAsync("subscribe", InterfaceTransport.Subscribe, topic, gate, cancellationToken).ConfigureAwait(false);
        using var activity = Trace("subscribe", address);
        var subscription = await WithinBudgetAsync("subscribe", address, _subscriptions, () => _host.Interfaces.CreateSubscriberAsync(address, onEvent, cancellationToken)).ConfigureAwait(false);
        return Own(new OwnedSubscription(this, subscription));
    }

    /// <summary>
    /// Sends <paramref name="data"/> to the service <paramref name="service"/> and waits for the reply, at most
    /// <paramref name="timeout"/> (default <see cref="PluginBusOptions.RequestTimeout"/>); a timeout is a failed reply
    /// with error <c>timeout</c>, not an exception.
    /// </summary>
    public ValueTask<ServiceResponse> RequestAsync(string service, JsonElement data, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        RequestAsync(service, data, timeout, null, cancellationToken);

    /// <summary><see cref="RequestAsync(string, JsonElement, TimeSpan?, CancellationToken)"/> checked against <paramref name="gate"/> (null: the current permissions).</summary>
    internal async ValueTask<ServiceResponse> RequestAsync(string service, JsonElement data, TimeSpan? timeout, PermissionGate? gate, CancellationToken cancellationToken)
    {
        var address = await PassAsync("request", InterfaceTransport.Client, service, gate, cancellationToken).ConfigureAwait(false);
        using var activity = Trace("request", address);
        var client = await Handle(_clients, address, a => _host.Interfaces.CreateClientAsync(a, CancellationToken.None), cancellationToken).ConfigureAwait(false);
        return await client.RequestAsync(new ServiceRequest(PluginId, address.Name, data), timeout ?? _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Serves <paramref name="service"/> with <paramref name="handler"/> until the facade (or the returned handle) is disposed.</summary>
    public ValueTask<IServiceServer> ServeAsync(string service, Func<ServiceRequest, CancellationToken, ValueTask<ServiceResponse>> handler, CancellationToken cancellationToken = default) =>
        ServeAsync(service, handler, null, cancellationToken);

    /// <summary><see cref="ServeAsync(string, Func{ServiceRequest, CancellationToken, ValueTask{ServiceResponse}}, CancellationToken)"/> checked against <paramref name="gate"/> (null: the current permissions).</summary>
    internal async ValueTask<IServiceServer> ServeAsync(string service, Func<ServiceRequest, CancellationToken, ValueTask<ServiceResponse>> handler, PermissionGate? gate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var address = await PassAsync("serve", InterfaceTransport.Server, service, gate, cancellationToken).ConfigureAwait(false);
        using var activity = Trace("serve", address);
        var server = await WithinBudgetAsync("serve", address, _servers, () => _host.Interfaces.CreateServerAsync(address, handler, cancellationToken)).ConfigureAwait(false);
        return Own(new OwnedServer(this, server));
    }

    /// <summary>Pushes an event to the UI: throttled, no permission needed (VYRA §4).</summary>
    public async ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(eventName);
        await ThrottleAsync("notify_ui", target: eventName, cancellationToken).ConfigureAwait(false);
        await _host.NotifyUiAsync(eventName, data, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Disposes every handle the facade created; later operations fail with <see cref="ObjectDisposedException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        List<IAsyncDisposable> owned;
        lock (_owned)
        {
            // Set under the lock Own takes: a handle created concurrently is either in this list or disposed by Own.
            if (_disposed) return;
            _disposed = true;
            owned = [.. _owned];
            _owned.Clear();
        }
        _publishers.Clear();
        _clients.Clear();
        // One handle's failure to close must not keep the others open.
        foreach (var handle in owned) await DisposeQuietlyAsync(handle).ConfigureAwait(false);
    }

    /// <summary>Permission, then throttle (VYRA's order); returns the parsed address.</summary>
    private async ValueTask<InterfaceAddress> PassAsync(string operation, InterfaceTransport transport, string text, PermissionGate? gate, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(text);
        if (!InterfaceAddress.TryParse(text, _options.Module, out var address, out var error))
            throw new PluginCallException(PluginId, operation, $"invalid address: {error}", PluginErrorKind.InvalidArgument);
        gate ??= _gate;
        if (!gate.Allows(transport, address))
        {
            // Logged every time: a denial fails the guest's call, so their rate is the host's own call rate.
            var allowed = gate.Describe();
            VyraTelemetry.BusDenied.Add(1, Tags(operation));
            _logger.LogWarning("Plugin {PluginId}: {Operation} on {Address} denied; its permissions allow {Allowed}", PluginId, operation, address, allowed);
            Activity.Current?.AddEvent(new ActivityEvent("vyra.bus.denied", tags: EventTags(operation, address.ToString())));
            throw new PluginCallException(PluginId, operation, gate.Denial(PluginId, operation, transport, address), PluginErrorKind.PermissionDenied);
        }
        await ThrottleAsync(operation, address.ToString(), cancellationToken).ConfigureAwait(false);
        return address;
    }

    private async ValueTask ThrottleAsync(string operation, string target, CancellationToken cancellationToken)
    {
        var decision = _limiter.Admit();
        var limit = _options.RateLimit;
        if (decision.Blocked)
        {
            // Every refusal is counted; the block itself is logged once (a blocked plugin's refusals are what it keeps doing).
            VyraTelemetry.BusBlocked.Add(1, Tags(operation));
            if (decision.JustBlocked)
            {
                _logger.LogWarning(
                    "Plugin {PluginId} blocked at {Operation} on {Target}: it went over its rate limit ({MaxCalls} operations per {Window}) {Count} times; every operation is refused until the host unblocks it",
                    PluginId, operation, target, limit.MaxCalls, limit.Window, limit.BlockAfter);
            }
            Activity.Current?.AddEvent(new ActivityEvent("vyra.bus.blocked", tags: EventTags(operation, target)));
            throw new PluginCallException(
                PluginId, operation,
                $"plugin '{PluginId}' is blocked: it went over its rate limit ({limit.MaxCalls} operations per {limit.Window.TotalSeconds:0.###} s) {limit.BlockAfter} times; {operation} on '{target}' refused until the host calls PluginFacade.Unblock",
                PluginErrorKind.Blocked);
        }
        if (decision.Throttled)
        {
            VyraTelemetry.BusThrottled.Add(1, Tags(operation));
            _logger.LogInformation(
                "Plugin {PluginId}: {Operation} on {Target} over its rate limit ({MaxCalls} operations per {Window}); delayed {Delay}, excess count {Count} of {BlockAfter}",
                PluginId, operation, target, limit.MaxCalls, limit.Window, decision.Delay, decision.ExcessCount, limit.BlockAfter);
            Activity.Current?.AddEvent(new ActivityEvent("vyra.bus.throttled", tags: EventTags(operation, target)));
            if (decision.Delay > TimeSpan.Zero)
                await Task.Delay(decision.Delay, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The address's shared handle, made once: each caller waits for it at most until its own token fires, and a caller
    /// that gives up neither cancels the making (no caller's token is passed to it: the transport bounds it) nor fails
    /// the others waiting for it; a handle finished after the facade closed is closed by <see cref="Own{T}"/>.
    /// </summary>
    private async ValueTask<T> Handle<T>(ConcurrentDictionary<InterfaceAddress, Lazy<Task<T>>> handles, InterfaceAddress address, Func<InterfaceAddress, ValueTask<T>> create, CancellationToken cancellationToken)
        where T : IAsyncDisposable
    {
        if (!handles.TryGetValue(address, out var lazy))
        {
            // A new address (rare): the count and the add under one lock, so concurrent first uses of different
            // addresses cannot all pass the check and overshoot the cap. Known addresses never take the lock.
            lock (_newAddressGate)
            {
                if (!handles.TryGetValue(address, out lazy))
                {
                    if (_publishers.Count + _clients.Count >= _options.MaxAddresses)
                        throw new PluginCallException(PluginId, "bus", $"plugin '{PluginId}' already uses {_options.MaxAddresses} topics and services (PluginBusOptions.MaxAddresses); '{address}' refused", PluginErrorKind.InvalidArgument);
                    lazy = new Lazy<Task<T>>(async () => Own(await create(address).ConfigureAwait(false)));
                    handles[address] = lazy;
                }
            }
        }
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch when (lazy.Value.IsFaulted || lazy.Value.IsCanceled)
        {
            // A failed creation is not cached: the next operation tries again.
            handles.TryRemove(new KeyValuePair<InterfaceAddress, Lazy<Task<T>>>(address, lazy));
            throw;
        }
    }

    /// <summary>
    /// Makes a subscription or a served service within the plugin's cap for it: the slot is taken first and given back
    /// when the transport fails; a transport whose address is full answers <see cref="PluginErrorKind.Overloaded"/>.
    /// </summary>
    private async ValueTask<T> WithinBudgetAsync<T>(string operation, InterfaceAddress address, HandleBudget budget, Func<ValueTask<T>> create)
    {
        if (!budget.TryTake())
            throw new PluginCallException(PluginId, operation, $"plugin '{PluginId}' already holds {budget.Max} ({budget.Option}); {operation} on '{address}' refused", PluginErrorKind.InvalidArgument);
        try
        {
            return await create().ConfigureAwait(false);
        }
        catch (BusFullException full)
        {
            budget.GiveBack();
            throw new PluginCallException(PluginId, operation, full.Message, PluginErrorKind.Overloaded, full);
        }
        catch
        {
            budget.GiveBack();
            throw;
        }
    }

    /// <summary>How many subscriptions (or services) the plugin holds against its cap.</summary>
    private sealed class HandleBudget(int max, string option)
    {
        private int _held;

        public int Max => max;

        public string Option => option;

        public bool TryTake()
        {
            if (Interlocked.Increment(ref _held) <= max) return true;
            Interlocked.Decrement(ref _held);
            return false;
        }

        public void GiveBack() => Interlocked.Decrement(ref _held);
    }

    /// <summary>Takes ownership of a handle the transport created; once the facade is disposed, disposes it and refuses.</summary>
    private T Own<T>(T handle) where T : IAsyncDisposable
    {
        lock (_owned)
        {
            if (!_disposed)
            {
                _owned.Add(handle);
                return handle;
            }
        }
        // The facade closed while the transport was creating it: nobody else will ever dispose it.
        _ = DisposeQuietlyAsync(handle);
        throw new ObjectDisposedException(nameof(PluginFacade));
    }

    /// <summary>A handle the caller disposed early: the facade stops owning it and frees its slot.</summary>
    private void Release(IAsyncDisposable handle, HandleBudget budget)
    {
        lock (_owned)
        {
            if (!_owned.Remove(handle)) return;
        }
        budget.GiveBack();
    }

    private async Task DisposeQuietlyAsync(IAsyncDisposable handle)
    {
        try
        {
            await handle.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Plugin {PluginId}: closing a bus handle failed", PluginId);
        }
    }

    private static void Validate(PluginBusOptions options)
    {
        if (options.Module is null) throw new ArgumentException("PluginBusOptions.Module must be set", nameof(options));
        if (options.RateLimit is null) throw new ArgumentException("PluginBusOptions.RateLimit must be set", nameof(options));
        if (options.TimeProvider is null) throw new ArgumentException("PluginBusOptions.TimeProvider must be set", nameof(options));
        if (options.RequestTimeout <= TimeSpan.Zero) throw new ArgumentException($"PluginBusOptions.RequestTimeout must be positive, got {options.RequestTimeout}", nameof(options));
        if (options.MaxSubscriptions < 0) throw new ArgumentException($"PluginBusOptions.MaxSubscriptions must not be negative, got {options.MaxSubscriptions}", nameof(options));
        if (options.MaxServices < 0) throw new ArgumentException($"PluginBusOptions.MaxServices must not be negative, got {options.MaxServices}", nameof(options));
        if (options.MaxAddresses < 0) throw new ArgumentException($"PluginBusOptions.MaxAddresses must not be negative, got {options.MaxAddresses}", nameof(options));
        options.RateLimit.Validate();
    }

    private Activity? Trace(string operation, InterfaceAddress address)
    {
        var activity = VyraTelemetry.Source.StartActivity($"vyra.bus {operation}", ActivityKind.Producer);
        activity?.SetTag(VyraTelemetry.PluginIdTag, PluginId);
        activity?.SetTag(VyraTelemetry.BusAddressTag, address.ToString());
        return activity;
    }

    private KeyValuePair<string, object?>[] Tags(string operation) =>
        [new(VyraTelemetry.PluginIdTag, PluginId), new(VyraTelemetry.BusOperationTag, operation)];

    private ActivityTagsCollection EventTags(string operation, string target) => new()
    {
        [VyraTelemetry.PluginIdTag] = PluginId,
        [VyraTelemetry.BusOperationTag] = operation,
        [VyraTelemetry.BusAddressTag] = target,
    };

    /// <summary>
    /// The subscription handed to the caller: disposing it early ends the subscription and frees its slot
    /// (<see cref="PluginBusOptions.MaxSubscriptions"/>); disposing it twice, or after the facade, does nothing more.
    /// </summary>
    private sealed class OwnedSubscription(PluginFacade facade, IBusSubscription inner) : IBusSubscription
    {
        private int _disposed;

        public InterfaceAddress Address => inner.Address;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return ValueTask.CompletedTask;
            facade.Release(this, facade._subscriptions);
            return inner.DisposeAsync();
        }
    }

    /// <summary>The served service handed to the caller; as <see cref="OwnedSubscription"/>, for <see cref="PluginBusOptions.MaxServices"/>.</summary>
    private sealed class OwnedServer(PluginFacade facade, IServiceServer inner) : IServiceServer
    {
        private int _disposed;

        public InterfaceAddress Address => inner.Address;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return ValueTask.CompletedTask;
            facade.Release(this, facade._servers);
            return inner.DisposeAsync();
        }
    }
}
