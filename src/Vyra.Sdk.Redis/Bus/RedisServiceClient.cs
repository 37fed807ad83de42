using System.Text;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Vyra.Sdk.Redis;

/// <summary>
/// A client of one service: pushes a signed request onto the service's list and waits for the reply that a server
/// publishes on this factory's reply channel. The wait ends at the timeout with VYRA's failed reply (error
/// <c>timeout</c>); a reply arriving later finds no waiter and is dropped; a server taking the request after its
/// deadline skips it.
/// </summary>
internal sealed class RedisServiceClient(RedisInterfaceFactory factory, InterfaceAddress address) : IServiceClient
{
    private readonly string _queueName = factory.Keys.ServiceQueueName(address);

    public InterfaceAddress Address { get; } = address;

    public async ValueTask<ServiceResponse> RequestAsync(ServiceRequest request, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(factory.IsDisposed, this);
        if (timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "a request's timeout must be positive");
        }
        // The transport's ceiling wins over a longer wish (a host's PluginBusOptions.RequestTimeout, say): servers refuse
        // deadlines beyond it, so a longer one would only turn every request into an error.
        if (timeout > factory.Options.MaxRequestTimeout) timeout = factory.Options.MaxRequestTimeout;
        cancellationToken.ThrowIfCancellationRequested();
        var requestId = Guid.NewGuid().ToString("N");
        var deadline = RedisInterfaceFactory.NowMs() + (long)Math.Ceiling(timeout.TotalMilliseconds);
        var json = BusWire.SerializeRequest(request, requestId, factory.SenderId, deadline);
        var size = Encoding.UTF8.GetByteCount(json);
        if (size > factory.Options.MaxMessageBytes)
        {
            throw new ArgumentException($"the request to '{Address}' is {size} bytes of JSON; at most {factory.Options.MaxMessageBytes} are sent (RedisInterfaceFactoryOptions.MaxMessageBytes)", nameof(request));
        }
        var signed = factory.Signer.Wrap(WireSigner.KindBusRequest, factory.Keys.Prefix, _queueName, json);

        var waiter = factory.Expect(requestId);
        if (waiter is null)
        {
            return BusWire.Failure(null, $"overloaded: {factory.Options.MaxPendingRequests} requests of this host already wait for their reply (RedisInterfaceFactoryOptions.MaxPendingRequests)");
        }
        // Every way out of here forgets the waiter: a reply arriving later finds none and is dropped.
        try
        {
            try
            {
                if (!await factory.PushAsync(Address, signed).WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
                {
                    return BusWire.Failure(null, $"overloaded: the queue of '{Address}' holds {factory.Options.MaxQueueLength} requests (RedisInterfaceFactoryOptions.MaxQueueLength)");
                }
            }
            catch (TimeoutException)
            {
                return BusWire.Failure(null, "timeout");
            }
            catch (RedisServerException ex)
            {
                // Redis answered but refused (an ACL without the list commands, a script error): say what it said.
                factory.Logger.LogWarning(ex, "Redis refused a request to {Address}", Address);
                return BusWire.Failure(null, $"unavailable: Redis refused the request ({ex.Message})");
            }
            catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
            {
                factory.Logger.LogDebug(ex, "Sending a request to {Address} failed", Address);
                return BusWire.Failure(null, $"unavailable: Redis cannot be reached ({ex.GetType().Name})");
            }

            var remaining = TimeSpan.FromMilliseconds(Math.Max(0, deadline - RedisInterfaceFactory.NowMs()));
            try
            {
                return await waiter.Task.WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // VYRA's {"error":"timeout"}: no plugin answered, so the reply names none.
                return BusWire.Failure(null, "timeout");
            }
        }
        finally
        {
            factory.Forget(requestId);
        }
    }

    public ValueTask DisposeAsync()
    {
        factory.Untrack(this);
        return ValueTask.CompletedTask;
    }
}
