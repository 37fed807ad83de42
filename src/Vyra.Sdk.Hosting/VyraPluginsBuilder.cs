using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Vyra.Sdk.Hosting;

/// <summary>
/// Returned by <c>AddVyraPlugins</c>: registers typed plugin proxies (the classes the generator writes from
/// <c>metadata.json</c>) as singletons whose runtimes are started and stopped with the host.
/// </summary>
public sealed partial class VyraPluginsBuilder
{
    internal VyraPluginsBuilder(IServiceCollection services) => Services = services;

    /// <summary>The application's services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Registers a generated proxy by its own plugin id, wrapping the runtime the catalog creates for that id with the
    /// configured options: <c>.AddPlugin&lt;CounterWidgetPlugin&gt;()</c>.
    /// </summary>
    public VyraPluginsBuilder AddPlugin<TProxy>()
        where TProxy : class, IPluginProxy<TProxy> =>
        AddPlugin<TProxy>(TProxy.PluginId);

    /// <summary>
    /// Registers a generated proxy by its own plugin id with an initial state that feeds <c>init</c> on start:
    /// <c>.AddPlugin&lt;CounterWidgetPlugin&gt;(new CounterWidgetState { Start = 10 })</c>. Upstream manifests declare no
    /// <c>initial_state</c>; their generated state type holds <c>init</c>'s arguments.
    /// </summary>
    public VyraPluginsBuilder AddPlugin<TProxy>(IPluginState initialState)
        where TProxy : class, IPluginProxy<TProxy>
    {
        ArgumentNullException.ThrowIfNull(initialState);
        var state = initialState.ToDictionary();
        return AddPlugin(TProxy.PluginId, context => TProxy.FromRuntime(context.CreateRuntime(state)));
    }

    /// <summary>Registers a generated proxy for plugin <paramref name="pluginId"/>, wrapping the runtime the catalog creates for that id.</summary>
    public VyraPluginsBuilder AddPlugin<TProxy>(string pluginId)
        where TProxy : class, IPluginProxy<TProxy> =>
        AddPlugin(pluginId, context => TProxy.FromRuntime(context.CreateRuntime()));

    /// <summary>
    /// Registers a proxy for plugin <paramref name="pluginId"/> made by <paramref name="factory"/> from the configured
    /// module, host and options, e.g. <c>c =&gt; CounterWidgetPlugin.Create(c.ModulePath, c.Host, state, c.Options, c.PreferStub)</c>.
    /// </summary>
    /// <param name="pluginId">The plugin id in the catalog.</param>
    /// <param name="factory">Creates the proxy (not started).</param>
    public VyraPluginsBuilder AddPlugin<TProxy>(string pluginId, Func<PluginFactoryContext, TProxy> factory)
        where TProxy : class, IPluginProxy
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginId);
        ArgumentNullException.ThrowIfNull(factory);
        return Register(pluginId, sp => factory(sp.GetRequiredService<PluginRuntimeRegistry>().CreateContext(pluginId)));
    }

    /// <summary>
    /// Registers a proxy made entirely by <paramref name="factory"/>, e.g.
    /// <c>sp =&gt; CounterWidgetPlugin.Create(path, sp.GetService&lt;IHostFunctions&gt;())</c>. Its id is learnt from the runtime.
    /// </summary>
    /// <param name="factory">Creates the proxy (not started).</param>
    public VyraPluginsBuilder AddPlugin<TProxy>(Func<IServiceProvider, TProxy> factory)
        where TProxy : class, IPluginProxy
    {
        ArgumentNullException.ThrowIfNull(factory);
        return Register(null, factory);
    }

    /// <summary>Changes the options in code (after configuration binding, so these values win).</summary>
    public VyraPluginsBuilder Configure(Action<VyraPluginsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }

    private VyraPluginsBuilder Register<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.Interfaces)] TProxy>(string? pluginId, Func<IServiceProvider, TProxy> create)
        where TProxy : class, IPluginProxy
    {
        Services.AddSingleton(new PluginRegistration(typeof(TProxy), pluginId, proxy => ((IPluginProxy)proxy).Runtime));
        Services.AddSingleton(sp =>
        {
            var proxy = create(sp);
            sp.GetRequiredService<PluginRuntimeRegistry>().Adopt(proxy.Runtime);
            return proxy;
        });
        // The generated I<Name>Plugin interface ("fake it in tests") resolves to the same proxy.
        foreach (var contract in typeof(TProxy).GetInterfaces().Where(IsProxyContract))
        {
            Services.TryAdd(ServiceDescriptor.Singleton(contract, sp => sp.GetRequiredService<TProxy>()));
        }
        return this;
    }

    // The plugin's own interface, not the kernel's shared ones (IPluginProxy is implemented by every proxy) or the BCL's.
    private static bool IsProxyContract(Type type) =>
        type.IsPublic && type.Namespace is { } ns && ns != typeof(IPluginProxy).Namespace
        && !ns.StartsWith("System", StringComparison.Ordinal) && !ns.StartsWith("Microsoft", StringComparison.Ordinal);
}
