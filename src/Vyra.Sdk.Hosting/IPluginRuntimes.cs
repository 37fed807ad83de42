namespace Vyra.Sdk.Hosting;

/// <summary>
/// The plugins of the application by id, as registered by <c>AddVyraPlugins</c>: one runtime per id, created on first
/// use (or at host start), shared with the typed proxy registered for that id, stopped with the host.
/// </summary>
public interface IPluginRuntimes
{
    /// <summary>The catalog of the configured pools.</summary>
    PluginCatalog Catalog { get; }

    /// <summary>The pool folders scanned, as full paths (the configured ones resolved against the content root, each once).</summary>
    IReadOnlyList<string> Pools { get; }

    /// <summary>The plugin versions of the pools, valid or not, sorted by id then version (a missing or unreadable pool is not one: see <see cref="PoolProblems"/>).</summary>
    IReadOnlyList<CatalogEntry> Plugins { get; }

    /// <summary>Why pools contribute nothing: a folder that does not exist or cannot be read.</summary>
    IReadOnlyList<string> PoolProblems { get; }

    /// <summary>True once the host began stopping: plugins are being stopped and none is started again.</summary>
    bool IsShuttingDown { get; }

    /// <summary>The host functions given to every plugin: the container's <see cref="IHostFunctions"/>, else a <see cref="NullHostFunctions"/>.</summary>
    IHostFunctions Host { get; }

    /// <summary>The runtimes created so far (started or not), typed proxies' runtimes included.</summary>
    IReadOnlyCollection<PluginRuntime> Runtimes { get; }

    /// <summary>True when <paramref name="pluginId"/> names a plugin of the pools (valid or not), a typed registration or a created runtime.</summary>
    bool IsKnown(string pluginId);

    /// <summary>The runtime of <paramref name="pluginId"/> when it was created already.</summary>
    bool TryGetExisting(string pluginId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PluginRuntime? runtime);

    /// <summary>
    /// The runtime of <paramref name="pluginId"/>, created when needed (not started): the typed proxy's when one is registered
    /// for the id, else one from the catalog. A missing or invalid plugin is a <see cref="PluginLoadException"/>.
    /// </summary>
    PluginRuntime Get(string pluginId);

    /// <summary>
    /// <see cref="Get"/>, then started (idempotent). Start failures are thrown as the kernel reports them. Once the host
    /// is stopping (<see cref="IsShuttingDown"/>) the runtime is returned as it is, not started again.
    /// </summary>
    ValueTask<PluginRuntime> GetStartedAsync(string pluginId, CancellationToken cancellationToken = default);

    /// <summary>The pool watcher when <see cref="VyraPluginsOptions.WatchPools"/> is on and the host has started; null otherwise.</summary>
    PluginPoolWatcher? Watcher { get; }

    /// <summary>
    /// Hot-swaps the running plugin <paramref name="pluginId"/> to <paramref name="version"/> (null: the highest valid
    /// version), as found in the pools now. The id's runtime stays the same object, so typed proxies and lookups follow
    /// (docs/architecture.md, "Hot swap"). A refused or failed swap is a result, not an exception: the old version keeps serving.
    /// </summary>
    /// <exception cref="InvalidOperationException">The id has no runtime yet, or it is not a Wasmtime runtime.</exception>
    /// <exception cref="PluginLoadException">The pools hold no valid version <paramref name="version"/> of the plugin.</exception>
    Task<PluginSwapResult> SwapAsync(string pluginId, string? version = null, PluginSwapOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>What a runtime of <paramref name="pluginId"/> is created with: catalog entry, host, options from configuration.</summary>
    PluginFactoryContext CreateContext(string pluginId);
}
