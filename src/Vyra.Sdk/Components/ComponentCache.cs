using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Wasmtime;
using Wasmtime.Components;

namespace Vyra.Sdk;

/// <summary>
/// Compiled components, shared as core modules are: in memory by the sha256 of their bytes while anything holds them
/// (a restart does not compile again), and on disk in <see cref="PluginRuntimeOptions.CacheDirectory"/> through the
/// modules' authenticated cache (<c>ModuleDiskCache</c>: an entry must carry this host's HMAC, else it is a miss), under
/// a fingerprint of its own so a component entry never loads as a module.
/// </summary>
internal static class ComponentCache
{
    private static readonly ConcurrentDictionary<string, WeakReference<Component>> Compiled = new(StringComparer.Ordinal);

    public static Component Load(ComponentEngine engine, string path, byte[] bytes, PluginRuntimeOptions options, ILogger logger, Func<Component> compile, out ModuleSource source)
    {
        source = ModuleSource.MemoryCache;
        var hash = Convert.ToHexString(SHA256.HashData(bytes)) + (ModuleFile.IsText(path) ? ".component.wat" : ".component");
        var key = (engine.FuelEnabled ? "fuel|" : "|") + hash;
        if (Compiled.TryGetValue(key, out var weak) && weak.TryGetTarget(out var shared))
        {
            VyraTelemetry.CacheHits.Add(1, new KeyValuePair<string, object?>(VyraTelemetry.CacheTag, "memory"));
            return shared;
        }
        var disk = DiskCache(engine, options, logger);
        Component? component = null;
        if (disk?.TryLoadPayload(hash) is { } payload)
        {
            try
            {
                component = Component.Deserialize(engine.Engine, payload);
                source = ModuleSource.DiskCache;
                VyraTelemetry.CacheHits.Add(1, new KeyValuePair<string, object?>(VyraTelemetry.CacheTag, "disk"));
            }
            catch (WasmtimeException)
            {
                component = null; // another Wasmtime or configuration: compile again
            }
        }
        if (component is null)
        {
            component = compile();
            source = ModuleSource.Compiled;
            VyraTelemetry.CacheMisses.Add(1);
            if (disk is not null)
            {
                try
                {
                    disk.StorePayload(hash, component.Serialize());
                }
                catch (WasmtimeException)
                {
                    // nothing cached: the next process compiles
                }
            }
        }
        foreach (var (k, w) in Compiled)
        {
            if (!w.TryGetTarget(out _)) Compiled.TryRemove(new KeyValuePair<string, WeakReference<Component>>(k, w));
        }
        Compiled[key] = new WeakReference<Component>(component);
        return component;
    }

    /// <summary>Forgets the compiled components held in memory (tests: the next load comes from disk or a compile).</summary>
    internal static void ForgetMemory() => Compiled.Clear();

    private static ModuleDiskCache? DiskCache(ComponentEngine engine, PluginRuntimeOptions options, ILogger logger)
    {
        if (options.CacheDirectory is not { } directory) return null;
        var problem = ModuleDiskCache.Untrusted(directory);
        var secret = problem is null ? ModuleCacheKey.For(options, directory, out problem) : null;
        if (secret is not null) return new ModuleDiskCache(directory, engine.Fingerprint, secret);
        logger.LogWarning("The module cache folder {CacheDirectory} is not used for components: {Reason}", directory, problem);
        return null;
    }
}
