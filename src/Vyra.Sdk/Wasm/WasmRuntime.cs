using System.ComponentModel;
using Microsoft.Extensions.Logging;
using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// The Wasmtime backend. Each start reads the manifest, compiles (or reuses) the module, checks it against the
/// manifest and the host, instantiates it in a fresh store with its limits, runs <c>_initialize</c> and, by VYRA's rule,
/// <c>init</c>. Each instance serves one call at a time (a Wasmtime store is single-threaded). The asynchronous paths
/// run guest code on the runtime's own threads, the sync typed path on the caller's; waits for a busy instance are
/// bounded; a call back into the runtime from inside one of its calls is refused (see docs/architecture.md,
/// "Threading model").
/// </summary>
public sealed partial class WasmRuntime : PluginRuntime
{
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly IReadOnlyDictionary<string, object?> _initialState;
    private WasmEngine? _engine;
    private Module? _module;
    private ModuleContract? _contract;
    private EffectiveLimits? _limits;
    private volatile InstanceSlots? _slots;
    private volatile GuestWorkers? _workers;
    private int _waitLimitMs = -1;
    private volatile CancellationTokenSource _stopping = new(); // cancelled by a stop: ends waits for a guest slot at once
    private int _typedExports;

    /// <summary>Creates a runtime for the module at <paramref name="wasmPath"/> (<c>.wasm</c> or <c>.wat</c>); <c>metadata.json</c> is read from its folder.</summary>
    public WasmRuntime(string pluginId, string wasmPath, IHostFunctions? host = null, IReadOnlyDictionary<string, object?>? initialState = null, PluginRuntimeOptions? options = null)
        : base(pluginId, host, options)
    {
        ArgumentException.ThrowIfNullOrEmpty(wasmPath);
        WasmPath = wasmPath;
        if (Options.Instances < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.Instances, "PluginRuntimeOptions.Instances must be at least 1");
        Options.Validate();
        if (Options.MaxQueueLength < 0) throw new ArgumentOutOfRangeException(nameof(options), Options.MaxQueueLength, "PluginRuntimeOptions.MaxQueueLength must not be negative");
        _initialState = initialState is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(initialState);
    }

    /// <inheritdoc />
    public override bool IsRunning => _slots is { IsOpen: true };

    /// <inheritdoc />
    public override string Backend => "wasm";

    /// <summary>The module file (<c>.wasm</c> or <c>.wat</c>) this runtime loads; its folder holds the manifest.</summary>
    public string WasmPath { get; }

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
        if (CallFrame.IsInsideOrFlowing(this))
        {
            // From inside one of its own calls the runtime is running, unless a stop is already waiting for this call.
            if (IsRunning) return;
            throw new PluginCallException(PluginId, "start", "a start from inside a call of the same runtime would wait for that call to end", PluginErrorKind.Reentrant);
        }
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
    /// <remarks>
    /// Running guest code is interrupted at the next epoch tick (its caller gets <see cref="PluginErrorKind.Cancelled"/>),
    /// callers waiting for an instance fail at once with <see cref="PluginErrorKind.NotStarted"/>. Called from inside a
    /// call of this runtime (a host function, a notification or an event handler), the stop is started and this returns
    /// at once: the stop completes when that call ends, instead of waiting for a call that is waiting for it.
    /// </remarks>
    public override ValueTask StopAsync(CancellationToken cancellationToken = default)
    {
        if (!CallFrame.IsInsideOrFlowing(this)) return StopCoreAsync();
        var stopping = StopCoreAsync();
        if (!stopping.IsCompletedSuccessfully) _ = ObserveStopAsync(stopping);
        return default;
    }

    private async Task ObserveStopAsync(ValueTask stopping)
    {
        try
        {
            await stopping.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Logger.LogError(ex, "Plugin {PluginId}: a stop requested from inside a call failed", PluginId);
        }
    }

    private async ValueTask StopCoreAsync()
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
        var workers = _workers;
        _slots = null;
        _workers = null;
        // A call waiting for a guest slot holds its instance: it must leave at once, or the close would wait for it.
        await _stopping.CancelAsync().ConfigureAwait(false);
        ServiceExports?.Stop(); // service calls still running end now, as guest calls do (they hold no instance)
        await slots.CloseAsync().ConfigureAwait(false);
        workers?.Complete(); // nothing is leased now, so no call is queued for a worker
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
    /// <remarks>For generated proxies: <paramref name="bind"/> takes a Wasmtime type, so this is hidden from IntelliSense
    /// rather than part of the contract a user codes against.</remarks>
    [EditorBrowsable(EditorBrowsableState.Never)]
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

    /// <summary>
    /// The asynchronous call path: arguments are prepared on the caller's thread, the instance is leased without
    /// blocking a thread (bounded, cancellable wait), and the guest runs on one of the runtime's own worker threads.
    /// </summary>
    private async ValueTask<IReadOnlyDictionary<string, object?>> InvokeLeasedAsync(ExportSpec export, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken)
    {
        if (_slots is null) throw NotStarted(export.Name);
        var caller = CallFrame.Current;
        var prepared = Prepare(export, data);
        var lease = await LeaseAsync(export.Name, cancellationToken).ConfigureAwait(false);
        return await lease.Workers.Run(() =>
        {
            var instance = lease.Instance;
            instance.Frame.Enter(this, caller);
            try
            {
                return CallFrame.RunFlowing(this, () => Invoke(lease.Slots, instance, export, prepared, cancellationToken, lease.WaitedMs));
            }
            finally
            {
                instance.Frame.Exit();
                lease.Slots.Release(instance);
            }
        }, lease.Slot).ConfigureAwait(false);
    }

    /// <summary>An instance leased for an asynchronous call, the time it took, and the workers to run the call on.</summary>
    /// <remarks><see cref="Slot"/> is the guest slot taken for the call (null when uncapped or nested); the workers give it back.</remarks>
    internal readonly record struct AsyncLease(InstanceSlots Slots, WasmInstance Instance, long WaitedMs, GuestWorkers Workers, GuestConcurrency? Slot);

    /// <summary>
    /// Leases an instance without blocking a thread (bounded, cancellable wait). The re-entrancy check runs before the
    /// first await, on the caller's thread, where the caller's frames are.
    /// </summary>
    internal async ValueTask<AsyncLease> LeaseAsync(string function, CancellationToken cancellationToken)
    {
        var slots = _slots;
        var workers = _workers;
        if (slots is null || workers is null) throw NotStarted(function);
        if (CallFrame.IsInsideOrFlowing(this)) throw Reentrant(function);
        // Read before the first await, on the caller's thread: a call made from inside another asynchronous call runs on
        // that call's guest slot (the caller holds it and waits for this call), so it neither takes nor waits for one.
        var cap = workers.Threaded && !CallFrame.IsFlowingFromAnyCall() ? Options.GuestConcurrency : null;
        var stopping = _stopping.Token;
        var asked = Environment.TickCount64;
        var (instance, refusal) = await slots.AcquireAsync(_waitLimitMs, cancellationToken).ConfigureAwait(false);
        if (instance is null) throw Refused(function, refusal, cancellationToken);
        if (cap is not null)
        {
            // The instance first, then the slot: a slot is never held while waiting for an instance. Both waits share one bound.
            var waited = Environment.TickCount64 - asked;
            var left = _waitLimitMs < 0 ? -1 : (int)Math.Max(0, _waitLimitMs - waited);
            var slot = await cap.EnterAsync(left, cancellationToken, stopping).ConfigureAwait(false);
            if (slot != LeaseRefusal.None)
            {
                slots.Release(instance);
                throw slot == LeaseRefusal.WaitedTooLong ? NoGuestSlot(function, cap) : Refused(function, slot, cancellationToken);
            }
        }
        return new AsyncLease(slots, instance, Environment.TickCount64 - asked, workers, cap);
    }

    private PluginCallException NoGuestSlot(string function, GuestConcurrency cap) =>
        new(PluginId, function, $"no guest slot came free within {_waitLimitMs} ms ({cap.Limit} guest calls may run at once, GuestConcurrency.Limit; the wait bound is the call's timeout, or PluginRuntimeOptions.MaxQueueWait); retry later", PluginErrorKind.Overloaded);

    // ---- used by TypedExport / GuestCall -------------------------------------------------------------------

    /// <summary>Leases an instance for a typed call on the caller's thread (bounded, cancellable wait when busy).</summary>
    internal WasmInstance Lease(string function, CancellationToken cancellationToken, out InstanceSlots slots, out long waitedMs)
    {
        slots = _slots ?? throw NotStarted(function);
        if (CallFrame.IsInside(this)) throw Reentrant(function);
        return slots.Acquire(_waitLimitMs, cancellationToken, out var refusal, out waitedMs) ?? throw Refused(function, refusal, cancellationToken);
    }

    private PluginCallException Reentrant(string function) =>
        new(PluginId, function, "called from inside a call of the same runtime (a host function or handler calling back into it); the call would wait for itself", PluginErrorKind.Reentrant);

    private PluginCallException Refused(string function, LeaseRefusal refusal, CancellationToken cancellationToken) => refusal switch
    {
        LeaseRefusal.Cancelled => Cancelled(function, cancellationToken),
        LeaseRefusal.QueueFull => new(PluginId, function, $"{Options.MaxQueueLength} calls are already waiting for an instance (PluginRuntimeOptions.MaxQueueLength); retry later", PluginErrorKind.Overloaded),
        LeaseRefusal.WaitedTooLong => new(PluginId, function, $"no instance came free within {_waitLimitMs} ms (the call's timeout, or PluginRuntimeOptions.MaxQueueWait); retry later", PluginErrorKind.Overloaded),
        _ => new(PluginId, function, "the plugin is not started (or was stopped while the call waited for an instance)", PluginErrorKind.NotStarted),
    };

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
        ServiceExports = ServiceExportTable.Bind(PluginId, Manifest, Options, [.. _contract.Exports.Keys, .. Manifest?.Exports?.Select(e => e.Name) ?? []], Logger);
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
            _waitLimitMs = WaitLimitMs(_limits!.Timeout, Options.MaxQueueWait);
            if (_stopping.IsCancellationRequested) _stopping = new();
            _workers = new GuestWorkers(PluginId, Options.GuestThreads ? instances.Count : 0); // before the slots: a caller that sees the slots finds the workers
            _slots = instances.Count == 1 ? new SingleInstanceSlot(instances[0], Options.MaxQueueLength) : new InstancePool(instances, Options.MaxQueueLength);
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

    /// <summary>How long a call may wait for an instance: the wait option, never more than the call's timeout (-1: unbounded).</summary>
    private static int WaitLimitMs(TimeSpan timeout, TimeSpan? maxWait)
    {
        static long Ms(TimeSpan t) => t < TimeSpan.Zero || t.TotalMilliseconds >= int.MaxValue ? -1 : (long)Math.Ceiling(t.TotalMilliseconds);
        var limit = Ms(timeout);
        if (maxWait is { } wait && Ms(wait) is var w && w >= 0 && (limit < 0 || w < limit)) limit = w;
        return (int)limit;
    }
}
