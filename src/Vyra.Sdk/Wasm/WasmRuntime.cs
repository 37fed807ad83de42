using Microsoft.Extensions.Logging;
using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// The Wasmtime backend. Each start reads the manifest, compiles (or reuses) the module, checks it against the
/// manifest and the host, instantiates it in a fresh store with its limits, runs <c>_initialize</c> and, by VYRA's rule,
/// <c>init</c>. Calls into one runtime are serialized: a Wasmtime store is single-threaded.
/// </summary>
public sealed class WasmRuntime : PluginRuntime
{
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly IReadOnlyDictionary<string, object?> _initialState;
    private WasmEngine? _engine;
    private Module? _module;
    private ModuleContract? _contract;
    private EffectiveLimits? _limits;
    private volatile InstanceSlots? _slots;
    private int _typedExports;

    /// <summary>Creates a runtime for the module at <paramref name="wasmPath"/> (<c>.wasm</c> or <c>.wat</c>); <c>metadata.json</c> is read from its folder.</summary>
    public WasmRuntime(string pluginId, string wasmPath, IHostFunctions? host = null, IReadOnlyDictionary<string, object?>? initialState = null, PluginRuntimeOptions? options = null)
        : base(pluginId, wasmPath, host, options)
    {
        ArgumentException.ThrowIfNullOrEmpty(wasmPath);
        if (Options.Instances < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.Instances, "PluginRuntimeOptions.Instances must be at least 1");
        Options.Validate();
        _initialState = initialState is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(initialState);
    }

    /// <inheritdoc />
    public override bool IsRunning => _slots is { IsOpen: true };

    /// <inheritdoc />
    public override string Backend => "wasm";

    /// <summary>The manifest read by the last start; null before a start, or when the plugin has no <c>metadata.json</c>.</summary>
    public PluginManifest? Manifest { get; private set; }

    /// <summary>Where the last start's compiled module came from.</summary>
    public ModuleSource ModuleSource { get; private set; }

    /// <summary>The plugin folder: the module's directory, where its manifest is read from.</summary>
    public string PluginDirectory => Path.GetDirectoryName(Path.GetFullPath(WasmPath)) ?? ".";

    /// <inheritdoc />
    public override async ValueTask StartAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyDictionary<string, object?>? initResult;
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (IsRunning) return;
            if (_slots is not null) await CloseSlotsAsync().ConfigureAwait(false); // closed by a failed replacement
            var engine = ReadManifest();
            var (module, source) = await CompileAsync(engine, cancellationToken).ConfigureAwait(false);
            initResult = StartCore(engine, module, source);
        }
        finally
        {
            _lifecycle.Release();
        }
        if (initResult is not null) await NotifyResultAsync("init", initResult).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask StopAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_slots is not null) await CloseSlotsAsync().ConfigureAwait(false);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private async ValueTask CloseSlotsAsync()
    {
        var slots = _slots!;
        _slots = null;
        await slots.CloseAsync().ConfigureAwait(false);
        _engine!.Ticker.Release();
    }

    /// <inheritdoc />
    public override async ValueTask OnEventAsync(string eventName, IReadOnlyDictionary<string, object?>? data = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        if (!IsRunning) throw NotStarted("on_event");
        if (!EventGlob.MatchesAny(Manifest?.Events, eventName))
        {
            Logger.LogDebug("Plugin {PluginId} does not subscribe to event {EventName}", PluginId, eventName);
            return;
        }
        if (_contract?.OnEvent is not { } handler)
        {
            Logger.LogDebug("Plugin {PluginId} exports no on_event; event {EventName} ignored", PluginId, eventName);
            return;
        }
        var arguments = new Dictionary<string, object?> { ["name"] = eventName, ["data"] = data };
        await InvokeLeasedAsync(handler, arguments, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A typed, allocation-free handle on an export for generated proxies: the delegate is bound once per instance
    /// (<paramref name="bind"/>, e.g. <c>f =&gt; f.WrapFunc&lt;int, int&gt;()</c>) and every call still goes through the
    /// runtime's lease and limits. See <see cref="TypedExport{TDelegate}.Enter"/>.
    /// </summary>
    public TypedExport<TDelegate> GetTypedExport<TDelegate>(string name, Func<Function, TDelegate?> bind)
        where TDelegate : Delegate => new(this, name, bind, Interlocked.Increment(ref _typedExports) - 1);

    /// <inheritdoc />
    protected override ValueTask<IReadOnlyDictionary<string, object?>> InvokeAsync(string function, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken)
    {
        var contract = _contract ?? throw NotStarted(function);
        if (!contract.Exports.TryGetValue(function, out var export))
        {
            throw UnknownFunction(function, Manifest?.Exports is not null
                ? "the function is not declared in the manifest's exports"
                : Options.AllowUndeclaredExports
                    ? "the module exports no such function (or it is internal to the plugin ABI)"
                    : "the manifest declares no exports, so only ping answers (PluginRuntimeOptions.AllowUndeclaredExports opens undeclared exports for development)");
        }
        return InvokeLeasedAsync(export, data, cancellationToken);
    }

    private async ValueTask<IReadOnlyDictionary<string, object?>> InvokeLeasedAsync(ExportSpec export, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken)
    {
        var slots = _slots ?? throw NotStarted(export.Name);
        var prepared = Prepare(export, data);
        WasmInstance? instance;
        try
        {
            instance = await slots.AcquireAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            throw Cancelled(export.Name, cancellationToken, ex);
        }
        if (instance is null) throw NotStarted(export.Name);
        try
        {
            return Invoke(slots, instance, export, prepared, cancellationToken);
        }
        finally
        {
            slots.Release(instance);
        }
    }

    // ---- used by TypedExport / GuestCall -------------------------------------------------------------------

    internal WasmInstance Lease(string function, out InstanceSlots slots)
    {
        slots = _slots ?? throw NotStarted(function);
        return slots.Acquire() ?? throw NotStarted(function);
    }

    /// <summary>
    /// Maps a failure of a guest call and applies the after-failure policy: a pool always replaces the instance; a single
    /// instance is rebuilt only with <see cref="PluginRuntimeOptions.RecycleInstanceAfterTrap"/>. Called while leased.
    /// </summary>
    internal PluginCallException Fail(InstanceSlots slots, string function, Exception exception, WasmInstance instance)
    {
        var failure = GuestFailure.ToCallException(PluginId, function, exception, instance);
        var guestFailed = failure.Kind is not (PluginErrorKind.InvalidArgument or PluginErrorKind.UnknownFunction or PluginErrorKind.NotStarted);
        if (guestFailed && !instance.IsDisposed && (slots is InstancePool || Options.RecycleInstanceAfterTrap))
        {
            slots.Replace(instance, TryCreateInstance());
        }
        return failure;
    }

    private WasmInstance? TryCreateInstance()
    {
        try
        {
            var (instance, _) = CreateInstance();
            Logger.LogInformation("Plugin {PluginId}: instance rebuilt after a failed call", PluginId);
            return instance;
        }
        catch (Exception ex)
        {
            Logger.LogError(ex, "Plugin {PluginId}: rebuilding the instance failed; the runtime is stopped", PluginId);
            return null;
        }
    }

    /// <summary>
    /// Compiles (or finds) the module on a worker thread, so a cancelled start stops waiting at once. Cranelift itself
    /// cannot be interrupted: a compile already running finishes in the background, bounded by the checks of
    /// <see cref="PluginRuntimeOptions.ModuleLimits"/> made before it began, and its result stays in the process cache.
    /// </summary>
    private async ValueTask<(Module Module, ModuleSource Source)> CompileAsync(WasmEngine engine, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var compile = Task.Run(() =>
        {
            var module = engine.LoadModule(WasmPath, Options, Logger, out var source);
            return (module, source);
        }, CancellationToken.None);
        return await compile.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the manifest, resolves the limits and picks the engine they need.</summary>
    private WasmEngine ReadManifest()
    {
        Manifest = ManifestReader.ReadFolder(PluginDirectory);
        if (Manifest is null)
        {
            Logger.LogWarning(Options.AllowUndeclaredExports
                ? "Plugin {PluginId} has no {Manifest} next to {Module}: every function the module exports is callable with its wasm signature (AllowUndeclaredExports)"
                : "Plugin {PluginId} has no {Manifest} next to {Module}: it declares no exports, so only ping answers", PluginId, ManifestReader.FileName, WasmPath);
        }
        else if (!Manifest.HasBackend)
        {
            throw new PluginLoadException($"{Manifest.SourcePath}: plugin '{Manifest.Id}' is frontend-only: its manifest has no backend entry point, so there is nothing to run", Manifest.SourcePath, field: "$.entry_points.backend");
        }
        else if (Manifest.Id != PluginId)
        {
            Logger.LogWarning("Plugin {PluginId}: the manifest's id is '{ManifestId}'", PluginId, Manifest.Id);
        }
        foreach (var warning in Manifest?.Warnings ?? [])
        {
            Logger.LogWarning("Plugin {PluginId}: {ManifestWarning}", PluginId, warning);
        }
        // A set checksum must hold at every start, not only at discovery: a module swapped afterwards is refused.
        if (ModuleChecksum.Mismatch(Manifest, WasmPath) is { } mismatch)
        {
            throw new PluginLoadException($"{WasmPath}: {mismatch}", Manifest?.SourcePath, field: "$.checksum");
        }
        _limits = EffectiveLimits.Resolve(Options, Manifest?.Limits);
        return WasmEngine.For(fuel: _limits.Fuel is not null);
    }

    private IReadOnlyDictionary<string, object?>? StartCore(WasmEngine engine, Module module, ModuleSource source)
    {
        _engine = engine;
        _module = module;
        ModuleSource = source;
        _contract = ModuleContract.Check(Manifest, _module, WasmPath, HostImportRegistry.For(Host, Logger), wasiGranted: Options.Wasi is not null, Options.AllowUndeclaredExports);
        _engine.Ticker.Acquire();
        var instances = new List<WasmInstance>();
        try
        {
            IReadOnlyDictionary<string, object?>? initResult = null;
            for (var i = 0; i < Options.Instances; i++)
            {
                var (instance, result) = CreateInstance();
                instances.Add(instance);
                initResult ??= result;
            }
            _slots = instances.Count == 1 ? new SingleInstanceSlot(instances[0]) : new InstancePool(instances);
            return initResult;
        }
        catch
        {
            foreach (var instance in instances) instance.Dispose();
            _engine.Ticker.Release();
            throw;
        }
    }

    /// <summary>Builds a fresh instance and runs <c>init</c>; on failure nothing is left behind.</summary>
    private (WasmInstance Instance, IReadOnlyDictionary<string, object?>? InitResult) CreateInstance()
    {
        WasmInstance instance;
        try
        {
            instance = new WasmInstance(PluginId, _engine!, _module!, _contract!, _limits!, Options.Wasi);
        }
        catch (Exception ex) when (ex is not PluginLoadException)
        {
            var failure = GuestFailure.ToCallException(PluginId, "_start", ex, null);
            throw new PluginLoadException($"{WasmPath}: instantiation failed: {failure.Reason}", WasmPath, innerException: failure);
        }
        try
        {
            return (instance, RunInit(instance));
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
        return Invoke(null, instance, init, Prepare(init, state), CancellationToken.None);
    }

    /// <summary>A call's arguments, coerced and encoded before the instance is leased and the limits armed.</summary>
    private readonly record struct PreparedArguments(ValueBox[] Values, byte[]?[]? MemoryValues);

    /// <summary>
    /// Coerces the arguments by name (VYRA: missing is 0, extra is ignored) and encodes memory values. Runs before the
    /// lease, so host-side work (JSON serialization, first-use JIT) neither holds the instance nor eats the guest's timeout.
    /// </summary>
    private PreparedArguments Prepare(ExportSpec export, IReadOnlyDictionary<string, object?> data)
    {
        var values = new ValueBox[export.WasmParameterCount];
        byte[]?[]? memory = null;
        var slot = 0;
        foreach (var arg in export.Args)
        {
            var present = data.TryGetValue(arg.Name, out var value);
            try
            {
                switch (arg.Type)
                {
                    case PluginValueType.I32: values[slot++] = present ? ScalarCoercion.ToInt32(value) : 0; break;
                    case PluginValueType.I64: values[slot++] = present ? ScalarCoercion.ToInt64(value) : 0L; break;
                    case PluginValueType.F32: values[slot++] = present ? (float)ScalarCoercion.ToDouble(value) : 0f; break;
                    case PluginValueType.F64: values[slot++] = present ? ScalarCoercion.ToDouble(value) : 0d; break;
                    case PluginValueType.Bool: values[slot++] = present && ScalarCoercion.ToBoolean(value) ? 1 : 0; break;
                    default:
                        memory ??= new byte[]?[values.Length];
                        memory[slot] = present ? MemoryValues.Encode(value, arg.Type) : MissingMemoryValue(arg.Type);
                        slot += 2;
                        break;
                }
            }
            catch (FormatException ex)
            {
                throw new PluginCallException(PluginId, export.Name, $"argument '{arg.Name}' ({arg.Type.ToManifestName()}): {ex.Message}", PluginErrorKind.InvalidArgument, ex);
            }
        }
        return new PreparedArguments(values, memory);
    }

    /// <summary>The dictionary call path on a leased instance: copy memory values in, invoke, decode results.</summary>
    private IReadOnlyDictionary<string, object?> Invoke(InstanceSlots? slots, WasmInstance instance, ExportSpec export, PreparedArguments prepared, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) throw Cancelled(export.Name, cancellationToken);
        var arguments = prepared.Values;
        instance.BeginCall(cancellationToken);
        try
        {
            if (prepared.MemoryValues is { } memory)
            {
                for (var slot = 0; slot < memory.Length; slot++)
                {
                    if (memory[slot] is not { } bytes) continue;
                    var (pointer, length) = instance.WriteArgument(bytes, AbiSite.Argument(ArgumentAt(export, slot)));
                    arguments[slot] = pointer;
                    arguments[slot + 1] = length;
                }
            }
            var raw = instance.GetFunction(export.Name).Invoke(arguments);
            return DecodeResults(instance, export, raw);
        }
        catch (Exception ex)
        {
            // During start (no slots yet) a failure just fails the start.
            throw slots is null ? GuestFailure.ToCallException(PluginId, export.Name, ex, instance) : Fail(slots, export.Name, ex, instance);
        }
        finally
        {
            instance.EndCall();
        }
    }

    private static string ArgumentAt(ExportSpec export, int wasmSlot)
    {
        var slot = 0;
        foreach (var arg in export.Args)
        {
            if (slot == wasmSlot) return arg.Name;
            slot += arg.Type.IsMemoryValue() ? 2 : 1;
        }
        return wasmSlot.ToString(System.Globalization.CultureInfo.InvariantCulture);
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
        _ => instance.ReadResult((long)raw!, type, AbiSite.Result(export.Name)),
    };
}
