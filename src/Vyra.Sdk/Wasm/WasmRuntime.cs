using Microsoft.Extensions.Logging;
using Wasmtime;

namespace Vyra.Plugin;

/// <summary>
/// The Wasmtime backend. Each start reads the manifest, compiles (or reuses) the module, checks it against the
/// manifest and the host, instantiates it in a fresh store with its limits, runs <c>_initialize</c> and, by VYRA's rule,
/// <c>init</c>. Calls into one runtime are serialized: a Wasmtime store is single-threaded.
/// </summary>
public sealed class WasmRuntime : PluginRuntime
{
    private readonly object _gate = new();
    private readonly IReadOnlyDictionary<string, object?> _initialState;
    private WasmEngine? _engine;
    private Module? _module;
    private volatile WasmInstance? _instance;
    private EffectiveLimits? _limits;
    private int _generation;

    /// <summary>Creates a runtime for the module at <paramref name="wasmPath"/> (<c>.wasm</c> or <c>.wat</c>); <c>metadata.json</c> is read from its folder.</summary>
    public WasmRuntime(string pluginId, string wasmPath, IHostFunctions? host = null, IReadOnlyDictionary<string, object?>? initialState = null, PluginRuntimeOptions? options = null)
        : base(pluginId, wasmPath, host, options)
    {
        ArgumentException.ThrowIfNullOrEmpty(wasmPath);
        _initialState = initialState is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(initialState);
    }

    /// <inheritdoc />
    public override bool IsRunning => _instance is not null;

    /// <inheritdoc />
    public override string Backend => "wasm";

    /// <summary>The manifest read by the last start; null before a start, or when the plugin has no <c>metadata.json</c>.</summary>
    public PluginManifest? Manifest { get; private set; }

    /// <summary>The path of the manifest next to the module.</summary>
    public string ManifestPath => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(WasmPath)) ?? ".", ManifestReader.FileName);

    /// <inheritdoc />
    public override async ValueTask StartAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyDictionary<string, object?>? initResult;
        lock (_gate)
        {
            if (_instance is not null) return;
            cancellationToken.ThrowIfCancellationRequested();
            initResult = StartCore();
        }
        if (initResult is not null) await NotifyResultAsync("init", initResult).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override ValueTask StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_instance is null) return ValueTask.CompletedTask;
            _instance.Dispose();
            _instance = null;
            _engine!.Ticker.Release();
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask OnEventAsync(string eventName, IReadOnlyDictionary<string, object?>? data = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        lock (_gate)
        {
            var instance = _instance ?? throw NotStarted("on_event");
            if (!EventGlob.MatchesAny(Manifest?.Events, eventName))
            {
                Logger.LogDebug("Plugin {PluginId} does not subscribe to event {EventName}", PluginId, eventName);
                return ValueTask.CompletedTask;
            }
            if (instance.Contract.OnEvent is not { } handler)
            {
                Logger.LogDebug("Plugin {PluginId} exports no on_event; event {EventName} ignored", PluginId, eventName);
                return ValueTask.CompletedTask;
            }
            var arguments = new Dictionary<string, object?> { ["name"] = eventName, ["data"] = data };
            Invoke(instance, handler, arguments, cancellationToken);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// A typed, allocation-free handle on an export for generated proxies: the delegate is bound once per instance
    /// (<paramref name="bind"/>, e.g. <c>f =&gt; f.WrapFunc&lt;int, int&gt;()</c>) and every call still goes through the
    /// runtime's lock and limits. See <see cref="TypedExport{TDelegate}.Enter"/>.
    /// </summary>
    public TypedExport<TDelegate> GetTypedExport<TDelegate>(string name, Func<Function, TDelegate?> bind)
        where TDelegate : Delegate => new(this, name, bind);

    /// <inheritdoc />
    protected override ValueTask<IReadOnlyDictionary<string, object?>> InvokeAsync(string function, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var instance = _instance ?? throw NotStarted(function);
            if (!instance.Contract.Exports.TryGetValue(function, out var export))
            {
                throw UnknownFunction(function, Manifest?.Exports is null
                    ? "the module exports no such function"
                    : "the function is not declared in the manifest's exports");
            }
            return ValueTask.FromResult(Invoke(instance, export, data, cancellationToken));
        }
    }

    // ---- called under _gate -------------------------------------------------------------------------------

    internal object Gate => _gate;

    internal WasmInstance CurrentInstance(string function) => _instance ?? throw NotStarted(function);

    /// <summary>Maps a failure of a guest call and applies the after-trap policy.</summary>
    internal PluginCallException Fail(string function, Exception exception, WasmInstance instance)
    {
        var failure = GuestFailure.ToCallException(PluginId, function, exception, instance);
        if (Options.RecycleInstanceAfterTrap && failure.Kind is not (PluginErrorKind.InvalidArgument or PluginErrorKind.UnknownFunction or PluginErrorKind.NotStarted)
            && ReferenceEquals(instance, _instance))
        {
            Recycle();
        }
        return failure;
    }

    private IReadOnlyDictionary<string, object?>? StartCore()
    {
        Manifest = File.Exists(ManifestPath) ? ManifestReader.ReadFile(ManifestPath) : null;
        if (Manifest is null)
        {
            Logger.LogWarning("Plugin {PluginId} has no {Manifest} next to {Module}: every function the module exports is callable with its wasm signature", PluginId, ManifestReader.FileName, WasmPath);
        }
        else if (Manifest.Id != PluginId)
        {
            Logger.LogWarning("Plugin {PluginId}: the manifest's id is '{ManifestId}'", PluginId, Manifest.Id);
        }
        _limits = ResolveLimits(Manifest);
        _engine = WasmEngine.For(fuel: _limits.Fuel is not null);
        _module = _engine.LoadModule(WasmPath);
        _engine.Ticker.Acquire();
        try
        {
            return Instantiate();
        }
        catch
        {
            _engine.Ticker.Release();
            throw;
        }
    }

    /// <summary>Builds a fresh instance and runs <c>init</c>; on failure nothing is left running.</summary>
    private IReadOnlyDictionary<string, object?>? Instantiate()
    {
        var contract = ModuleContract.Check(Manifest, _module!, WasmPath, BuildHostImports());
        WasmInstance instance;
        try
        {
            instance = new WasmInstance(PluginId, _engine!, _module!, contract, _limits!, ++_generation);
        }
        catch (Exception ex) when (ex is not PluginLoadException)
        {
            var failure = GuestFailure.ToCallException(PluginId, "_start", ex, null);
            throw new PluginLoadException($"{WasmPath}: instantiation failed: {failure.Reason}", WasmPath, innerException: failure);
        }
        try
        {
            var result = RunInit(instance);
            _instance = instance;
            return result;
        }
        catch (PluginCallException ex)
        {
            instance.Dispose();
            throw new PluginLoadException($"[{PluginId}] start failed: {ex.Message}", WasmPath, innerException: ex);
        }
        catch
        {
            instance.Dispose();
            throw;
        }
    }

    private void Recycle()
    {
        var old = _instance!;
        _instance = null;
        old.Dispose();
        try
        {
            Instantiate();
            Logger.LogInformation("Plugin {PluginId}: instance rebuilt after a failed call", PluginId);
        }
        catch (Exception ex)
        {
            _engine!.Ticker.Release();
            Logger.LogError(ex, "Plugin {PluginId}: rebuilding the instance failed; the runtime is stopped", PluginId);
        }
    }

    /// <summary>VYRA's rule: <c>init</c> runs when the state (manifest defaults + caller's values) is non-empty and <c>init</c> is callable.</summary>
    private IReadOnlyDictionary<string, object?>? RunInit(WasmInstance instance)
    {
        var state = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var entry in Manifest?.InitialState ?? [])
        {
            if (entry.Default is { } value) state[entry.Key] = value;
        }
        foreach (var (key, value) in _initialState) state[key] = value;
        if (state.Count == 0 || !instance.Contract.Exports.TryGetValue("init", out var init)) return null;
        foreach (var key in state.Keys)
        {
            if (!init.Args.Any(a => a.Name == key))
            {
                Logger.LogWarning("Plugin {PluginId}: initial state key '{Key}' matches no argument of init", PluginId, key);
            }
        }
        return Invoke(instance, init, state, CancellationToken.None);
    }

    private HostImportRegistry BuildHostImports()
    {
        var registry = new HostImportRegistry();
        BuiltInHostImports.Register(registry, Host, Logger);
        (Host as BaseHostFunctions)?.CollectImports(registry);
        return registry;
    }

    private EffectiveLimits ResolveLimits(PluginManifest? manifest)
    {
        var limits = manifest?.Limits ?? new RuntimeLimits();
        var timeout = Options.Timeout ?? (limits.TimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : PluginRuntimeOptions.DefaultTimeout);
        var memory = Options.MemoryLimitBytes ?? (limits.MemoryMb is { } mb ? mb * 1024 * 1024 : null);
        return new EffectiveLimits(timeout, Options.Fuel ?? limits.Fuel, memory);
    }

    /// <summary>The dictionary call path: coerce arguments by name, invoke, decode results.</summary>
    private IReadOnlyDictionary<string, object?> Invoke(WasmInstance instance, ExportSpec export, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) throw Cancelled(export.Name, cancellationToken);
        var arguments = new ValueBox[export.WasmParameterCount];
        instance.BeginCall(cancellationToken);
        try
        {
            var slot = 0;
            foreach (var arg in export.Args)
            {
                data.TryGetValue(arg.Name, out var value);
                var present = data.ContainsKey(arg.Name);
                try
                {
                    switch (arg.Type)
                    {
                        case PluginValueType.I32: arguments[slot++] = present ? ScalarCoercion.ToInt32(value) : 0; break;
                        case PluginValueType.I64: arguments[slot++] = present ? ScalarCoercion.ToInt64(value) : 0L; break;
                        case PluginValueType.F32: arguments[slot++] = present ? (float)ScalarCoercion.ToDouble(value) : 0f; break;
                        case PluginValueType.F64: arguments[slot++] = present ? ScalarCoercion.ToDouble(value) : 0d; break;
                        case PluginValueType.Bool: arguments[slot++] = present && ScalarCoercion.ToBoolean(value) ? 1 : 0; break;
                        default:
                            var bytes = present ? MemoryValues.Encode(value, arg.Type) : MissingMemoryValue(arg.Type);
                            var (pointer, length) = instance.WriteArgument(bytes, $"argument '{arg.Name}'");
                            arguments[slot++] = pointer;
                            arguments[slot++] = length;
                            break;
                    }
                }
                catch (FormatException ex)
                {
                    throw new PluginCallException(PluginId, export.Name, $"argument '{arg.Name}' ({arg.Type.ToManifestName()}): {ex.Message}", PluginErrorKind.InvalidArgument, ex);
                }
            }
            var raw = instance.GetFunction(export.Name).Invoke(arguments);
            var result = DecodeResults(instance, export, raw);
            return result;
        }
        catch (Exception ex)
        {
            throw Fail(export.Name, ex, instance);
        }
        finally
        {
            instance.EndCall();
        }
    }

    private static byte[] MissingMemoryValue(PluginValueType type) => type == PluginValueType.Json ? "null"u8.ToArray() : [];

    private static IReadOnlyDictionary<string, object?> DecodeResults(WasmInstance instance, ExportSpec export, object? raw)
    {
        var returns = export.Returns;
        if (returns.Count == 0) return new Dictionary<string, object?>();
        if (returns.Count == 1) return new Dictionary<string, object?> { ["result"] = DecodeResult(instance, export, raw, returns[0]) };
        var values = (object?[])raw!;
        var list = new List<object?>(values.Length);
        for (var i = 0; i < values.Length; i++) list.Add(DecodeResult(instance, export, values[i], returns[i]));
        return new Dictionary<string, object?> { ["result"] = list };
    }

    private static object? DecodeResult(WasmInstance instance, ExportSpec export, object? raw, PluginValueType type) => type switch
    {
        PluginValueType.I32 => (int)raw!,
        PluginValueType.I64 => (long)raw!,
        PluginValueType.F32 => (float)raw!,
        PluginValueType.F64 => (double)raw!,
        PluginValueType.Bool => (int)raw! != 0,
        _ => instance.ReadResult((long)raw!, type, $"result of '{export.Name}'"),
    };
}
