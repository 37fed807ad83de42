using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;

namespace Vyra.Sdk.Hosting;

/// <summary>
/// Host services for the manifests' <c>service_exports</c> (VYRA §5; docs/bus.md, "Service exports"). Each is a
/// keyed <see cref="IVyraService"/> singleton under the name the manifests' <c>service</c> field uses, so a plain
/// <c>services.AddKeyedSingleton&lt;IVyraService, T&gt;("name")</c> works as well.
/// </summary>
public sealed partial class VyraPluginsBuilder
{
    /// <summary>
    /// Registers <typeparamref name="TService"/> (created by the container, with its dependencies) as service
    /// <paramref name="service"/>: <c>.AddService&lt;WeatherService&gt;("weather")</c>.
    /// </summary>
    public VyraPluginsBuilder AddService<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TService>(string service)
        where TService : class, IVyraService
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        Services.AddKeyedSingleton<IVyraService, TService>(service);
        return this;
    }

    /// <summary>Registers <paramref name="implementation"/> as service <paramref name="service"/>.</summary>
    public VyraPluginsBuilder AddService(string service, IVyraService implementation)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentNullException.ThrowIfNull(implementation);
        Services.AddKeyedSingleton(service, implementation);
        return this;
    }

    /// <summary>
    /// Registers service <paramref name="service"/> made of delegates, built once from the container:
    /// <c>.AddService("weather", (sp, s) =&gt; s.Add("forecast", args =&gt; ...))</c>.
    /// </summary>
    public VyraPluginsBuilder AddService(string service, Action<IServiceProvider, VyraServiceMethods> methods)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentNullException.ThrowIfNull(methods);
        Services.AddKeyedSingleton<IVyraService>(service, (sp, _) =>
        {
            var table = new VyraServiceMethods();
            methods(sp, table);
            return table;
        });
        return this;
    }
}
