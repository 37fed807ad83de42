using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// A shared Wasmtime <see cref="Engine"/> per configuration (fuel metering on or off; epoch interruption always on;
/// the proposals a plugin must not use — multiple memories, 64-bit memories, shared memories and threads — off, so a
/// module using them fails to compile and the store's memory cap covers the one memory a plugin may have),
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

    // What each module this engine loaded holds (ModuleFacts: its start function; the compile bounds, checked on every
    // load, also on a cache hit, because runtimes sharing a module may set different bounds). Kept with the module: it
    // goes when the module does.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<Module, ModuleShape> _shapeOf = new();

    // Cache folders already warned about (once per process each).
    private static readonly ConcurrentDictionary<string, bool> WarnedCaches = new(StringComparer.Ordinal);

    private WasmEngine(bool fuel)
    {
        using var config = NewConfig(fuel);
        Engine = new Engine(config);
        Ticker = new EpochTicker(Engine);
        FuelEnabled = fuel;
        Fingerprint = $"epoch=1;fuel={(fuel ? 1 : 0)};multimemory=0;memory64=0;threads=0";
    }

    /// <summary>The configuration every plugin engine uses (also for tests that need a separate engine like it).</summary>
    internal static Config NewConfig(bool fuel) => new Config()
        .WithEpochInterruption(true)
        .WithFuelConsumption(fuel)
        .WithMultiMemory(false)
        .WithMemory64(false)
        .WithWasmThreads(false);

    /// <summary>The engine configuration, for the disk cache's key (a serialized module loads only into the same one).</summary>
    public string Fingerprint { get; }

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
        // A typed import is linked as the binding class its signature names, so "typed" is part of the key: an instance
        // only ever meets a linker whose callbacks fit its own imports' bindings.
        var key = (wasi ? "wasi|" : "|") + string.Join("|", imports.Select(i => $"{i.ModuleName}.{i.Definition.Name}{i.Definition.WasmSignatureText}{(i.Definition.Binding is null ? "" : " typed")}"));
        return _linkers.GetOrAdd(key, _ => BuildLinker(imports, wasi));
    }

    private Linker BuildLinker(IReadOnlyList<ResolvedImport> imports, bool wasi)
    {
        var linker = new Linker(Engine);
        if (wasi)
        {
            linker.DefineWasi();
            // Wasmtime's poll_oneoff sleeps past any deadline (the epoch cannot interrupt a host call): ours waits on the call's token.
            WasiPoll.Define(linker);
        }
        for (var i = 0; i < imports.Count; i++)
        {
            var index = i;
            var import = imports[i];
            if (import.Definition.Binding is { } binding)
            {
                // Generated bindings: a typed Wasmtime host function, arguments as plain values (no boxed spans).
                binding.Define(linker, import.ModuleName, import.Definition.Name, index);
                continue;
            }
            linker.DefineFunction(import.ModuleName, import.Definition.Name,
                (Caller caller, ReadOnlySpan<ValueBox> arguments, Span<ValueBox> results) =>
                {
                    var instance = (WasmInstance)caller.GetData()!;
                    var definition = instance.Contract.Imports[index].Definition;
                    try
                    {
                        definition.Handler(new HostCall(instance, caller, definition, arguments, results));
                    }
                    catch (OperationCanceledException) when (instance.Guard.HostInterruption() is { } interrupted)
                    {
                        // The host function gave up because the call's deadline passed or its caller cancelled:
                        // the call ends as a Timeout or Cancelled, not as a failing host function.
                        throw interrupted;
                    }
                },
                import.Definition.WasmParameters, import.Definition.WasmResults);
        }
        return linker;
    }

    public EpochTicker Ticker { get; }

    public bool FuelEnabled { get; }

    /// <summary>
    /// Compiles the module at <paramref name="path"/> (wasm or wat), or returns the copy compiled earlier from the same
    /// bytes in this process, or the one in the options' cache folder from an earlier process. The module must meet
    /// <see cref="PluginRuntimeOptions.ModuleLimits"/> first (checked on its bytes, also on a cache hit).
    /// </summary>
    public Module LoadModule(string path, string? cacheDirectory, out ModuleSource source) =>
        LoadModule(path, cacheDirectory is null ? PluginRuntimeOptions.Default : new PluginRuntimeOptions { CacheDirectory = cacheDirectory },
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, out source);

    /// <summary>As above, with the options' bounds, cache folder and cache key.</summary>
    public Module LoadModule(string path, PluginRuntimeOptions options, ILogger logger, out ModuleSource source) =>
        LoadModule(path, options, logger, out source, out _);

    /// <summary>
    /// The module compiled earlier in this process from the file at <paramref name="path"/>, when the file is unchanged
    /// (same length and write time) and the module is still in use; checked against the options' bounds like any load.
    /// Costs a file stamp and a lookup, so a start takes it on its own thread.
    /// </summary>
    public bool TryLoadFromMemory(string path, PluginRuntimeOptions options, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Module? module, out string sha256Hex)
    {
        module = null;
        sha256Hex = "";
        if (!_keysByPath.TryGetValue(path, out var known)) return false;
        var stamp = FileStamp.Of(path);
        if (known.Stamp != stamp || stamp == FileStamp.None || Cached(known.Key) is not { } hit) return false;
        CheckShape(hit, options.ModuleLimits, path);
        sha256Hex = known.Key[..64];
        module = Hit(hit, out _);
        return true;
    }

    /// <summary>As above; <paramref name="sha256Hex"/> is the SHA-256 (uppercase hex) of the file bytes the module was made from.</summary>
    public Module LoadModule(string path, PluginRuntimeOptions options, ILogger logger, out ModuleSource source, out string sha256Hex)
    {
        var limits = options.ModuleLimits;
        if (TryLoadFromMemory(path, options, out var hit, out sha256Hex))
        {
            source = ModuleSource.MemoryCache;
            return hit;
        }
        var stamp = FileStamp.Of(path);
        var (buffer, read) = ReadModule(path, limits.MaxModuleBytes);
        try
        {
            return LoadModule(path, options, logger, stamp, buffer.AsMemory(0, read), out source, out sha256Hex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer); // nothing keeps the bytes: the hash, bounds and compile are done with them
        }
    }

    /// <summary>
    /// The module's bytes in a pooled buffer (a module is up to megabytes: a fresh array per start is a large-object
    /// allocation, and their collections showed in the disk cache's start), bounded before a byte is read and read only
    /// to the length checked on the open file; only a regular file is opened (a FIFO swapped in cannot hang the start).
    /// </summary>
    internal static (byte[] Buffer, int Length) ReadModule(string path, long maxBytes)
    {
        try
        {
            using var stream = BoundedFile.OpenRegular(path) ?? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            var length = stream.Length;
            if (length > maxBytes) throw ModuleBounds.Refused(path, ModuleBounds.Over("bytes", length, nameof(ModuleLimits.MaxModuleBytes), maxBytes));
            if (length > Array.MaxLength) throw new IOException($"the file is {length} bytes, more than one array holds");
            var buffer = ArrayPool<byte>.Shared.Rent((int)length);
            try
            {
                return (buffer, stream.ReadAtLeast(buffer.AsSpan(0, (int)length), (int)length, throwOnEndOfStream: false));
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(buffer);
                throw;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PluginLoadException($"{path}: cannot read the module: {ex.Message}", path, innerException: ex);
        }
    }

    private Module LoadModule(string path, PluginRuntimeOptions options, ILogger logger, FileStamp stamp, ReadOnlyMemory<byte> bytes, out ModuleSource source, out string sha256Hex)
    {
        var limits = options.ModuleLimits;
        var text = ModuleFile.IsText(path);
        // With a disk cache, a hint beside its entries names the key this path had: the entry is read, checked and
        // mapped while the bytes are hashed, and used only if the hash is that key (ModuleDiskCache.LoadBesideHash).
        var disk = DiskCacheFor(options, logger);
        var hinted = disk is null
            ? new HintedLoad(ModuleDiskCache.KeyOf(bytes.Span, text), null, EntryRefused: false)
            : disk.LoadBesideHash(Engine, path, stamp, bytes, text, k => Cached(k) is not null);
        var key = hinted.Key;
        var speculative = hinted.Module;
        sha256Hex = key[..64];
        try
        {
            if (Cached(key) is { } same)
            {
                CheckShape(same, limits, path);
                _keysByPath[path] = (stamp, key);
                return Hit(same, out source);
            }
            var binary = text ? TextToBinary(path, bytes.Span) : bytes;
            var shape = ModuleBounds.Check(binary.Span, limits, path);
            _keysByPath[path] = (stamp, key);
            // One compile per module at a time; different modules compile in parallel. A failed compile caches nothing.
            lock (_compiling.GetOrAdd(key, static _ => new object()))
            {
                if (Cached(key) is { } raced) return Hit(raced, out source);
                Module module;
                if (speculative is not null)
                {
                    (module, speculative) = (speculative, null);
                    source = ModuleSource.DiskCache;
                }
                else
                {
                    module = LoadOrCompile(path, stamp, binary.Span, key, disk, tryDisk: !hinted.EntryRefused, out source);
                }
                _shapeOf.AddOrUpdate(module, shape);
                PruneCollected();
                _modules[key] = new WeakReference<Module>(module);
                if (source == ModuleSource.Compiled) VyraTelemetry.CacheMisses.Add(1);
                else VyraTelemetry.CacheHits.Add(1, new KeyValuePair<string, object?>(VyraTelemetry.CacheTag, "disk"));
                return module;
            }
        }
        finally
        {
            // Not handed out: another start of the same module got there first, or the module broke a bound.
            speculative?.Dispose();
        }
    }

    private void CheckShape(Module module, ModuleLimits limits, string path)
    {
        if (_shapeOf.TryGetValue(module, out var shape) && shape.Violation(limits) is { } problem) throw ModuleBounds.Refused(path, problem);
    }

    /// <summary>The text format is turned into bytes first (parsing is linear), so the same bounds apply to both.</summary>
    private static byte[] TextToBinary(string path, ReadOnlySpan<byte> text)
    {
        try
        {
            return Module.ConvertText(System.Text.Encoding.UTF8.GetString(text)).ToArray();
        }
        catch (WasmtimeException ex)
        {
            throw new PluginLoadException($"{path}: not a valid WebAssembly text module: {FirstLine(ex.Message)}", path, innerException: ex);
        }
    }

    /// <summary>The disk cache for these options, or null when there is none or it cannot be trusted (warned once per folder).</summary>
    private ModuleDiskCache? DiskCacheFor(PluginRuntimeOptions options, ILogger logger)
    {
        if (options.CacheDirectory is not { } directory) return null;
        var problem = ModuleDiskCache.Untrusted(directory);
        var key = problem is null ? ModuleCacheKey.For(options, directory, out problem) : null;
        if (key is not null) return new ModuleDiskCache(directory, Fingerprint, key);
        if (WarnedCaches.TryAdd(Path.GetFullPath(directory), true))
        {
            logger.LogWarning("The module cache folder {CacheDirectory} is not used: {Reason}; modules are compiled instead", directory, problem);
        }
        return null;
    }

    /// <summary>
    /// Whether instantiating <paramref name="module"/> may run guest code before any call (a start function): false only
    /// when this engine scanned its bytes and found none.
    /// </summary>
    public bool MayHaveStartFunction(Module module) => !_shapeOf.TryGetValue(module, out var shape) || shape.HasStart;

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

    private Module LoadOrCompile(string path, FileStamp stamp, ReadOnlySpan<byte> bytes, string key, ModuleDiskCache? disk, bool tryDisk, out ModuleSource source)
    {
        if (tryDisk && disk?.TryLoad(Engine, key, Path.GetFileName(path)) is { } cached)
        {
            // Found without a (right) hint: the next process finds it beside its hash.
            disk.WriteHint(path, stamp, key);
            source = ModuleSource.DiskCache;
            return cached;
        }
        var module = Compile(path, bytes);
        if (disk is not null)
        {
            disk.Store(key, module);
            disk.WriteHint(path, stamp, key);
        }
        source = ModuleSource.Compiled;
        return module;
    }

    private Module Compile(string path, ReadOnlySpan<byte> bytes)
    {
        var name = Path.GetFileName(path);
        try
        {
            return Module.FromBytes(Engine, name, bytes); // text was converted (and checked) already
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
