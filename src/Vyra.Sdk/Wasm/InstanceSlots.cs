namespace Vyra.Sdk;

/// <summary>
/// Who may use which instance of a started runtime. A Wasmtime store is single-threaded, so a call leases an
/// instance for its whole duration. One instance (the default, for stateful plugins) is leased through a lock biased to
/// the thread that calls it (no interlocked operation while only that thread calls; one compare-exchange each way once
/// another thread has asked), which the typed fast path needs. A pool
/// (<see cref="PluginRuntimeOptions.Instances"/> &gt; 1, or a <see cref="PluginRuntimeOptions.MaxInstances"/> above the
/// minimum, for stateless plugins) hands out its instances, and an elastic one grows and shrinks. Callers beyond
/// the free instances wait in a bounded queue (<see cref="PluginRuntimeOptions.MaxQueueLength"/>), for a bounded time,
/// cancellably; a stop fails every waiter at once.
/// </summary>
internal abstract class InstanceSlots
{
    protected InstanceSlots(int maxWaiters) => MaxWaiters = maxWaiters;

    /// <summary>How many callers may wait for an instance at once.</summary>
    protected int MaxWaiters { get; }

    /// <summary>
    /// The guest threads of the same start. Set before the slots are published: a caller reads the slots once and takes
    /// the workers, the wait bound and the version from them, so a hot swap can never pair one version's instance with
    /// another's threads or limits.
    /// </summary>
    public GuestWorkers Workers { get; set; } = null!;

    /// <summary>The plugin version whose instances these are.</summary>
    public WasmVersion Version { get; set; } = null!;

    /// <summary>How long a call may wait for an instance of these slots (-1: unbounded).</summary>
    public int WaitLimitMs { get; set; } = -1;

    /// <summary>How many instances the slots hold now (an elastic pool's count moves between its minimum and maximum).</summary>
    public abstract int Count { get; }

    /// <summary>False once closed by a stop (or when a broken instance could not be replaced).</summary>
    public abstract bool IsOpen { get; }

    /// <summary>
    /// Leases an instance, blocking while all are busy for at most <paramref name="waitMs"/> (-1: no bound);
    /// null with the reason when refused. <paramref name="waitedMs"/> is how long it waited (0 without contention).
    /// </summary>
    public abstract WasmInstance? Acquire(int waitMs, CancellationToken cancellationToken, out LeaseRefusal refusal, out long waitedMs);

    /// <summary>Leases an instance, waiting asynchronously while all are busy (same bounds as <see cref="Acquire"/>).</summary>
    public abstract ValueTask<(WasmInstance? Instance, LeaseRefusal Refusal)> AcquireAsync(int waitMs, CancellationToken cancellationToken);

    /// <summary>Returns a lease (from any thread).</summary>
    public abstract void Release(WasmInstance instance);

    /// <summary>
    /// While held (<paramref name="hold"/> true, until a matching false), the slots do not grow: a caller gathering every
    /// instance (a restore) must not make the pool grow to its maximum while it waits for instances it already holds.
    /// </summary>
    public virtual void HoldSize(bool hold)
    {
    }

    /// <summary>Swaps a leased instance whose call failed for <paramref name="fresh"/> (null: the slot cannot be refilled, close).</summary>
    public abstract void Replace(WasmInstance broken, WasmInstance? fresh);

    /// <summary>
    /// Interrupts running guest code (unless <paramref name="interrupt"/> is false: a hot swap lets the calls in flight
    /// finish), fails every waiting caller at once, waits for the calls in flight to return their leases, disposes every
    /// instance, and makes later leases fail.
    /// </summary>
    public abstract ValueTask CloseAsync(bool interrupt = true);
}
