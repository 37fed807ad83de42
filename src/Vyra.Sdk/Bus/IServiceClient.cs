namespace Vyra.Sdk;

/// <summary>A client of one service, from <see cref="IInterfaceFactory.CreateClientAsync"/>.</summary>
public interface IServiceClient : IAsyncDisposable
{
    /// <summary>The service.</summary>
    InterfaceAddress Address { get; }

    /// <summary>
    /// Sends <paramref name="request"/> and waits for the reply. When no server answers within <paramref name="timeout"/>
    /// the reply is a failed <see cref="ServiceResponse"/> with error <c>timeout</c> (not an exception: VYRA §5);
    /// <paramref name="cancellationToken"/> ends the wait with an <see cref="OperationCanceledException"/>.
    /// </summary>
    ValueTask<ServiceResponse> RequestAsync(ServiceRequest request, TimeSpan timeout, CancellationToken cancellationToken = default);
}
