using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// One instantiation of a plugin: its store (single-threaded, owned by the runtime's lock), the instance,
/// the resolved exports and the ABI helpers. Stopping or recycling a runtime disposes it; a new start builds a new one.
/// </summary>
internal sealed class WasmInstance : CallingGuest, IDisposable
{
    private List<(int Pointer, int Length)>? _pendingFrees; // made on the first memory argument: an idle instance holds none
    private Dictionary<string, Function>? _functions; // exports looked up on first use, not at every start
    private readonly long _memoryLimit;
    private readonly bool _memoryCapSet;
    private long _memoryAtCallStart;
    private object?[] _typed = []; // grown on the first typed call: an idle instance holds none
    private readonly ulong? _fuelBudget;
    private long _observedStart;
    private System.Diagnostics.Activity? _observedActivity;
    private PluginErrorKind? _observedFailure;

    public WasmInstance(string pluginId, WasmEngine engine, Module module, ModuleContract contract, EffectiveLimits limits, WasiGrants? wasi, StartPreparation? prepared = null)
        : base(pluginId, limits.MaxMemoryValueBytes, limits.MaxLogMessageBytes)
    {
        Contract = contract;
        _imports = [.. contract.Imports.Select(static i => i.Definition)];
        _fuelBudget = engine.FuelEnabled ? limits.Fuel : null;
        _memoryLimit = limits.MemoryBytes;
        _memoryCapSet = limits.MemoryCapSet;
        // The store's data is this instance: the engine-wide linker's host functions find their handler through it.
        Store = new Store(engine.Engine, this);
        try
        {
            // memorySize caps each memory, so the others bound the rest of the store: one instance, one memory (the engine
            // refuses multi-memory modules anyway), a few tables and their elements together.
            Store.SetLimits(memorySize: limits.MemoryBytes, tableElements: limits.TableElements, instances: 1, tables: MaxTables, memories: 1);
            // The guard starts watching the store's epoch at its first call: a start that runs no guest code (no start
            // function, no _initialize, no init) leaves it to the first call, which arms it anyway.
            Guard = new CallGuard(Store, limits.Timeout, engine.FuelEnabled ? limits.Fuel : null);
            if (wasi is not null)
            {
                Store.SetWasiConfiguration(wasi.ToConfiguration());
                WasiClockOrigin = System.Diagnostics.Stopwatch.GetTimestamp(); // just after the guest's monotonic clock starts
            }
            var linker = prepared?.Linker ?? engine.LinkerFor(contract.Imports, wasi is not null);
            // Each lookup by name is a call into Wasmtime: a prepared start skips those the module cannot answer.
            var facts = prepared?.Facts;
            if (facts is { HasStart: false, HasInitialize: false })
            {
                Instance = linker.Instantiate(Store, module); // runs no guest code: nothing to guard
            }
            else
            {
                // The start function and _initialize run under the same timeout and fuel as a call.
                Guard.Arm(CancellationToken.None);
                try
                {
                    Instance = linker.Instantiate(Store, module);
                    if (facts?.HasInitialize != false) Instance.GetAction("_initialize")?.Invoke();
                }
                finally
                {
                    Guard.Disarm();
                }
            }
            if (facts?.HasMemory != false) Memory = Instance.GetMemory("memory");
            if (facts?.HasAlloc != false) Alloc = Instance.GetFunction("vyra_alloc")?.WrapFunc<int, int>();
            if (facts?.HasFree != false) Free = Instance.GetFunction("vyra_free")?.WrapAction<int, int>();
            // The callable exports are looked up on first use (TryGetFunction): a start binds nothing it may never call.
        }
        catch
        {
            Store.Dispose();
            throw;
        }
        VyraTelemetry.Instances.Add(1, new KeyValuePair<string, object?>(VyraTelemetry.PluginIdTag, pluginId));
    }

    /// <summary>Tables one store may hold (modules with reference types may have more than one).</summary>
    private const int MaxTables = 8;

    public ModuleContract Contract { get; }

    // The contract's imports in the linker's order, as an array: a typed host import finds its handler here on every call.
    private readonly HostImport[] _imports;

    /// <inheritdoc />
    public override HostImport Import(int index) => _imports[index];

    /// <inheritdoc />
    public override Exception? HostInterruption() => Guard.HostInterruption();

    public Store Store { get; }

    public Instance Instance { get; }

    public CallGuard Guard { get; }

    /// <inheritdoc />
    public override CancellationToken HostToken => Guard.HostToken;

    /// <summary>When the store's WASI context was made (a Stopwatch timestamp): the origin of the guest's monotonic clock, for <see cref="WasiPoll"/>.</summary>
    public long WasiClockOrigin { get; }

    public Action<int, int>? Free { get; }

    public bool IsDisposed { get; private set; }

    /// <summary>The re-entrancy marker a call on this instance sets on its thread.</summary>
    public CallFrame Frame { get; } = new();

    /// <summary>The plugin version this instance was made from (a pool refills a broken instance from it).</summary>
    public WasmVersion? Version { get; set; }

    /// <summary>The instance that took this one's place after a failed call (pool bookkeeping).</summary>
    public WasmInstance? Replacement { get; set; }

    /// <summary>
    /// The typed delegates of this instance's <see cref="TypedExport{TDelegate}"/>s, indexed by the typed export's number
    /// and bound on first use (<see cref="BindTyped"/>), so a call after the first costs an array read, not a lookup.
    /// Read by the typed export itself on every call.
    /// </summary>
    public object?[] TypedDelegates => _typed;

    /// <summary>
    /// Binds a typed export's delegate for this instance (its first call here); null when the export is not callable (not
    /// declared) or its signature does not fit. Used while leased, so one thread at a time fills the table.
    /// </summary>
    public TDelegate? BindTyped<TDelegate>(int slot, string name, Func<Function, TDelegate?> bind)
        where TDelegate : Delegate
    {
        if (!Contract.Exports.ContainsKey(name) || TryGetFunction(name) is not { } function) return null;
        if (slot >= _typed.Length) Array.Resize(ref _typed, Math.Max(Math.Max(slot + 1, 4), _typed.Length * 2));
        var fresh = bind(function);
        _typed[slot] = fresh;
        return fresh;
    }

    /// <summary>The typed <c>on_event</c> (bus deliveries), bound on first use; null when the module exports none.</summary>
    public Action<int, int, int, int>? OnEvent => _onEvent ??= TryGetFunction("on_event")?.WrapAction<int, int, int, int>();

    /// <summary>The typed <c>on_request</c> (requests to served services), bound on first use; null when the module exports none.</summary>
    public Func<int, int, int, int, long>? OnRequest => _onRequest ??= TryGetFunction("on_request")?.WrapFunc<int, int, int, int, long>();

    private Action<int, int, int, int>? _onEvent;
    private Func<int, int, int, int, long>? _onRequest;

    /// <summary>
    /// A callable export (declared in the contract, or its <c>on_event</c> / <c>on_request</c>), looked up in the instance
    /// on first use and kept; null for anything else. Used while leased, so one thread at a time fills the table.
    /// </summary>
    public Function? TryGetFunction(string name)
    {
        if (_functions?.TryGetValue(name, out var known) == true) return known;
        var callable = Contract.Exports.ContainsKey(name)
            || (name == "on_event" && Contract.OnEvent is not null)
            || (name == "on_request" && Contract.OnRequest is not null);
        if (!callable || Instance.GetFunction(name) is not { } function) return null;
        (_functions ??= new Dictionary<string, Function>(StringComparer.Ordinal))[name] = function;
        return function;
    }

    public Function GetFunction(string name) => TryGetFunction(name) ?? throw new KeyNotFoundException($"export '{name}' is not callable");

    /// <summary>Copies a memory argument into the guest; it is freed with <c>vyra_free</c> when the call ends.</summary>
    public (int Pointer, int Length) WriteArgument(ReadOnlySpan<byte> bytes, AbiSite what)
    {
        var pointer = GuestMemory.Write(Memory, Alloc, bytes, what, MaxMemoryValueBytes);
        if (Free is not null) (_pendingFrees ??= []).Add((pointer, bytes.Length));
        return (pointer, bytes.Length);
    }

    /// <summary>
    /// Encodes a string argument as strict UTF-8 straight into a fresh guest buffer, as a hand-written copy would: counted
    /// first (a lone surrogate throws <see cref="System.Text.EncoderFallbackException"/> and a value over the host's cap
    /// is refused, both before the guest allocates anything), with no UTF-8 array on the host in between. It is freed
    /// with <c>vyra_free</c> when the call ends.
    /// </summary>
    public (int Pointer, int Length) WriteTextArgument(string text, AbiSite what)
    {
        var (pointer, length) = GuestMemory.Unpack(GuestMemory.WriteText(Memory, Alloc, text, MemoryValues.StrictUtf8, what, MaxMemoryValueBytes));
        if (Free is not null) (_pendingFrees ??= []).Add((pointer, length));
        return (pointer, length);
    }

    /// <summary>Reads a returned memory value and releases the guest's buffer.</summary>
    public object? ReadResult(long packed, PluginValueType type, AbiSite what)
    {
        var (pointer, length) = GuestMemory.Unpack(packed);
        var value = GuestMemory.Read(Memory, pointer, length, type, what, MaxMemoryValueBytes);
        Free?.Invoke(pointer, length);
        return value;
    }

    /// <summary>Ends a call: frees the call's arguments (still under the call's limits) and disarms the guard.</summary>
    public void EndCall()
    {
        // The typed fast path's usual call wrote no argument and meters no fuel: disarm only, with no exception frame.
        if (_pendingFrees is not { Count: > 0 } && _fuelBudget is null)
        {
            Guard.Disarm();
            return;
        }
        EndCallFreeing();
    }

    private void EndCallFreeing()
    {
        try
        {
            if (_pendingFrees is { Count: > 0 } && !IsDisposed)
            {
                foreach (var (pointer, length) in _pendingFrees) Free!(pointer, length);
            }
        }
        catch (Exception)
        {
            // A guest whose vyra_free fails after its call has a broken allocator; leaking its buffers is all we can do.
        }
        finally
        {
            _pendingFrees?.Clear();
            Guard.Disarm();
            if (_fuelBudget is { } budget && VyraTelemetry.FuelConsumed.Enabled && !IsDisposed)
            {
                VyraTelemetry.FuelConsumed.Record((long)(budget - Store.Fuel), new KeyValuePair<string, object?>(VyraTelemetry.PluginIdTag, PluginId));
            }
        }
    }

    /// <summary>Starts telemetry for a typed call (CallAsync is observed by <see cref="PluginRuntime"/>).</summary>
    public void ObserveTypedCall(string function)
    {
        // Nothing is written when nobody listens (the fields are clear between observed calls; a failure mark left by
        // an unobserved call is cleared by the next observed one).
        if (!VyraTelemetry.CallsObserved) return;
        _observedFailure = null;
        _observedStart = VyraTelemetry.BeginCall(PluginId, function, "wasm", out _observedActivity);
    }

    /// <summary>Marks the observed typed call as failed.</summary>
    public void ObserveFailure(PluginErrorKind kind) => _observedFailure = kind;

    /// <summary>Ends telemetry for a typed call.</summary>
    public void EndObservedCall(string function)
    {
        if (_observedStart == 0) return;
        VyraTelemetry.EndCall(_observedStart, _observedActivity, PluginId, function, _observedFailure);
        _observedStart = 0;
        _observedActivity = null;
    }

    /// <summary>
    /// True when <see cref="BeginCall"/> only writes fields (no fuel to set and no memory size to read: each is a call
    /// into Wasmtime), so it cannot fail: the typed fast path then needs no handler around it.
    /// </summary>
    public bool ArmsWithoutNativeCalls => _fuelBudget is null && Memory is null;

    /// <summary>Starts a call: arms the limits and, when memory is capped, notes its size (to judge a later trap).</summary>
    public void BeginCall(CancellationToken cancellationToken, long waitedMs = 0)
    {
        Guard.Arm(cancellationToken, waitedMs);
        _memoryAtCallStart = Memory?.GetLength() ?? 0;
    }

    /// <summary>
    /// Wasmtime does not say when it refused a <c>memory.grow</c>, so judge by the evidence: the call left memory within
    /// a page of the cap, or a cap was set (by the options or the manifest) and the call grew memory. A trap that a refused growth typically leads to
    /// (the guest's own abort, or a write where the new page should be) is then reported as the memory limit.
    /// </summary>
    public bool LikelyHitMemoryLimit(TrapCode trap)
    {
        var limit = _memoryLimit;
        if (Memory is not { } memory) return false;
        if (trap is not (TrapCode.Unreachable or TrapCode.MemoryOutOfBounds)) return false;
        var size = memory.GetLength();
        // Under only the default ceiling, growth alone is no evidence (plugins that never asked for a cap grow freely).
        return (_memoryCapSet && size > _memoryAtCallStart) || size + Wasmtime.Memory.PageSize > limit;
    }

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Store.Dispose();
        VyraTelemetry.Instances.Add(-1, new KeyValuePair<string, object?>(VyraTelemetry.PluginIdTag, PluginId));
    }
}
