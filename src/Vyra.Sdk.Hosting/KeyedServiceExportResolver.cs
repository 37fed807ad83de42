using Microsoft.Extensions.DependencyInjection;

namespace Vyra.Sdk.Hosting;

/// <summary>
/// Resolves a manifest's <c>service_exports[].service</c> as the container's <see cref="IVyraService"/> keyed by that
/// name (<c>AddService</c>, or <c>services.AddKeyedSingleton&lt;IVyraService, T&gt;("name")</c>). No reflection: the
/// service dispatches its methods by name itself.
/// </summary>
internal sealed class KeyedServiceExportResolver(IServiceProvider services) : IServiceExportResolver
{
    public IVyraService? Resolve(string service) =>
        services is IKeyedServiceProvider keyed ? keyed.GetKeyedService(typeof(IVyraService), service) as IVyraService : null;
}
