using System.Runtime.CompilerServices;
using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// A typed handle on one export of a <see cref="WasmRuntime"/>, for generated proxies. The Wasmtime typed delegate is
/// bound once per instance, so a call costs the lease, arming the limits and the wasm call: no dictionary, no boxing,
/// no allocation.
/// <code>
/// using var call = export.Enter();
/// try { return call.Function(step); }
/// catch (Exception ex) { throw call.Fail(ex); }
/// </code>
/// </summary>
public sealed class TypedExport<TDelegate>
    where TDelegate : Delegate
{
    private readonly WasmRuntime _runtime;
    private readonly Func<Function, TDelegate?> _bind;
    private readonly int _slot;

    internal TypedExport(WasmRuntime runtime, string name, Func<Function, TDelegate?> bind, int slot)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(bind);
        _runtime = runtime;
        _bind = bind;
        _slot = slot;
        Name = name;
    }

    /// <summary>The export's name.</summary>
    public string Name { get; }

    /// <summary>
    /// Leases an instance (blocking while all are busy, within the runtime's wait bound), binds the delegate for it and arms the call's limits.
    /// Dispose the returned call to release them; pass any exception through <see cref="GuestCall{TDelegate}.Fail"/>.
    /// </summary>
    public GuestCall<TDelegate> Enter(CancellationToken cancellationToken = default)
    {
        var thread = CallingThread.Current;
        // The fast path: a thread inside no call at all (so no re-entrancy to refuse) takes a single instance on its
        // bias. Anything else (a pool, a contended or revoked lease, a closed slot, a nested call) takes the full path.
        var slots = _runtime.Slots;
        if (slots is SingleInstanceSlot single && thread.Frame is null && single.TryEnterOnBias(thread) is { } instance)
        {
            return Open(single, instance, cancellationToken, 0, null, thread);
        }
        instance = _runtime.Lease(Name, cancellationToken, out var leased, out var waitedMs);
        return Open(leased, instance, cancellationToken, waitedMs, thread.Frame, thread);
    }

    /// <summary>
    /// The asynchronous typed call (what generated <c>...Async</c> methods use): leases an instance without blocking a
    /// thread (bounded, cancellable wait), then runs <paramref name="body"/> on one of the runtime's guest threads and
    /// ends the call. The body is what would follow <see cref="Enter"/>; pass its arguments as <paramref name="state"/>
    /// so a static lambda captures nothing.
    /// </summary>
    public ValueTask<TResult> RunAsync<TState, TResult>(TState state, Func<GuestCall<TDelegate>, TState, TResult> body, CancellationToken cancellationToken = default)
    {
        if (body is null) return ValueTask.FromException<TResult>(new ArgumentNullException(nameof(body)));
        var caller = CallFrame.Current;
        var leasing = _runtime.LeaseAsync(Name, cancellationToken);
        // Uncontended, the guest work's own task is the caller's: no async frame in between, so a caller blocked on it
        // is woken by the guest thread itself rather than through a pool thread.
        if (leasing.IsCompletedSuccessfully) return new(RunLeased(leasing.Result, state, body, caller, cancellationToken));
        return AwaitLeaseAsync(leasing, state, body, caller, cancellationToken);
    }

    private async ValueTask<TResult> AwaitLeaseAsync<TState, TResult>(ValueTask<WasmRuntime.AsyncLease> leasing, TState state, Func<GuestCall<TDelegate>, TState, TResult> body, CallFrame? caller, CancellationToken cancellationToken)
    {
        var lease = await leasing.ConfigureAwait(false);
        return await RunLeased(lease, state, body, caller, cancellationToken).ConfigureAwait(false);
    }

    private Task<TResult> RunLeased<TState, TResult>(WasmRuntime.AsyncLease lease, TState state, Func<GuestCall<TDelegate>, TState, TResult> body, CallFrame? caller, CancellationToken cancellationToken) =>
        lease.Workers.Run(() =>
        {
            using var call = Open(lease.Slots, lease.Instance, cancellationToken, lease.WaitedMs, caller, CallingThread.Current);
            return CallFrame.RunFlowing(_runtime, () => body(call, state));
        }, lease.Slot);

    /// <summary>The asynchronous typed call of an export without results; see <see cref="RunAsync{TState, TResult}"/>.</summary>
    public ValueTask RunAsync<TState>(TState state, Action<GuestCall<TDelegate>, TState> body, CancellationToken cancellationToken = default)
    {
        if (body is null) return ValueTask.FromException(new ArgumentNullException(nameof(body)));
        var running = RunAsync((body, state), static (call, s) =>
        {
            s.body(call, s.state);
            return true;
        }, cancellationToken);
        return running.IsCompletedSuccessfully ? default : new ValueTask(running.AsTask());
    }

    /// <summary>Binds the delegate for the leased instance, arms the limits and marks the thread as inside the call.</summary>
    private GuestCall<TDelegate> Open(InstanceSlots slots, WasmInstance instance, CancellationToken cancellationToken, long waitedMs, CallFrame? caller, CallingThread thread)
    {
        // The usual call (delegate bound, not cancelled, nobody listening to telemetry, limits armed by field writes
        // alone) runs nothing that can throw, so it needs no handler to return the lease: a method with one costs the
        // fast path a frame and spills, a few ns of its budget. Anything else takes OpenGuarded.
        if (BoundFor(instance) is { } function && !cancellationToken.IsCancellationRequested && instance.ArmsWithoutNativeCalls && !VyraTelemetry.CallsObserved)
        {
            instance.BeginCall(cancellationToken, waitedMs);
            instance.Frame.Enter(_runtime, caller, thread);
            return new GuestCall<TDelegate>(_runtime, slots, instance, function, Name);
        }
        return OpenGuarded(slots, instance, cancellationToken, waitedMs, caller, thread);
    }

    /// <summary>
    /// The bound delegate when this instance has one, read here, where TDelegate is the class's own type argument (a
    /// check through a generic method's dictionary costs a runtime lookup), by its exact type (a compare, where `is`
    /// calls a cast helper). The slot holds only what this export's own bind made, so the exact type is the answer
    /// once bound; null before the first call on this instance.
    /// </summary>
    private TDelegate? BoundFor(WasmInstance instance)
    {
        var typed = instance.TypedDelegates;
        var candidate = (uint)_slot < (uint)typed.Length ? typed[_slot] : null;
        return candidate is not null && candidate.GetType() == typeof(TDelegate) ? Unsafe.As<TDelegate>(candidate) : null;
    }

    /// <summary><see cref="Open"/> for the first call on an instance, a cancelled token, an observed call or fuel: returns the lease on any failure.</summary>
    private GuestCall<TDelegate> OpenGuarded(InstanceSlots slots, WasmInstance instance, CancellationToken cancellationToken, long waitedMs, CallFrame? caller, CallingThread thread)
    {
        try
        {
            // `as` for a TDelegate that is a base type (Delegate itself), whose bound delegates never match exactly.
            var typed = instance.TypedDelegates;
            var function = BoundFor(instance)
                ?? ((uint)_slot < (uint)typed.Length ? typed[_slot] as TDelegate : null)
                ?? instance.BindTyped(_slot, Name, _bind)
                ?? throw BindFailure(instance);
            if (cancellationToken.IsCancellationRequested)
            {
                throw new PluginCallException(_runtime.PluginId, Name, "the call was cancelled", PluginErrorKind.Cancelled, new OperationCanceledException(cancellationToken));
            }
            instance.BeginCall(cancellationToken, waitedMs);
            instance.ObserveTypedCall(Name);
            instance.Frame.Enter(_runtime, caller, thread);
            return new GuestCall<TDelegate>(_runtime, slots, instance, function, Name);
        }
        catch
        {
            slots.Release(instance);
            throw;
        }
    }

    private PluginCallException BindFailure(WasmInstance instance) =>
        instance.TryGetFunction(Name) is { } function
            ? new(_runtime.PluginId, Name, $"the module's signature {WasmSignature.Format(function.Parameters, function.Results)} does not match the typed proxy", PluginErrorKind.Abi)
            : new(_runtime.PluginId, Name, "the function is not declared in the manifest's exports", PluginErrorKind.UnknownFunction);
}
