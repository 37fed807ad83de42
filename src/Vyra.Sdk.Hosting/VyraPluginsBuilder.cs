using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Vyra.Plugin.Hosting;

/// <summary>
/// Returned by <c>AddVyraPlugins</c>: registers typed plugin proxies (the classes the generator writes from
/// <c>metadata.json</c>) as singletons whose runtimes are started and stopped with the host.
/// </summary>
public sealed class VyraPluginsBuilder
{
    private const DynamicallyAccessedMemberTypes ProxyMembers =
        DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicProperties |
        DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.Interfaces;

    internal VyraPluginsBuilder(IServiceCollection services) => Services = services;

    /// <summary>The application's services.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Registers a generated proxy by its own id (its <c>PluginId</c> constant), wrapping the runtime the catalog creates for
    /// that id with the configured options: <c>.AddPlugin&lt;CounterWidgetPlugin&gt;()</c>.
    /// </summary>
    public VyraPluginsBuilder AddPlugin<[DynamicallyAccessedMembers(ProxyMembers)] TProxy>()
        where TProxy : class =>
        AddPlugin<TProxy>(PluginIdOf(typeof(TProxy)));

    /// <summary>
    /// Registers a generated proxy for plugin <paramref name="pluginId"/>, wrapping the runtime the catalog creates for that
    /// id (through the proxy's <c>(PluginRuntime)</c> constructor).
    /// </summary>
    public VyraPluginsBuilder AddPlugin<[DynamicallyAccessedMembers(ProxyMembers)] TProxy>(string pluginId)
        where TProxy : class
    {
        var wrap = typeof(TProxy).GetConstructor([typeof(PluginRuntime)])
            ?? throw new ArgumentException($"{typeof(TProxy).Name} has no public constructor taking a PluginRuntime; pass a factory to AddPlugin.", nameof(TProxy));
        return AddPlugin(pluginId, context => (TProxy)wrap.Invoke([context.CreateRuntime()]));
    }

    /// <summary>
    /// Registers a proxy for plugin <paramref name="pluginId"/> made by <paramref name="factory"/> from the configured
    /// module, host and options, e.g. <c>c =&gt; CounterWidgetPlugin.Create(c.ModulePath, c.Host, state, c.Options, c.PreferStub)</c>.
    /// </summary>
    /// <param name="pluginId">The plugin id in the catalog.</param>
    /// <param name="factory">Creates the proxy (not started).</param>
    /// <param name="runtimeOf">The proxy's runtime; default: its public <c>Runtime</c> property.</param>
    public VyraPluginsBuilder AddPlugin<[DynamicallyAccessedMembers(ProxyMembers)] TProxy>(string pluginId, Func<PluginFactoryContext, TProxy> factory, Func<TProxy, PluginRuntime>? runtimeOf = null)
        where TProxy : class
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginId);
        ArgumentNullException.ThrowIfNull(factory);
        return Register(pluginId, runtimeOf, sp => factory(sp.GetRequiredService<PluginRuntimeRegistry>().CreateContext(pluginId)));
    }

    /// <summary>
    /// Registers a proxy made entirely by <paramref name="factory"/>, e.g.
    /// <c>sp =&gt; CounterWidgetPlugin.Create(path, sp.GetService&lt;IHostFunctions&gt;())</c>. Its id is learnt from the runtime.
    /// </summary>
    /// <param name="factory">Creates the proxy (not started).</param>
    /// <param name="runtimeOf">The proxy's runtime; default: its public <c>Runtime</c> property.</param>
    public VyraPluginsBuilder AddPlugin<[DynamicallyAccessedMembers(ProxyMembers)] TProxy>(Func<IServiceProvider, TProxy> factory, Func<TProxy, PluginRuntime>? runtimeOf = null)
        where TProxy : class
    {
        ArgumentNullException.ThrowIfNull(factory);
        return Register(null, runtimeOf, factory);
    }

    /// <summary>Changes the options in code (after configuration binding, so these values win).</summary>
    public VyraPluginsBuilder Configure(Action<VyraPluginsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }

    private VyraPluginsBuilder Register<[DynamicallyAccessedMembers(ProxyMembers)] TProxy>(string? pluginId, Func<TProxy, PluginRuntime>? runtimeOf, Func<IServiceProvider, TProxy> create)
        where TProxy : class
    {
        var getRuntime = runtimeOf ?? RuntimeProperty<TProxy>();
        Services.AddSingleton(new PluginRegistration(typeof(TProxy), pluginId, proxy => getRuntime((TProxy)proxy)));
        Services.AddSingleton(sp =>
        {
            var proxy = create(sp);
            sp.GetRequiredService<PluginRuntimeRegistry>().Adopt(getRuntime(proxy));
            return proxy;
        });
        // The generated I<Name>Plugin interface ("fake it in tests") resolves to the same proxy.
        foreach (var contract in typeof(TProxy).GetInterfaces().Where(IsProxyContract))
        {
            Services.TryAdd(ServiceDescriptor.Singleton(contract, sp => sp.GetRequiredService<TProxy>()));
        }
        return this;
    }

    private static bool IsProxyContract(Type type) =>
        type.IsPublic && type.Namespace is { } ns && !ns.StartsWith("System", StringComparison.Ordinal) && !ns.StartsWith("Microsoft", StringComparison.Ordinal);

    private static Func<TProxy, PluginRuntime> RuntimeProperty<[DynamicallyAccessedMembers(ProxyMembers)] TProxy>()
    {
        var property = typeof(TProxy).GetProperty("Runtime", BindingFlags.Public | BindingFlags.Instance);
        if (property is null || !typeof(PluginRuntime).IsAssignableFrom(property.PropertyType) || property.GetMethod is null)
        {
            throw new ArgumentException($"{typeof(TProxy).Name} has no public PluginRuntime Runtime property; pass runtimeOf to AddPlugin.", nameof(TProxy));
        }
        return proxy => (PluginRuntime)(property.GetValue(proxy) ?? throw new InvalidOperationException($"{typeof(TProxy).Name}.Runtime is null"));
    }

    private static string PluginIdOf([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] Type proxy)
    {
        var field = proxy.GetField("PluginId", BindingFlags.Public | BindingFlags.Static);
        return field is { IsLiteral: true } && field.GetRawConstantValue() is string { Length: > 0 } id
            ? id
            : throw new ArgumentException($"{proxy.Name} has no public const string PluginId; pass the plugin id to AddPlugin.", nameof(proxy));
    }
}
