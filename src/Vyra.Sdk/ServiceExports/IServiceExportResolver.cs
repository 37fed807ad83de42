namespace Vyra.Sdk;

/// <summary>
/// Finds the host service a manifest's <c>service_exports[].service</c> names (set on
/// <see cref="PluginRuntimeOptions.ServiceExports"/>). <see cref="ServiceExportResolver"/> is a table of services;
/// Vyra.Sdk.Hosting resolves keyed <see cref="IVyraService"/> registrations from the container.
/// </summary>
public interface IServiceExportResolver
{
    /// <summary>The service registered as <paramref name="service"/>, or null when there is none.</summary>
    IVyraService? Resolve(string service);
}
