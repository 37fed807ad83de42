namespace Vyra.Sdk.Hosting;

/// <summary>
/// Everything needed to create a plugin's runtime or proxy the way the configuration says: handed to the factory of
/// <c>AddPlugin&lt;TProxy&gt;(id, factory)</c>, e.g.
/// <c>c =&gt; CounterWidgetPlugin.Create(c.ModulePath, c.Host, new CounterWidgetState { Start = 10 }, c.Options, c.PreferStub)</c>.
/// </summary>
public sealed class PluginFactoryContext
{
    internal PluginFactoryContext(string pluginId, CatalogEntry entry, IHostFunctions host, PluginRuntimeOptions options, bool preferStub, IServiceProvider services)
    {
        PluginId = pluginId;
        Entry = entry;
        Host = host;
        Options = options;
        PreferStub = preferStub;
        Services = services;
    }

    /// <summary>The plugin id.</summary>
    public string PluginId { get; }

    /// <summary>The catalog entry chosen (the configured version, else the highest valid one).</summary>
    public CatalogEntry Entry { get; }

    /// <summary>
    /// The module (<c>logic.wasm</c> or <c>logic.wat</c>) of <see cref="Entry"/>. For a plugin in service-export mode (no
    /// module, VYRA §5) the path where <c>logic.wasm</c> would be: the kernel's factory then serves the folder's
    /// <c>service_exports</c>.
    /// </summary>
    public string ModulePath => Entry.ModulePath ?? Path.Combine(Entry.Directory, "logic.wasm");

    /// <summary>The host functions (the container's <see cref="IHostFunctions"/>, else a <see cref="NullHostFunctions"/>).</summary>
    public IHostFunctions Host { get; }

    /// <summary>
    /// The runtime options from configuration (limits, instances, cache folder, logger factory, <c>PreferStub</c>). Their
    /// <see cref="PluginRuntimeOptions.StubFallback"/> is <see cref="StubFallback.Refuse"/>: a configured plugin whose
    /// module is missing or unusable fails to load instead of answering from the stub.
    /// </summary>
    public PluginRuntimeOptions Options { get; }

    /// <summary>Whether the configuration asks for the stub backend (also in <see cref="Options"/>).</summary>
    public bool PreferStub { get; }

    /// <summary>The application's services.</summary>
    public IServiceProvider Services { get; }

    /// <summary>Creates a runtime (not started) by the kernel's rule with the context's module, host, options and backend choice.</summary>
    public PluginRuntime CreateRuntime(IReadOnlyDictionary<string, object?>? initialState = null) =>
        PluginRuntime.Create(PluginId, ModulePath, Host, initialState, Options);
}
