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
    private static readonly IReadOnlyDictionary<string, object?> NoInitialState = new Dictionary<string, object?>();
    private readonly IReadOnlyDictionary<string, object?> _initialState;
    private volatile WasmVersion? _version; // the version serving (or last served) calls
    private string _path; // the module the next start loads: the constructor's, or the last swap's
    private volatile InstanceSlots? _slots;
    private int _waitLimitMs = -1;
    private volatile CancellationTokenSource _stopping = new(); // cancelled by a stop: ends waits for a guest slot at once
    private int _typedExports;
    // The image this runtime starts from (null: it loads from its files at each start); a hot swap to a path clears it.
    private volatile PluginImage? _image;

    /// <summary>Creates a runtime for the module at <paramref name="wasmPath"/> (<c>.wasm</c> or <c>.wat</c>); <c>metadata.json</c> is read from its folder.</summary>
    public WasmRuntime(string pluginId, string wasmPath, IHostFunctions? host = null, IReadOnlyDictionary<string, object?>? initialState = null, PluginRuntimeOptions? options = null)
        : base(pluginId, host, options)
    {
        ArgumentException.ThrowIfNullOrEmpty(wasmPath);
        _path = wasmPath;
        ValidateOptions(Options);
        // Copied (the caller may change theirs); none is the shared empty one, so an idle runtime holds nothing for it.
        _initialState = initialState is null or { Count: 0 } ? NoInitialState : new Dictionary<string, object?>(initialState);
    }

    /// <summary>A runtime that starts from <paramref name="image"/> (see <see cref="PluginImage.CreateRuntime"/>), under the image's options.</summary>
    internal WasmRuntime(string pluginId, PluginImage image, IHostFunctions? host, IReadOnlyDictionary<string, object?>? initialState)
        : this(pluginId, image.WasmPath, host, initialState, image.Options)
    {
        _image = image;
        DiscoveredSignatures = image.DiscoveredSignatures;
        if (image.Manifest is { } manifest && manifest.Id != pluginId)
        {
            Logger.LogWarning("Plugin {PluginId}: the manifest's id is '{ManifestId}'", pluginId, manifest.Id);
        }
    }

    /// <summary>The checks of the options a Wasmtime runtime (or an image) is made with.</summary>
    internal static void ValidateOptions(PluginRuntimeOptions options)
    {
        if (options.Instances < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Instances, "PluginRuntimeOptions.Instances must be at least 1");
        options.Validate();
        if (options.MaxQueueLength < 0) throw new ArgumentOutOfRangeException(nameof(options), options.MaxQueueLength, "PluginRuntimeOptions.MaxQueueLength must not be negative");
    }

    /// <inheritdoc />
    public override bool IsRunning => _slots is { IsOpen: true };

    /// <summary>The slots serving calls now (null when stopped): for tests of the pool.</summary>
    internal InstanceSlots? Slots => _slots;

    /// <inheritdoc />
    public override string Backend => "wasm";

    /// <summary>
    /// The module file (<c>.wasm</c> or <c>.wat</c>) this runtime loads; its folder holds the manifest. A hot swap
    /// (<see cref="SwapAsync"/>) changes it to the new version's module.
    /// </summary>
    public string WasmPath => Volatile.Read(ref _path);

    /// <summary>The manifest read by the last start; null before a start, or when the plugin has no <c>metadata.json</c>.</summary>
    public PluginManifest? Manifest { get; private set; }

    /// <summary>Where the last start's compiled module came from.</summary>
    public ModuleSource ModuleSource { get; private set; }

    /// <summary>The start preparation the serving version was made with, and its module (tests: reuse and keys).</summary>
    internal StartPreparation? Preparation => _version?.Prepared;

    internal Module? LoadedModule => _version?.Module;

    internal ModuleContract? ServingContract => _version?.Contract;

    /// <summary>The signature policy of the catalog this runtime came from, applied when the options set none.</summary>
    internal SignaturePolicy? DiscoveredSignatures { get; init; }

    /// <summary>The plugin folder: the module's directory, where its manifest is read from.</summary>
    public string PluginDirectory => DirectoryOf(WasmPath);

    internal static string DirectoryOf(string wasmPath) => Path.GetDirectoryName(Path.GetFullPath(wasmPath)) ?? ".";

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
            // From an image: its manifest and module as they are, no file read or checked; else from the files.
            var version = _image is { } image ? Prepare(image) : await LoadAsync(WasmPath, cancellationToken).ConfigureAwait(false);
            // Before init runs: init may subscribe or serve, through the facade of the manifest just read.
            await RenewFacadeAsync(version.Manifest?.Permissions).ConfigureAwait(false);
            OpenBus();
            try
            {
                initResult = StartCore(version);
            }
            catch
            {
                CloseBus();
                await CloseFacadeAsync().ConfigureAwait(false);
                ForgetBusHandles();
                throw;
            }
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
        _slots = null;
        // First end the plugin's subscriptions and services, so no new delivery queues up behind the stop; a guest still
        // running may no longer keep new ones.
        CloseBus();
        await CloseFacadeAsync().ConfigureAwait(false);
        ForgetBusHandles();
        // A call waiting for a guest slot holds its instance: it must leave at once, or the close would wait for it.
        await _stopping.CancelAsync().ConfigureAwait(false);
        ServiceExports?.Stop(); // service calls still running end now, as guest calls do (they hold no instance)
        await RetireAsync(slots, interrupt: true).ConfigureAwait(false);
    }

    /// <summary>
    /// Closes one start's slots (interrupting running guest code, or, for a hot swap, letting it finish), then ends
    /// their guest threads and releases their engine's ticker.
    /// </summary>
    private static async ValueTask RetireAsync(InstanceSlots slots, bool interrupt)
    {
        await slots.CloseAsync(interrupt).ConfigureAwait(false);
        slots.Workers.Complete(); // nothing is leased now, so no call is queued for a worker
        slots.Version.Engine.Ticker.Release();
    }

    /// <inheritdoc />
    public override ValueTask OnEventAsync(string eventName, IReadOnlyDictionary<string, object?>? data = null, CancellationToken cancellationToken = default)
    {
        // Not an async method: the guest work's task is the caller's (see InvokeLeasedAsync); failures still come back
        // through the returned task, as they did from the async method this was.
        try
        {
            ArgumentNullException.ThrowIfNull(eventName);
            if (!IsRunning) throw NotStarted("on_event");
            if (!EventGlob.MatchesAny(Manifest?.Events, eventName))
            {
                Logger.LogDebug("Plugin {PluginId} does not subscribe to event {EventName}", PluginId, eventName);
                return default;
            }
            if (_version?.Contract is not { OnEvent: { } handler } contract)
            {
                Logger.LogDebug("Plugin {PluginId} exports no on_event; event {EventName} ignored", PluginId, eventName);
                return default;
            }
            var arguments = new Dictionary<string, object?> { ["name"] = eventName, ["data"] = data };
            var delivery = InvokeLeasedAsync(contract, handler, arguments, cancellationToken);
            return delivery.IsCompletedSuccessfully ? default : new ValueTask(delivery.AsTask());
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
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
    protected override ValueTask<IReadOnlyDictionary<string, object?>> InvokeAsync(string function, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken) =>
        InvokeAsync(function, data, cancellationToken, notify: false);

    /// <summary>A declared function through the asynchronous call path; <paramref name="notify"/>: see <see cref="InvokeNotifyingAsync"/>.</summary>
    private ValueTask<IReadOnlyDictionary<string, object?>> InvokeAsync(string function, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken, bool notify)
    {
        var contract = _version?.Contract ?? throw NotStarted(function);
        if (!contract.Exports.TryGetValue(function, out var export))
        {
            throw UnknownFunction(function, Manifest?.Exports is not null
                ? "the function is not declared in the manifest's exports"
                : Options.AllowUndeclaredExports
                    ? "the module exports no such function (or it is internal to the plugin ABI)"
                    : "the manifest declares no exports, so only ping answers (PluginRuntimeOptions.AllowUndeclaredExports opens undeclared exports for development)");
        }
        return InvokeLeasedAsync(contract, export, data, cancellationToken, notify);
    }

    /// <summary>
    /// The asynchronous call path: arguments are prepared on the caller's thread, the instance is leased without
    /// blocking a thread (bounded, cancellable wait), and the guest runs on one of the runtime's own worker threads.
    /// When the lease is had at once (no contention), the guest work's own task is returned: no async frame sits in
    /// between, so a caller blocked on it is woken by the guest thread itself instead of through a pool thread.
    /// </summary>
    private ValueTask<IReadOnlyDictionary<string, object?>> InvokeLeasedAsync(ModuleContract contract, ExportSpec export, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken, bool notify = false)
    {
        if (_slots is not { } slots) throw NotStarted(export.Name);
        var caller = CallFrame.Current;
        var prepared = Prepare(export, data);
        // Without guest threads the call runs here anyway: no hand-off to take, so none is paid for (CallHere).
        if (!slots.Workers.Threaded) return CallHere(slots, contract, export, prepared, data, caller, cancellationToken, notify);
        var leasing = LeaseAsync(export.Name, cancellationToken);
        if (leasing.IsCompletedSuccessfully) return new(RunLeased(leasing.Result, contract, export, prepared, data, caller, cancellationToken, notify));
        return AwaitLeaseAsync(leasing, contract, export, prepared, data, caller, cancellationToken, notify);
    }

    private async ValueTask<IReadOnlyDictionary<string, object?>> AwaitLeaseAsync(ValueTask<AsyncLease> leasing, ModuleContract contract, ExportSpec export, PreparedArguments prepared, IReadOnlyDictionary<string, object?> data, CallFrame? caller, CancellationToken cancellationToken, bool notify)
    {
        var lease = await leasing.ConfigureAwait(false);
        return await RunLeased(lease, contract, export, prepared, data, caller, cancellationToken, notify).ConfigureAwait(false);
    }

    private Task<IReadOnlyDictionary<string, object?>> RunLeased(AsyncLease lease, ModuleContract contract, ExportSpec export, PreparedArguments prepared, IReadOnlyDictionary<string, object?> data, CallFrame? caller, CancellationToken cancellationToken, bool notify = false) =>
        lease.Workers.Run(() => RunOn(lease.Slots, lease.Instance, contract, export, prepared, data, caller, cancellationToken, lease.WaitedMs),
            lease.Slot, notify ? NotifyResultStep : null, export.Name);

    /// <summary>
    /// A dictionary call on a leased instance, on the thread that runs it: inside the call's frame, then the lease given
    /// back. Both the guest workers and the direct path without them (<see cref="CallHere"/>) run a call this way.
    /// </summary>
    private IReadOnlyDictionary<string, object?> RunOn(InstanceSlots slots, WasmInstance instance, ModuleContract contract, ExportSpec export, PreparedArguments prepared,
        IReadOnlyDictionary<string, object?> data, CallFrame? caller, CancellationToken cancellationToken, long waitedMs)
    {
        instance.Frame.Enter(this, caller);
        try
        {
            // A hot swap between resolving the export and leasing: the call runs on the new version, as it sees it.
            var (spec, arguments) = ReferenceEquals(instance.Contract, contract) ? (export, prepared) : Reprepare(instance.Contract, export, prepared, data);
            return CallFrame.RunFlowing(this, (Runtime: this, Slots: slots, Instance: instance, Spec: spec, Arguments: arguments, Token: cancellationToken, WaitedMs: waitedMs),
                static call => call.Runtime.Invoke(call.Slots, call.Instance, call.Spec, call.Arguments, call.Token, call.WaitedMs));
        }
        finally
        {
            instance.Frame.Exit();
            slots.Release(instance);
        }
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
        if (slots is null) throw NotStarted(function);
        if (CallFrame.IsInsideOrFlowing(this)) throw Reentrant(function);
        var workers = slots.Workers;
        // Read before the first await, on the caller's thread: a call made from inside another asynchronous call runs on
        // that call's guest slot (the caller holds it and waits for this call), so it neither takes nor waits for one.
        var cap = workers.Threaded && !CallFrame.IsFlowingFromAnyCall() ? Options.GuestConcurrency : null;
        var stopping = _stopping.Token;
        var asked = Environment.TickCount64;
        var (instance, refusal) = await slots.AcquireAsync(slots.WaitLimitMs, cancellationToken).ConfigureAwait(false);
        while (instance is null && Successor(slots, refusal) is { } next)
        {
            slots = next;
            workers = next.Workers;
            (instance, refusal) = await slots.AcquireAsync(slots.WaitLimitMs, cancellationToken).ConfigureAwait(false);
        }
        if (instance is null) throw Refused(function, refusal, cancellationToken);
        if (cap is not null)
        {
            // The instance first, then the slot: a slot is never held while waiting for an instance. Both waits share one bound.
            var waited = Environment.TickCount64 - asked;
            var left = slots.WaitLimitMs < 0 ? -1 : (int)Math.Max(0, slots.WaitLimitMs - waited);
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
        var instance = slots.Acquire(slots.WaitLimitMs, cancellationToken, out var refusal, out waitedMs);
        while (instance is null && Successor(slots, refusal) is { } next)
        {
            slots = next;
            instance = slots.Acquire(slots.WaitLimitMs, cancellationToken, out refusal, out waitedMs);
        }
        return instance ?? throw Refused(function, refusal, cancellationToken);
    }

    /// <summary>
    /// The slots that replaced <paramref name="closed"/> when a hot swap closed them under a caller (before it leased or
    /// while it waited): the caller moves to the new version instead of failing. Null when the refusal was not a close,
    /// or the runtime was stopped rather than swapped. Only the refusal path pays for this.
    /// </summary>
    private InstanceSlots? Successor(InstanceSlots closed, LeaseRefusal refusal) =>
        refusal == LeaseRefusal.Closed && _slots is { } current && !ReferenceEquals(current, closed) ? current : null;

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
            slots.Replace(instance, TryCreateInstance(instance.Version!));
        }
        return failure;
    }

    private WasmInstance? TryCreateInstance(WasmVersion version)
    {
        try
        {
            var (instance, _) = CreateInstance(version);
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
    /// Loads the plugin at <paramref name="wasmPath"/> from its files (see <see cref="PluginImage"/>: manifest, limits,
    /// module, verified), then prepares its start with this runtime's host.
    /// </summary>
    private async ValueTask<WasmVersion> LoadAsync(string wasmPath, CancellationToken cancellationToken) =>
        Prepare(await PluginImage.LoadFilesAsync(wasmPath, Options, DiscoveredSignatures, Logger, PluginId, cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// A version of <paramref name="image"/> for this runtime: the module checked against the manifest and this runtime's
    /// host (the preparation is built once per module, manifest and host signatures, then reused), with this host's
    /// handlers. Touches no file.
    /// </summary>
    private WasmVersion Prepare(PluginImage image)
    {
        var prepared = StartPreparations.For(image.Engine, image.Module, image.WasmPath, image.Manifest, () => HostImportRegistry.For(Host, Logger, imports => BusImports.Register(imports, this)),
            wasiGranted: Options.Wasi is not null, Options.AllowUndeclaredExports, out var contract);
        return new WasmVersion(image.WasmPath, image.Manifest, image.Limits, image.Engine, image.Module, image.ModuleSource, contract, prepared);
    }

    private IReadOnlyDictionary<string, object?>? StartCore(WasmVersion version)
    {
        ServiceExports = BindServiceExports(version);
        var (slots, initResult) = OpenSlots(version);
        Publish(version, slots);
        return initResult;
    }

    /// <summary>A version's service exports (VYRA §5), resolved and checked against its wasm exports; throws when one cannot be served.</summary>
    private ServiceExportTable? BindServiceExports(WasmVersion version) => version.Manifest?.ServiceExports is not { Count: > 0 } ? null :
        ServiceExportTable.Bind(PluginId, version.Manifest, Options, [.. version.Contract.Exports.Keys, .. version.Manifest?.Exports?.Select(e => e.Name) ?? []], Logger);

    /// <summary>
    /// Builds the instances of <paramref name="version"/> (running <c>init</c>) and their slots and guest threads,
    /// without publishing them; on failure nothing is left behind. Takes a reference on the engine's ticker, which
    /// <see cref="RetireAsync"/> gives back.
    /// </summary>
    private (InstanceSlots Slots, IReadOnlyDictionary<string, object?>? InitResult) OpenSlots(WasmVersion version, Action<WasmInstance>? prepare = null)
    {
        version.Engine.Ticker.Acquire();
        var instances = new List<WasmInstance>();
        try
        {
            IReadOnlyDictionary<string, object?>? initResult = null;
            for (var i = 0; i < Options.PoolMin; i++)
            {
                var (instance, result) = CreateInstance(version);
                instances.Add(instance);
                initResult ??= result;
            }
            foreach (var instance in instances) prepare?.Invoke(instance);
            var max = Options.PoolMax;
            InstanceSlots slots = max == 1 ? new SingleInstanceSlot(instances[0], Options.MaxQueueLength) : new InstancePool(instances, Options.MaxQueueLength, PoolSizing(version));
            // One guest thread per instance the pool may hold: the threads start on first use and wait on an empty queue
            // while their instances do not exist (an elastic pool's threads are sized for its maximum).
            slots.Workers = new GuestWorkers(PluginId, Options.GuestThreads ? max : 0);
            slots.WaitLimitMs = WaitLimitMs(version.Limits.Timeout, Options.MaxQueueWait);
            slots.Version = version;
            return (slots, initResult);
        }
        catch
        {
            foreach (var instance in instances) instance.Dispose();
            version.Engine.Ticker.Release();
            throw;
        }
    }

    /// <summary>
    /// How a pool of <paramref name="version"/> grows and shrinks. A grown instance is built like a replaced one: fresh,
    /// with <c>init</c> (a swap's carried state went into the instances the swap built, not into later ones).
    /// </summary>
    private PoolSizing PoolSizing(WasmVersion version) => new(
        PluginId, Options.PoolMin, Options.PoolMax, Options.PoolIdleTimeout, Options.TimeProvider,
        closing => CreateInstance(version, closing).Instance,
        ex => Logger.LogError(ex, "Plugin {PluginId}: the pool could not grow (callers wait for the instances there are); it tries again at the next wait, a second later at the soonest", PluginId));

    /// <summary>Makes <paramref name="version"/> the one serving calls: new calls lease from <paramref name="slots"/> from now on.</summary>
    private void Publish(WasmVersion version, InstanceSlots slots)
    {
        _version = version;
        Volatile.Write(ref _path, version.WasmPath);
        Manifest = version.Manifest;
        ModuleSource = version.Source;
        _waitLimitMs = slots.WaitLimitMs;
        if (_stopping.IsCancellationRequested) _stopping = new();
        _slots = slots; // the slots carry their workers: a caller that sees them finds the workers

    }

    /// <summary>Builds a fresh instance of <paramref name="version"/> and runs <c>init</c>; on failure nothing is left behind.</summary>
    private (WasmInstance Instance, IReadOnlyDictionary<string, object?>? InitResult) CreateInstance(WasmVersion version, CancellationToken cancellationToken = default)
    {
        WasmInstance instance;
        try
        {
            instance = new WasmInstance(PluginId, version.Engine, version.Module, version.Contract, version.Limits, Options.Wasi, version.Prepared) { Version = version };
        }
        catch (Exception ex) when (ex is not PluginLoadException)
        {
            var failure = GuestFailure.ToCallException(PluginId, "_start", ex, null);
            throw new PluginLoadException($"{version.WasmPath}: instantiation failed: {failure.Reason}", version.WasmPath, innerException: failure);
        }
        try
        {
            return (instance, RunInit(instance, version.Manifest, cancellationToken));
        }
        catch (PluginCallException ex)
        {
            instance.Dispose();
            throw new PluginLoadException($"[{PluginId}] start failed: {ex.Message}", version.WasmPath, innerException: ex);
        }
        catch
        {
            instance.Dispose();
            throw;
        }
    }

    /// <summary>VYRA's rule: <c>init</c> runs when the state (manifest defaults + caller's values) is non-empty and <c>init</c> is callable.</summary>
    private IReadOnlyDictionary<string, object?>? RunInit(WasmInstance instance, PluginManifest? manifest, CancellationToken cancellationToken)
    {
        var state = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var entry in manifest?.InitialState ?? [])
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
        return Invoke(null, instance, init, Prepare(init, state), cancellationToken);
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
