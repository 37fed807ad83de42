namespace Vyra.Sdk;

/// <summary>
/// Who may use which instance of a started runtime. A Wasmtime store is single-threaded, so a call leases an
/// instance for its whole duration. One instance (the default, for stateful plugins) is leased under a monitor: the
/// cheapest lock there is, which the typed fast path needs. A pool (<see cref="PluginRuntimeOptions.Instances"/> &gt; 1,
/// for stateless plugins) hands out N instances, and callers beyond N wait asynchronously.
/// </summary>
internal abstract class InstanceSlots
{
    /// <summary>False once closed by a stop (or when a broken instance could not be replaced).</summary>
    public abstract bool IsOpen { get; }

    /// <summary>Leases an instance, blocking while all are busy; null when closed.</summary>
    public abstract WasmInstance? Acquire();

    /// <summary>Leases an instance, waiting asynchronously while all are busy; null when closed.</summary>
    public abstract ValueTask<WasmInstance?> AcquireAsync(CancellationToken cancellationToken);

    /// <summary>Returns a lease (on the thread that took it, for the single instance).</summary>
    public abstract void Release(WasmInstance instance);

    /// <summary>Swaps a leased instance whose call failed for <paramref name="fresh"/> (null: the slot cannot be refilled, close).</summary>
    public abstract void Replace(WasmInstance broken, WasmInstance? fresh);

    /// <summary>Waits for calls in flight, disposes every instance, and makes later leases fail.</summary>
    public abstract ValueTask CloseAsync();
}
