using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>
/// One subscription of an <see cref="InProcessBus"/> topic: a bounded queue and one deliverer at a time, so its events
/// arrive in publish order. A full queue drops the new event for this subscriber only; a handler that throws loses that
/// event only. docs/bus.md ("Delivery") has the design.
/// <para>
/// Who delivers: when nothing is queued and no delivery is running, a handler that is a hand-off
/// (<see cref="IEventHandOff"/>, a plugin's <c>on_event</c>) is started straight from the publisher's call, in a clean
/// execution context, and the thread that ends a delivery starts the next queued one the same way; any other handler,
/// and a hand-off that ended at once with events behind it, is run by a pump on the thread pool that starts without
/// any execution context. Either way a delivery is never taken for a nested call of whoever published, and never runs
/// on the publisher's thread.
/// </para>
/// </summary>
internal sealed class InProcessSubscription : IBusSubscription
{
    private readonly InProcessBus _bus;
    private readonly InProcessTopic _topic;
    private readonly Func<PluginEvent, CancellationToken, ValueTask> _onEvent;
    private readonly IEventHandOff? _handOff;
    private readonly Action _delivered;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private readonly Queue<PluginEvent> _queue = new(); // under _gate; never more than QueueCapacity
    private bool _delivering; // under _gate: a delivery is running or being started, or the pump owns the queue
    private bool _disposed; // under _gate
    private long _dropped;
    private long _handedOff;

    // The hand-off in progress on this thread, passed through ExecutionContext.Run without allocating per event. Per
    // thread, not per subscription: a delivery may end (and the next start) on another thread before TryHandOff returns.
    [ThreadStatic]
    private static PluginEvent? t_handing;
    [ThreadStatic]
    private static bool t_pending;

    public InProcessSubscription(InProcessBus bus, InProcessTopic topic, Func<PluginEvent, CancellationToken, ValueTask> onEvent)
    {
        _bus = bus;
        _topic = topic;
        _onEvent = onEvent;
        _handOff = onEvent.Target as IEventHandOff;
        _delivered = Delivered;
    }

    public InterfaceAddress Address => _topic.Address;

    /// <summary>Events this subscription dropped because its queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Deliveries started as a hand-off (from a publisher or the end of the previous delivery), not by the pump. For tests.</summary>
    internal long HandedOff => Interlocked.Read(ref _handedOff);

    /// <summary>Events waiting now. For tests.</summary>
    internal int Queued
    {
        get
        {
            lock (_gate) return _queue.Count;
        }
    }

    public InProcessSubscription Start() => this;

    /// <summary>Takes <paramref name="message"/> without waiting: starts its hand-off when nothing is ahead of it, else queues it; counts and logs a drop when the queue is full.</summary>
    public void Offer(PluginEvent message)
    {
        bool direct = false, pump = false;
        lock (_gate)
        {
            if (_disposed) return;
            if (!_delivering)
            {
                // Nothing runs and (so) nothing is queued: this event is next in line.
                _delivering = true;
                if (_handOff is not null) direct = true;
                else
                {
                    _queue.Enqueue(message);
                    pump = true;
                }
            }
            else if (_queue.Count < _bus.Options.QueueCapacity)
            {
                // Behind the running delivery: whoever ends it takes this one (order per subscription).
                _queue.Enqueue(message);
                return;
            }
        }
        if (direct)
        {
            if (!HandOff(message)) AfterImmediateEnd();
        }
        else if (pump) StartPump();
        else CountDrop();
    }

    /// <summary>Ends the subscription's turn or hands the queue to the pump, after the publisher's hand-off ended at once (the publisher never delivers a backlog).</summary>
    private void AfterImmediateEnd()
    {
        lock (_gate)
        {
            if (_disposed || _queue.Count == 0)
            {
                _delivering = false;
                return;
            }
        }
        StartPump();
    }

    /// <summary>A hand-off ended (on the thread that ended it, e.g. the guest thread): the next queued event is handed off from here.</summary>
    private void Delivered()
    {
        while (TryTakeNext(out var next))
        {
            if (HandOff(next)) return; // its end comes back here
        }
    }

    /// <summary>The next queued event for the current deliverer; false (and the turn ends) when there is none or the subscription ended.</summary>
    private bool TryTakeNext(out PluginEvent message)
    {
        lock (_gate)
        {
            if (!_disposed && _queue.TryDequeue(out message!)) return true;
            _queue.Clear();
            _delivering = false;
            message = null!;
            return false;
        }
    }

    /// <summary>Starts the hand-off of <paramref name="message"/> in the default execution context; true when it went on elsewhere.</summary>
    private bool HandOff(PluginEvent message)
    {
        Interlocked.Increment(ref _handedOff);
        t_handing = message;
        try
        {
            ExecutionContext.Run(CleanExecutionContext.Value, static state => ((InProcessSubscription)state!).HandOffHere(), this);
            return t_pending;
        }
        catch (Exception ex)
        {
            // The hand-off reports its own failures; anything else loses this event only.
            _bus.Logger.LogWarning(ex, "Bus: a subscriber of '{Address}' failed on an event from {PluginId}; the event is lost, the subscription goes on", Address, message.PluginId);
            return false;
        }
        finally
        {
            t_handing = null;
        }
    }

    private void HandOffHere()
    {
        // The message is read before and the answer written after the call: a hand-off that ends at once on this very
        // thread may start the next one (nested) in between.
        var message = t_handing!;
        t_pending = false;
        var pending = _handOff!.TryHandOff(message, _stop.Token, _delivered);
        t_pending = pending;
    }

    private void StartPump()
    {
        // No context flows into the pump: not the subscriber's (it may be inside a plugin call), not a publisher's.
        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(PumpAsync);
        }
    }

    /// <summary>Delivers the queue until it is empty, in order; a hand-off that goes on elsewhere takes the turn with it.</summary>
    private async Task PumpAsync()
    {
        var token = _stop.Token;
        while (TryTakeNext(out var message))
        {
            if (_handOff is not null)
            {
                if (HandOff(message)) return;
                continue;
            }
            try
            {
                await _onEvent(message, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // Disposed: the next TryTakeNext ends the turn.
            }
            catch (Exception ex)
            {
                _bus.Logger.LogWarning(ex, "Bus: a subscriber of '{Address}' failed on an event from {PluginId}; the event is lost, the subscription goes on", Address, message.PluginId);
            }
        }
    }

    private void CountDrop()
    {
        var dropped = Interlocked.Increment(ref _dropped);
        VyraTelemetry.BusDropped.Add(1, new KeyValuePair<string, object?>(VyraTelemetry.BusAddressTag, Address.ToString()));
        // The first drop and then every 1000th: a flood must not turn into a flood of log lines.
        if (dropped == 1 || dropped % 1000 == 0)
            _bus.Logger.LogWarning("Bus: a subscriber of '{Address}' is too slow: its queue of {Capacity} events is full; {Dropped} event(s) dropped so far (InProcessBusOptions.QueueCapacity)", Address, _bus.Options.QueueCapacity, dropped);
    }

    /// <summary>Stops delivery: no handler starts after this returns (one already running gets its token cancelled). Idempotent.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed) return default;
            _disposed = true;
            _queue.Clear();
        }
        if (_topic.Remove(this)) _bus.Forget(_topic);
        _stop.Cancel();
        return default;
    }
}
