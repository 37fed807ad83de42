namespace Vyra.Sdk;

/// <summary>Where the compiled module of a start came from.</summary>
public enum ModuleSource
{
    /// <summary>Compiled from the module file.</summary>
    Compiled,
    /// <summary>Reused from this process (same bytes, same engine configuration).</summary>
    MemoryCache,
    /// <summary>Loaded from the disk cache (<see cref="PluginRuntimeOptions.CacheDirectory"/>).</summary>
    DiskCache,
}
