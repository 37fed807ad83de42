namespace Vyra.Sdk;

/// <summary>A table of host services by name, for hosts without dependency injection: <c>new ServiceExportResolver().Add("weather", service)</c>.</summary>
public sealed class ServiceExportResolver : IServiceExportResolver
{
    private readonly Dictionary<string, IVyraService> _services = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>Registers <paramref name="implementation"/> under <paramref name="service"/>, replacing an earlier one.</summary>
    public ServiceExportResolver Add(string service, IVyraService implementation)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentNullException.ThrowIfNull(implementation);
        lock (_gate) _services[service] = implementation;
        return this;
    }

    /// <inheritdoc />
    public IVyraService? Resolve(string service)
    {
        ArgumentNullException.ThrowIfNull(service);
        lock (_gate) return _services.GetValueOrDefault(service);
    }
}
