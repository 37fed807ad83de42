using System.Collections.Concurrent;
using System.Security.Cryptography;
using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// A shared Wasmtime <see cref="Engine"/> per configuration (fuel metering on or off; epoch interruption always on),
/// its epoch ticker, and the modules compiled on it, shared by the sha256 of their bytes while anything uses them. Engines live for the
/// process: they are thread-safe and every runtime with the same configuration reuses one.
/// </summary>
internal sealed class WasmEngine
{
    private static readonly WasmEngine Metered = new(fuel: true);
    private static readonly WasmEngine Unmetered = new(fuel: false);

    // Compiled modules by content key, held weakly: runtimes (and catalog entries) hold the strong references, so a module
    // stays shared while anything uses it — across stop and start too — and is freed once nothing does.
    private readonly ConcurrentDictionary<string, WeakReference<Module>> _modules = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, object> _compiling = new(StringComparer.Ordinal);

    // Path → content key while the file is unchanged, so a restart does not re-read and re-hash the module.
    private readonly ConcurrentDictionary<string, (FileStamp Stamp, string Key)> _keysByPath = new(StringComparer.Ordinal);

    private WasmEngine(bool fuel)
    {
        using var config = new Config()
            .WithEpochInterruption(true)
            .WithFuelConsumption(fuel);
        Engine = new Engine(config);
        Ticker = new EpochTicker(Engine);
        FuelEnabled = fuel;
    }

    public static WasmEngine For(bool fuel) => fuel ? Metered : Unmetered;

    public Engine Engine { get; }

    // One linker per set of import signatures (and WASI on or off), shared by every instance that needs that set.
    private readonly ConcurrentDictionary<string, Linker> _linkers = new(StringComparer.Ordinal);

    /// <summary>
    /// The shared linker for a module's imports. Its host functions are defined once; each call finds the calling
    /// instance in the store's data and runs that instance's handler, so runtimes with different hosts but the same
    /// import signatures share one linker. Linkers are only read after they are built, which Wasmtime allows concurrently.
    /// </summary>
    public Linker LinkerFor(IReadOnlyList<ResolvedImport> imports, bool wasi)
    {
        var key = (wasi ? "wasi|" : "|") + string.Join("|", imports.Select(i => $"{i.ModuleName}.{i.Definition.Name}{i.Definition.WasmSignatureText}"));
        return _linkers.GetOrAdd(key, _ => BuildLinker(imports, wasi));
    }

    private Linker BuildLinker(IReadOnlyList<ResolvedImport> imports, bool wasi)
    {
        var linker = new Linker(Engine);
        if (wasi) linker.DefineWasi();
        for (var i = 0; i < imports.Count; i++)
        {
            var index = i;
            var import = imports[i];
            linker.DefineFunction(import.ModuleName, import.Definition.Name,
                (Caller caller, ReadOnlySpan<ValueBox> arguments, Span<ValueBox> results) =>
                {
                    var instance = (WasmInstance)caller.GetData()!;
                    var definition = instance.Contract.Imports[index].Definition;
                    definition.Handler(new HostCall(instance.PluginId, instance, caller, definition, arguments, results));
                },
                import.Definition.WasmParameters, import.Definition.WasmResults);
        }
        return linker;
    }

    public EpochTicker Ticker { get; }

    public bool FuelEnabled { get; }

    /// <summary>
    /// Compiles the module at <paramref name="path"/> (wasm or wat), or returns the copy compiled earlier from the same
    /// bytes in this process, or the one in <paramref name="cacheDirectory"/> from an earlier process.
    /// </summary>
    public Module LoadModule(string path, string? cacheDirectory, out ModuleSource source)
    {
        var stamp = FileStamp.Of(path);
        if (_keysByPath.TryGetValue(path, out var known) && known.Stamp == stamp && stamp != FileStamp.None && Cached(known.Key) is { } hit)
        {
            return Hit(hit, out source);
        }
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PluginLoadException($"{path}: cannot read the module: {ex.Message}", path, innerException: ex);
        }
        var key = Convert.ToHexString(SHA256.HashData(bytes)) + (ModuleFile.IsText(path) ? ".wat" : ".wasm");
        _keysByPath[path] = (stamp, key);
        if (Cached(key) is { } same) return Hit(same, out source);
        // One compile per module at a time; different modules compile in parallel. A failed compile caches nothing.
        lock (_compiling.GetOrAdd(key, static _ => new object()))
        {
            if (Cached(key) is { } raced) return Hit(raced, out source);
            var module = LoadOrCompile(path, bytes, key, cacheDirectory, out source);
            PruneCollected();
            _modules[key] = new WeakReference<Module>(module);
            if (source == ModuleSource.Compiled) VyraTelemetry.CacheMisses.Add(1);
            else VyraTelemetry.CacheHits.Add(1, new KeyValuePair<string, object?>(VyraTelemetry.CacheTag, "disk"));
            return module;
        }
    }

    private Module? Cached(string key) => _modules.TryGetValue(key, out var weak) && weak.TryGetTarget(out var module) ? module : null;

    private static Module Hit(Module module, out ModuleSource source)
    {
        source = ModuleSource.MemoryCache;
        VyraTelemetry.CacheHits.Add(1, new KeyValuePair<string, object?>(VyraTelemetry.CacheTag, "memory"));
        return module;
    }

    private void PruneCollected()
    {
        foreach (var (key, weak) in _modules)
        {
            if (!weak.TryGetTarget(out _)) _modules.TryRemove(new KeyValuePair<string, WeakReference<Module>>(key, weak));
        }
    }

    private Module LoadOrCompile(string path, byte[] bytes, string key, string? cacheDirectory, out ModuleSource source)
    {
        var disk = cacheDirectory is null ? null : new ModuleDiskCache(cacheDirectory, FuelEnabled);
        if (disk?.TryLoad(Engine, key, Path.GetFileName(path)) is { } cached)
        {
            source = ModuleSource.DiskCache;
            return cached;
        }
        var module = Compile(path, bytes);
        disk?.Store(key, module);
        source = ModuleSource.Compiled;
        return module;
    }

    private Module Compile(string path, byte[] bytes)
    {
        var name = Path.GetFileName(path);
        try
        {
            if (!ModuleFile.IsText(path)) return Module.FromBytes(Engine, name, bytes);
            return Module.FromText(Engine, name, System.Text.Encoding.UTF8.GetString(bytes));
        }
        catch (WasmtimeException ex)
        {
            throw new PluginLoadException($"{path}: not a valid WebAssembly module: {FirstLine(ex.Message)}", path, innerException: ex);
        }
    }

    internal static string FirstLine(string message)
    {
        var cut = message.IndexOf('\n');
        return (cut < 0 ? message : message[..cut]).Trim();
    }
}
