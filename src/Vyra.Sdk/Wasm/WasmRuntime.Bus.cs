using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>
/// The guest's side of the bus (docs/bus.md, "Guest imports"): what the <c>subscribe</c>, <c>serve</c> and
/// <c>request</c> imports do for this runtime, and the deliveries into its <c>on_event</c> and <c>on_request</c>
/// exports. Deliveries come from the transport without the publisher's or requester's execution context, so they are
/// ordinary asynchronous calls: they lease an instance, take a guest slot, run on a guest thread under the call limits
/// and are observed like any call.
/// </summary>
public sealed partial class WasmRuntime
{
    private readonly object _busGate = new();
    private readonly Dictionary<string, IBusSubscription> _subscribed = new(StringComparer.Ordinal);
    private readonly Dictionary<InterfaceAddress, IServiceServer> _served = [];
    // Which version's instance made each handle: a swap that fails after the new version's init ran ends what it made.
    private readonly Dictionary<IAsyncDisposable, ModuleContract> _madeBy = new(ReferenceEqualityComparer.Instance);
    private volatile SwappingIn? _swappingIn; // the version a hot swap is starting, with its own manifest's permissions
    // Whether guest subscriptions and services may be kept: from a start until its stop begins. A guest still running
    // while a stop closes the facade would otherwise get a fresh facade and a subscription that outlives the stop.
    private bool _busOpen;

    /// <summary>A start lets the guest subscribe and serve (before <c>init</c>, which may).</summary>
    private void OpenBus()
    {
        lock (_busGate) _busOpen = true;
    }

    /// <summary>A stop (or a failed start) refuses what a guest still running asks to keep, before the facade closes.</summary>
    private void CloseBus()
    {
        lock (_busGate) _busOpen = false;
    }

    private PluginCallException BusClosed(string operation, IAsyncDisposable handle)
    {
        _ = handle.DisposeAsync();
        return new PluginCallException(PluginId, operation, $"plugin '{PluginId}' is stopping: its {operation} was not kept", PluginErrorKind.NotStarted);
    }

    /// <summary>A version a hot swap is starting (running its <c>init</c>) before it publishes it, and that version's permissions.</summary>
    private sealed record SwappingIn(ModuleContract Contract, PermissionGate Gate);

    /// <summary>
    /// The permissions a guest's bus operation is checked against: the version a hot swap is starting uses its own
    /// manifest's (its <c>init</c> runs before the swap applies them to the runtime), every other instance the runtime's
    /// current ones (null). So a new version may use in <c>init</c> what its manifest newly grants, and the old version,
    /// still serving meanwhile, gains nothing.
    /// </summary>
    internal PermissionGate? GateFor(ModuleContract contract) =>
        _swappingIn is { } starting && ReferenceEquals(starting.Contract, contract) ? starting.Gate : null;

    /// <summary>The guest's <c>subscribe(topic)</c>: events on the topic reach <c>on_event(topic, data)</c>. Subscribing again to the same text is a no-op.</summary>
    internal void SubscribeFromGuest(string topic, ModuleContract contract, CancellationToken cancellationToken)
    {
        if (contract.OnEvent is null)
            throw new PluginCallException(PluginId, "subscribe", $"plugin '{PluginId}' subscribes to '{InterfaceAddress.Shown(topic)}' but exports no on_event(name: string, data: json) to receive its events", PluginErrorKind.InvalidArgument);
        lock (_busGate)
        {
            if (_subscribed.ContainsKey(topic)) return;
        }
        // Not under the lock: the transport may take a while, and the wait lends the guest slot out.
        var topicUtf8 = Encoding.UTF8.GetBytes(topic); // once per subscription, not per event
        var subscription = HeldGuestSlot.WaitReleased(Facade.SubscribeAsync(topic, EventHandler(topic, topicUtf8), GateFor(contract), cancellationToken).AsTask(), cancellationToken);
        lock (_busGate)
        {
            if (!_busOpen) throw BusClosed("subscribe", subscription);
            if (_subscribed.TryAdd(topic, subscription))
            {
                _madeBy[subscription] = contract;
                return;
            }
        }
        // Another instance of this runtime subscribed the same text meanwhile: one subscription is enough.
        _ = subscription.DisposeAsync();
    }

    /// <summary>The guest's <c>serve(service)</c>: requests reach <c>on_request(service, data)</c>. Serving the same address again is a no-op.</summary>
    internal void ServeFromGuest(string service, ModuleContract contract, CancellationToken cancellationToken)
    {
        if (contract.OnRequest is null)
            throw new PluginCallException(PluginId, "serve", $"plugin '{PluginId}' serves '{InterfaceAddress.Shown(service)}' but exports no on_request(service: string, data: json) -> json to answer its requests", PluginErrorKind.InvalidArgument);
        lock (_busGate)
        {
            if (InterfaceAddress.TryParse(service, Options.Bus.Module, out var address, out _) && _served.ContainsKey(address)) return;
        }
        var serviceUtf8 = Encoding.UTF8.GetBytes(service); // once per service, not per request
        var server = HeldGuestSlot.WaitReleased(Facade.ServeAsync(service, (request, token) => AnswerRequestAsync(service, serviceUtf8, request, token), GateFor(contract), cancellationToken).AsTask(), cancellationToken);
        lock (_busGate)
        {
            if (!_busOpen) throw BusClosed("serve", server);
            if (_served.TryAdd(server.Address, server))
            {
                _madeBy[server] = contract;
                return;
            }
        }
        _ = server.DisposeAsync();
    }

    /// <summary>
    /// The guest's <c>request(service, data)</c>: the reply, with the guest's guest slot lent out while it waits (the
    /// server may need it). A request to a service this plugin serves itself is refused at once as
    /// <see cref="PluginErrorKind.Reentrant"/>: its <c>on_request</c> would wait for the very call that is waiting for it.
    /// </summary>
    internal ServiceResponse RequestFromGuest(string service, JsonElement data, ModuleContract contract, CancellationToken cancellationToken)
    {
        if (InterfaceAddress.TryParse(service, Options.Bus.Module, out var address, out _))
        {
            bool own;
            lock (_busGate) own = _served.ContainsKey(address);
            if (own)
                throw new PluginCallException(PluginId, "request", $"plugin '{PluginId}' requested '{address}', which it serves itself: its on_request would wait for the call that is waiting for the reply", PluginErrorKind.Reentrant);
        }
        return HeldGuestSlot.WaitReleased(Facade.RequestAsync(service, data, null, GateFor(contract), cancellationToken).AsTask(), cancellationToken);
    }

    /// <summary>
    /// After a hot swap: ends the guest's subscriptions and services that the new version's permissions no longer allow,
    /// so a version with fewer rights does not keep receiving what the old one was granted, and those it has no
    /// <c>on_event</c> or <c>on_request</c> for (a compatible swap may drop them), which would fail every delivery.
    /// </summary>
    private void RevokeDisallowedBusHandles(ModuleContract swappedIn)
    {
        var facade = Facade;
        EndBusHandles((transport, address, _) => !facade.Allows(transport, address), "the swapped-in version's permissions end");
        EndBusHandles((transport, _, _) => transport == InterfaceTransport.Subscribe ? swappedIn.OnEvent is null : swappedIn.OnRequest is null,
            "the swapped-in version has no on_event or on_request for it, ending");
    }

    /// <summary>
    /// After a hot swap failed: ends the subscriptions and services the new version's <c>init</c> made while it was
    /// being started, so the version that keeps serving does not receive what it never asked for.
    /// </summary>
    private void EndBusHandlesOf(ModuleContract contract) =>
        EndBusHandles((_, _, madeBy) => ReferenceEquals(madeBy, contract), "the failed swap ends what the version it did not swap in made:");

    /// <summary>Ends the guest's subscriptions and services <paramref name="ends"/> picks (by transport, address and the contract that made it).</summary>
    private void EndBusHandles(Func<InterfaceTransport, InterfaceAddress, ModuleContract?, bool> ends, string why)
    {
        var ended = new List<IAsyncDisposable>();
        lock (_busGate)
        {
            foreach (var (topic, subscription) in _subscribed.ToArray())
            {
                if (!ends(InterfaceTransport.Subscribe, subscription.Address, _madeBy.GetValueOrDefault(subscription))) continue;
                _subscribed.Remove(topic);
                ended.Add(subscription);
            }
            foreach (var (address, server) in _served.ToArray())
            {
                if (!ends(InterfaceTransport.Server, address, _madeBy.GetValueOrDefault(server))) continue;
                _served.Remove(address);
                ended.Add(server);
            }
            foreach (var handle in ended) _madeBy.Remove(handle);
        }
        foreach (var handle in ended)
        {
            Logger.LogInformation("Plugin {PluginId}: {Why} {Handle}", PluginId, why, handle is IBusSubscription s ? $"the subscription to '{s.Address}'" : $"serving '{((IServiceServer)handle).Address}'");
            _ = handle.DisposeAsync().AsTask().ContinueWith(t => Logger.LogWarning(t.Exception, "Plugin {PluginId}: closing a bus handle failed", PluginId), TaskContinuationOptions.OnlyOnFaulted);
        }
    }

    /// <summary>Forgets the guest's subscriptions and services (the facade's disposal ended them).</summary>
    private void ForgetBusHandles()
    {
        lock (_busGate)
        {
            _subscribed.Clear();
            _served.Clear();
            _madeBy.Clear();
        }
    }

    /// <summary>One event into <c>on_event(name, data)</c>. A failure is logged and loses this event only.</summary>
    private async ValueTask DeliverEventAsync(string topic, byte[] topicUtf8, PluginEvent message, CancellationToken cancellationToken)
    {
        try
        {
            await RunBusExportAsync("on_event", topicUtf8, Utf8(message.Data), static (instance, a, b) =>
            {
                instance.OnEvent!(a.Pointer, a.Length, b.Pointer, b.Length);
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (PluginCallException ex) when (ex.Kind is PluginErrorKind.NotStarted || cancellationToken.IsCancellationRequested)
        {
            Logger.LogDebug("Plugin {PluginId}: an event on '{Topic}' arrived while it stopped; dropped", PluginId, topic);
        }
        catch (PluginCallException ex)
        {
            Logger.LogWarning("Plugin {PluginId}: on_event for '{Topic}' (from {Publisher}) failed ({Kind}): {Reason}; the event is lost", PluginId, topic, message.PluginId, ex.Kind, ex.Reason);
        }
    }

    /// <summary>One request into <c>on_request(service, data) -> json</c>; a failure becomes a failed reply that names its kind only.</summary>
    private async ValueTask<ServiceResponse> AnswerRequestAsync(string service, byte[] serviceUtf8, ServiceRequest request, CancellationToken cancellationToken)
    {
        byte[] reply;
        try
        {
            reply = await RunBusExportAsync("on_request", serviceUtf8, Utf8(request.Data), static (instance, a, b) =>
            {
                var packed = instance.OnRequest!(a.Pointer, a.Length, b.Pointer, b.Length);
                return (byte[])instance.ReadResult(packed, PluginValueType.Bytes, AbiSite.Result("on_request"))!;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (PluginCallException ex)
        {
            Logger.LogWarning("Plugin {PluginId}: on_request for '{Service}' (from {Requester}) failed ({Kind}): {Reason}", PluginId, service, request.PluginId, ex.Kind, ex.Reason);
            // The requester learns the kind of failure, not the guest's internals (trap text, memory addresses).
            return new ServiceResponse(PluginId, false, BusReplies.NullData, $"plugin '{PluginId}' failed to answer '{service}' ({ex.Kind})");
        }
        if (reply.Length == 0) return new ServiceResponse(PluginId, true, BusReplies.NullData);
        try
        {
            using var document = JsonDocument.Parse(reply);
            return new ServiceResponse(PluginId, true, document.RootElement.Clone());
        }
        catch (JsonException)
        {
            Logger.LogWarning("Plugin {PluginId}: on_request for '{Service}' returned {Length} bytes that are not JSON", PluginId, service, reply.Length);
            return new ServiceResponse(PluginId, false, BusReplies.NullData, $"plugin '{PluginId}' answered '{service}' with text that is not JSON");
        }
    }

    /// <summary>
    /// Runs a bus export with two memory arguments through the asynchronous call path: lease (bounded wait), guest slot,
    /// guest thread, the call's limits, telemetry, and the after-failure policy. Arguments are copied in while leased
    /// and freed when the call ends. The typed delegate is bound once per instance.
    /// </summary>
    private ValueTask<T> RunBusExportAsync<T>(string export, byte[] first, byte[] second, Func<WasmInstance, (int Pointer, int Length), (int Pointer, int Length), T> invoke, CancellationToken cancellationToken)
    {
        // Uncontended, the guest work's own task is returned (no async frame in between: see InvokeLeasedAsync).
        var leasing = LeaseAsync(export, cancellationToken);
        if (leasing.IsCompletedSuccessfully) return new(RunBusExport(leasing.Result, export, first, second, invoke, cancellationToken));
        return AwaitBusLeaseAsync(leasing, export, first, second, invoke, cancellationToken);
    }

    private async ValueTask<T> AwaitBusLeaseAsync<T>(ValueTask<AsyncLease> leasing, string export, byte[] first, byte[] second, Func<WasmInstance, (int Pointer, int Length), (int Pointer, int Length), T> invoke, CancellationToken cancellationToken)
    {
        var lease = await leasing.ConfigureAwait(false);
        return await RunBusExport(lease, export, first, second, invoke, cancellationToken).ConfigureAwait(false);
    }

    private Task<T> RunBusExport<T>(AsyncLease lease, string export, byte[] first, byte[] second, Func<WasmInstance, (int Pointer, int Length), (int Pointer, int Length), T> invoke, CancellationToken cancellationToken) =>
        lease.Workers.Run(() =>
        {
            var instance = lease.Instance;
            instance.Frame.Enter(this, null);
            instance.ObserveTypedCall(export);
            try
            {
                return CallFrame.RunFlowing(this, () =>
                {
                    if (cancellationToken.IsCancellationRequested) throw Cancelled(export, cancellationToken);
                    instance.BeginCall(cancellationToken, lease.WaitedMs);
                    try
                    {
                        var a = instance.WriteArgument(first, AbiSite.Argument("name"));
                        var b = instance.WriteArgument(second, AbiSite.Argument("data"));
                        return invoke(instance, a, b);
                    }
                    catch (Exception ex)
                    {
                        var failure = Fail(lease.Slots, export, ex, instance);
                        instance.ObserveFailure(failure.Kind);
                        throw failure;
                    }
                    finally
                    {
                        instance.EndCall();
                    }
                });
            }
            finally
            {
                instance.EndObservedCall(export);
                instance.Frame.Exit();
                lease.Slots.Release(instance);
            }
        }, lease.Slot);

    private static byte[] Utf8(JsonElement data)
    {
        if (data.ValueKind == JsonValueKind.Undefined) return "null"u8.ToArray();
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer)) data.WriteTo(writer);
        return buffer.WrittenSpan.ToArray();
    }
}
