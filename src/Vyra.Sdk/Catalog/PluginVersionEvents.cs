namespace Vyra.Sdk;

/// <summary>A newer valid version of a plugin appeared in a watched pool (<see cref="PluginPoolWatcher.VersionFound"/>).</summary>
/// <param name="entry">The new highest runnable version.</param>
/// <param name="previous">The highest runnable version of the scan before, or null for a plugin new to the pools.</param>
public sealed class PluginVersionFoundEventArgs(CatalogEntry entry, CatalogEntry? previous) : EventArgs
{
    /// <summary>The new highest runnable version.</summary>
    public CatalogEntry Entry { get; } = entry;

    /// <summary>The highest runnable version of the scan before, or null for a plugin new to the pools.</summary>
    public CatalogEntry? Previous { get; } = previous;
}

/// <summary>A runtime the watcher follows was offered a newer version and the swap was tried (<see cref="PluginPoolWatcher.SwapAttempted"/>).</summary>
/// <param name="runtime">The runtime.</param>
/// <param name="entry">The version it was offered.</param>
/// <param name="result">What the swap did (it may have been refused or failed; the old version then keeps serving).</param>
public sealed class PluginSwapAttemptedEventArgs(WasmRuntime runtime, CatalogEntry entry, PluginSwapResult result) : EventArgs
{
    /// <summary>The runtime.</summary>
    public WasmRuntime Runtime { get; } = runtime;

    /// <summary>The version it was offered.</summary>
    public CatalogEntry Entry { get; } = entry;

    /// <summary>What the swap did.</summary>
    public PluginSwapResult Result { get; } = result;
}
