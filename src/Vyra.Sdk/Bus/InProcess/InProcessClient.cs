namespace Vyra.Sdk;

/// <summary>
/// A client of an <see cref="InProcessBus"/> service. A request goes to the next server in turn; with no server it
/// fails at once (<c>no server for '…'</c>), with every server full at once too (<c>server busy</c>), and a server that
/// does not answer within the timeout yields the timeout reply (VYRA's <c>{"error":"timeout"}</c>).
/// </summary>
internal sealed class InProcessClient(InProcessBus bus, InterfaceAddress address) : IServiceClient
{
    private volatile bool _disposed;

    public InterfaceAddress Address { get; } = address;

    public async ValueTask<ServiceResponse> RequestAsync(ServiceRequest request, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan) throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "a request timeout must be positive (or infinite)");
        cancellationToken.ThrowIfCancellationRequested();
        // Decision: when nobody serves the address now, say so now rather than after the whole timeout.
        if (bus.FindService(Address) is not { } service) return BusReplies.NoServer(Address);
        var server = service.Next(out var any);
        if (server is null)
        {
            return any
                ? BusReplies.Failed(Address, $"server busy: every server of '{Address}' already handles {bus.Options.MaxPendingRequestsPerServer} requests")
                : BusReplies.NoServer(Address);
        }
        var reply = server.Handle(request, timeout);
        try
        {
            return await reply.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return BusReplies.Timeout();
        }
    }

    public ValueTask DisposeAsync()
    {
        _disposed = true;
        return default;
    }
}
