namespace Vyra.Sdk;

/// <summary>A service being served, from <see cref="IInterfaceFactory.CreateServerAsync"/>; dispose to stop serving.</summary>
public interface IServiceServer : IAsyncDisposable
{
    /// <summary>The service.</summary>
    InterfaceAddress Address { get; }
}
