using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>
/// An event's way into <c>on_event</c> as a hand-off (docs/bus.md, "Delivery"): the in-process bus starts it from the
/// publisher's call, or from the end of the previous delivery, and all that runs there is the lease and the post to the
/// runtime's guest thread. The event's data is encoded and the guest runs on the guest thread; a lease that has to wait
/// (the instance busy, the guest slots taken) waits asynchronously, so the publisher never waits for the subscriber.
/// </summary>
public sealed partial class WasmRuntime
{
    // The guest thread's reusable buffer for an event's data (copied into guest memory before the guest runs).
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_eventData;
    [ThreadStatic]
    private static Utf8JsonWriter? t_eventWriter;

    // A buffer grown past this by one large event is not kept by the thread.
    private const int KeptEventBuffer = 64 * 1024;

    /// <summary>The handler a guest subscription gives the transport: a hand-off when the runtime has guest threads.</summary>
    private Func<PluginEvent, CancellationToken, ValueTask> EventHandler(string topic, byte[] topicUtf8)
    {
        // Without guest threads a delivery runs inline on whoever starts it, so it must stay on the bus's pump.
        if (!Options.GuestThreads) return (message, token) => DeliverEventAsync(topic, topicUtf8, message, token);
        return new EventHandOff(this, topic, topicUtf8).DeliverAsync;
    }

    /// <summary>One subscription's deliveries; the in-process bus finds it as the handler's target.</summary>
    private sealed class EventHandOff(WasmRuntime runtime, string topic, byte[] topicUtf8) : IEventHandOff
    {
        /// <summary>The ordinary asynchronous delivery, for transports that call the handler (Redis, or the bus's pump).</summary>
        public ValueTask DeliverAsync(PluginEvent message, CancellationToken cancellationToken) =>
            runtime.DeliverEventAsync(topic, topicUtf8, message, cancellationToken);

        public bool TryHandOff(PluginEvent message, CancellationToken cancellationToken, Action delivered) =>
            runtime.TryHandOffEvent(topic, topicUtf8, message, cancellationToken, delivered);
    }

    private bool TryHandOffEvent(string topic, byte[] topicUtf8, PluginEvent message, CancellationToken cancellationToken, Action delivered)
    {
        ValueTask<AsyncLease> leasing;
        // The thread may be inside a call (a guest publishing, or the guest thread that ran the previous event): the
        // event is not a nested call of it, so the lease must neither refuse it as re-entrant nor skip its guest slot.
        var frames = CallFrame.SetAside();
        try
        {
            leasing = LeaseAsync("on_event", cancellationToken); // async: a refusal comes back in the task, never thrown
        }
        finally
        {
            CallFrame.Restore(frames);
        }
        if (leasing.IsCompletedSuccessfully)
        {
            StartEvent(leasing.Result, topic, topicUtf8, message, cancellationToken, delivered);
            return true;
        }
        if (leasing.IsCompleted)
        {
            try
            {
                leasing.GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                EventLost(topic, message, ex, cancellationToken);
            }
            return false;
        }
        _ = AwaitEventLeaseAsync(leasing, topic, topicUtf8, message, cancellationToken, delivered);
        return true;
    }

    private async Task AwaitEventLeaseAsync(ValueTask<AsyncLease> leasing, string topic, byte[] topicUtf8, PluginEvent message, CancellationToken cancellationToken, Action delivered)
    {
        AsyncLease lease;
        try
        {
            lease = await leasing.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            EventLost(topic, message, ex, cancellationToken);
            delivered();
            return;
        }
        StartEvent(lease, topic, topicUtf8, message, cancellationToken, delivered);
    }

    /// <summary>Posts the event to the guest thread; <paramref name="delivered"/> runs there once the instance and the guest slot are given back.</summary>
    private void StartEvent(AsyncLease lease, string topic, byte[] topicUtf8, PluginEvent message, CancellationToken cancellationToken, Action delivered) =>
        _ = lease.Workers.Run(() =>
        {
            // The slot is marked (for a host function that lends it out) and given back here rather than by the workers,
            // so that the next event, started from this thread, finds it free.
            try
            {
                var outer = HeldGuestSlot.Enter(lease.Slot);
                try
                {
                    RunEvent(lease, topic, topicUtf8, message, cancellationToken);
                }
                finally
                {
                    HeldGuestSlot.Exit(outer);
                }
            }
            finally
            {
                // Whatever happened, the subscription's turn goes on: a lost call must not stop its later events.
                delivered();
            }
            return true;
        });

    /// <summary>One event into <c>on_event</c> on the guest thread, under the call's limits; a failure is logged and loses this event only.</summary>
    private void RunEvent(AsyncLease lease, string topic, byte[] topicUtf8, PluginEvent message, CancellationToken cancellationToken)
    {
        const string export = "on_event";
        var instance = lease.Instance;
        Exception? failure = null;
        instance.Frame.Enter(this, null);
        instance.ObserveTypedCall(export);
        try
        {
            CallFrame.RunFlowing(this, () =>
            {
                if (cancellationToken.IsCancellationRequested) throw Cancelled(export, cancellationToken);
                instance.BeginCall(cancellationToken, lease.WaitedMs);
                try
                {
                    var name = instance.WriteArgument(topicUtf8, AbiSite.Argument("name"));
                    var data = instance.WriteArgument(EventData(message.Data), AbiSite.Argument("data"));
                    instance.OnEvent!(name.Pointer, name.Length, data.Pointer, data.Length);
                    return true;
                }
                catch (Exception ex)
                {
                    var failed = Fail(lease.Slots, export, ex, instance);
                    instance.ObserveFailure(failed.Kind);
                    throw failed;
                }
                finally
                {
                    instance.EndCall();
                }
            });
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        finally
        {
            instance.EndObservedCall(export);
            instance.Frame.Exit();
            lease.Slots.Release(instance);
        }
        if (failure is not null) EventLost(topic, message, failure, cancellationToken);
    }

    /// <summary>The event's data as UTF-8 JSON, in this thread's buffer (valid until the next event on this thread).</summary>
    private static ReadOnlySpan<byte> EventData(JsonElement data)
    {
        if (data.ValueKind == JsonValueKind.Undefined) return "null"u8;
        var buffer = t_eventData ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        var writer = t_eventWriter;
        if (writer is null) t_eventWriter = writer = new Utf8JsonWriter(buffer);
        else writer.Reset(buffer);
        data.WriteTo(writer);
        writer.Flush();
        if (buffer.Capacity > KeptEventBuffer)
        {
            // Returned once, then let go: one large event must not pin its size on the thread for good.
            t_eventData = null;
            t_eventWriter = null;
        }
        return buffer.WrittenSpan;
    }

    /// <summary>Logs an event <c>on_event</c> did not take: quietly when the plugin or the subscription was stopping.</summary>
    private void EventLost(string topic, PluginEvent message, Exception failure, CancellationToken cancellationToken)
    {
        if (failure is PluginCallException { Kind: PluginErrorKind.NotStarted } || cancellationToken.IsCancellationRequested)
            Logger.LogDebug("Plugin {PluginId}: an event on '{Topic}' arrived while it stopped; dropped", PluginId, topic);
        else if (failure is PluginCallException ex)
            Logger.LogWarning("Plugin {PluginId}: on_event for '{Topic}' (from {Publisher}) failed ({Kind}): {Reason}; the event is lost", PluginId, topic, message.PluginId, ex.Kind, ex.Reason);
        else
            Logger.LogWarning(failure, "Plugin {PluginId}: on_event for '{Topic}' (from {Publisher}) failed; the event is lost", PluginId, topic, message.PluginId);
    }
}
