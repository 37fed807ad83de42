using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>
/// One server of an <see cref="InProcessBus"/> service. Each request runs its handler on the thread pool without the
/// requester's execution context (like an event delivery: the server is not a nested call of the requester, and takes
/// its own guest slot when it calls a plugin), with a token that fires at the requester's timeout. At most
/// <see cref="InProcessBusOptions.MaxPendingRequestsPerServer"/> requests are in its hands at once.
/// </summary>
internal sealed class InProcessServer(InProcessBus bus, InProcessService service, Func<ServiceRequest, CancellationToken, ValueTask<ServiceResponse>> handler) : IServiceServer
{
    private readonly CancellationTokenSource _stop = new();
    private int _pending;
    private int _disposed;

    public InterfaceAddress Address => service.Address;

    /// <summary>Takes one of the server's request places; false when it is full or disposed.</summary>
    public bool TryReserve()
    {
        if (Volatile.Read(ref _disposed) != 0) return false;
        if (Interlocked.Increment(ref _pending) <= bus.Options.MaxPendingRequestsPerServer) return true;
        Interlocked.Decrement(ref _pending);
        return false;
    }

    /// <summary>Runs the handler for a reserved place; the place is given back when the handler ends (not when the requester gives up).</summary>
    public Task<ServiceResponse> Handle(ServiceRequest request, TimeSpan timeout)
    {
        using (ExecutionContext.SuppressFlow())
        {
            return Task.Run(() => RunAsync(request, timeout));
        }
    }

    private async Task<ServiceResponse> RunAsync(ServiceRequest request, TimeSpan timeout)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        if (timeout != Timeout.InfiniteTimeSpan) deadline.CancelAfter(timeout);
        try
        {
            return await handler(request, deadline.Token).ConfigureAwait(false) ?? BusReplies.Failed(Address, "the server returned no reply");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return _stop.IsCancellationRequested ? BusReplies.Failed(Address, "the server stopped") : BusReplies.Timeout();
        }
        catch (Exception ex)
        {
            bus.Logger.LogWarning(ex, "Bus: the server of '{Address}' failed on a request from {PluginId}", Address, request.PluginId);
            // The requester learns that it failed, not the server's internals.
            return BusReplies.Failed(Address, "the server failed");
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>Stops serving: no new request reaches the handler; requests in its hands get their token cancelled. Idempotent.</summary>
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return default;
        if (service.Remove(this)) bus.Forget(service);
        _stop.Cancel();
        return default;
    }
}
