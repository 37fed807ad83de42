using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Vyra.Sdk;
using Vyra.Sdk.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Vyra plugins in a service collection.</summary>
public static class VyraServiceCollectionExtensions
{
    /// <summary>
    /// Adds the Vyra plugin services: <see cref="VyraPluginsOptions"/> bound from the configuration section
    /// <c>Vyra:Plugins</c> (when the container has an <see cref="IConfiguration"/>) then changed by <paramref name="configure"/>;
    /// a <see cref="PluginCatalog"/> of the pools; <see cref="IPluginRuntimes"/>;
    /// and a hosted service that starts the configured plugins with the host and stops them with it.
    /// The host functions are the container's <see cref="IHostFunctions"/>, else a <see cref="NullHostFunctions"/>.
    /// Calling it again only adds to the options.
    /// </summary>
    public static VyraPluginsBuilder AddVyraPlugins(this IServiceCollection services, Action<VyraPluginsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!services.Any(d => d.ServiceType == typeof(PluginRuntimeRegistry)))
        {
            services.AddOptions();
            services.AddSingleton<IConfigureOptions<VyraPluginsOptions>>(sp => new ConfigureNamedOptions<VyraPluginsOptions>(Options.Options.DefaultName, options =>
            {
                if (sp.GetService<IConfiguration>() is { } configuration) VyraPluginsConfigurationBinder.Bind(configuration.GetSection(VyraPluginsOptions.SectionName), options);
            }));
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<VyraPluginsOptions>, VyraPluginsOptionsValidator>());
            services.AddSingleton<PluginRuntimeRegistry>();
            services.AddSingleton<IPluginRuntimes>(sp => sp.GetRequiredService<PluginRuntimeRegistry>());
            services.AddSingleton(sp => sp.GetRequiredService<PluginRuntimeRegistry>().Catalog);
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, VyraPluginsHostedService>());
        }
        if (configure is not null) services.Configure(configure);
        return new VyraPluginsBuilder(services);
    }

    /// <summary><see cref="AddVyraPlugins(IServiceCollection, Action{VyraPluginsOptions})"/> with the options bound from <paramref name="section"/> as well.</summary>
    public static VyraPluginsBuilder AddVyraPlugins(this IServiceCollection services, IConfiguration section, Action<VyraPluginsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        var builder = services.AddVyraPlugins();
        services.Configure<VyraPluginsOptions>(options => VyraPluginsConfigurationBinder.Bind(section, options));
        if (configure is not null) services.Configure(configure);
        return builder;
    }
}
