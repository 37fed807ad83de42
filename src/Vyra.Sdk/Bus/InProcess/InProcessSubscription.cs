using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>
/// One subscription of an <see cref="InProcessBus"/> topic: a bounded queue and one pump that delivers its events in
/// order. The pump starts without the subscriber's or any publisher's execution context, so a delivery is never taken
/// for a nested call of whoever published (and takes its own guest slot when it calls a plugin). A full queue drops the
/// new event for this subscriber only; a handler that throws loses that event only.
/// </summary>
internal sealed class InProcessSubscription : IBusSubscription
{
    private readonly InProcessBus _bus;
    private readonly InProcessTopic _topic;
    private readonly Func<PluginEvent, CancellationToken, ValueTask> _onEvent;
    private readonly Channel<PluginEvent> _queue;
    private readonly CancellationTokenSource _stop = new();
    private long _dropped;
    private int _disposed;

    public InProcessSubscription(InProcessBus bus, InProcessTopic topic, Func<PluginEvent, CancellationToken, ValueTask> onEvent)
    {
        _bus = bus;
        _topic = topic;
        _onEvent = onEvent;
        // Wait mode makes TryWrite say "full" (false) instead of dropping silently, so drops can be counted.
        _queue = Channel.CreateBounded<PluginEvent>(new BoundedChannelOptions(bus.Options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
    }

    public InterfaceAddress Address => _topic.Address;

    /// <summary>Events this subscription dropped because its queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public InProcessSubscription Start()
    {
        // No context flows into the pump: not the subscriber's (it may be inside a plugin call), not a publisher's.
        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(PumpAsync);
        }
        return this;
    }

    /// <summary>Queues <paramref name="message"/> without waiting; counts and logs a drop when the queue is full.</summary>
    public void Offer(PluginEvent message)
    {
        if (_queue.Writer.TryWrite(message) || Volatile.Read(ref _disposed) != 0) return;
        var dropped = Interlocked.Increment(ref _dropped);
        VyraTelemetry.BusDropped.Add(1, new KeyValuePair<string, object?>(VyraTelemetry.BusAddressTag, Address.ToString()));
        // The first drop and then every 1000th: a flood must not turn into a flood of log lines.
        if (dropped == 1 || dropped % 1000 == 0)
            _bus.Logger.LogWarning("Bus: a subscriber of '{Address}' is too slow: its queue of {Capacity} events is full; {Dropped} event(s) dropped so far (InProcessBusOptions.QueueCapacity)", Address, _bus.Options.QueueCapacity, dropped);
    }

    private async Task PumpAsync()
    {
        var reader = _queue.Reader;
        var token = _stop.Token;
        try
        {
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (!token.IsCancellationRequested && reader.TryRead(out var message))
                {
                    try
                    {
                        await _onEvent(message, token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (token.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception ex)
                    {
                        _bus.Logger.LogWarning(ex, "Bus: a subscriber of '{Address}' failed on an event from {PluginId}; the event is lost, the subscription goes on", Address, message.PluginId);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }

    /// <summary>Stops delivery: no handler starts after this returns (one already running gets its token cancelled). Idempotent.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return default;
        if (_topic.Remove(this)) _bus.Forget(_topic);
        _queue.Writer.TryComplete();
        _stop.Cancel();
        return default;
    }
}
