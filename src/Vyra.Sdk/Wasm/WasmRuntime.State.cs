namespace Vyra.Sdk;

/// <summary>
/// Explicit state transfer through the plugin's <c>vyra_snapshot</c> and <c>vyra_restore</c> exports (docs/abi.md,
/// "Lifecycle exports"): a host keeps a plugin's state across a restart, a move to another process, or a backup.
/// </summary>
public sealed partial class WasmRuntime
{
    /// <summary>
    /// The plugin's state as its <c>vyra_snapshot</c> export returns it (the plugin's own format; capped like any memory
    /// value). Runs on the caller's thread on a leased instance, under the call limits; with a pool, one instance's state.
    /// </summary>
    /// <exception cref="PluginCallException">Not running (<see cref="PluginErrorKind.NotStarted"/>), no usable
    /// <c>vyra_snapshot</c> (<see cref="PluginErrorKind.UnknownFunction"/>), or the export failed.</exception>
    public async ValueTask<byte[]> SnapshotAsync(CancellationToken cancellationToken = default)
    {
        var (slots, instance) = await LeaseForStateAsync(StateExports.Snapshot, cancellationToken).ConfigureAwait(false);
        try
        {
            return StateExports.TakeSnapshot(this, instance);
        }
        finally
        {
            slots.Release(instance);
        }
    }

    /// <summary>
    /// Gives <paramref name="state"/> (from <see cref="SnapshotAsync"/>, of this or another version) to the plugin's
    /// <c>vyra_restore</c> export, in every instance: with a pool it waits until it holds them all, so no call sees some
    /// instances restored and others not.
    /// </summary>
    /// <exception cref="PluginCallException">Not running, no usable <c>vyra_restore</c>, or the export failed.</exception>
    public async ValueTask RestoreAsync(ReadOnlyMemory<byte> state, CancellationToken cancellationToken = default)
    {
        // One restore at a time: two that each gather a pool's instances one by one could each hold some and wait for
        // the other's forever.
        var gate = LazyInitializer.EnsureInitialized(ref _restoreGate, static () => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await RestoreAllAsync(state, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private SemaphoreSlim? _restoreGate; // made by the first restore: most runtimes never restore

    private async ValueTask RestoreAllAsync(ReadOnlyMemory<byte> state, CancellationToken cancellationToken)
    {
        var (slots, first) = await LeaseForStateAsync(StateExports.Restore, cancellationToken).ConfigureAwait(false);
        var held = new List<WasmInstance> { first };
        // An elastic pool must not grow while this waits for the instances it already holds; one grown afterwards starts from init.
        slots.HoldSize(true);
        try
        {
            while (held.Count < slots.Count)
            {
                var (instance, refusal) = await slots.AcquireAsync(slots.WaitLimitMs, cancellationToken).ConfigureAwait(false);
                if (instance is null) throw Refused(StateExports.Restore, refusal, cancellationToken);
                held.Add(instance);
            }
            foreach (var instance in held) StateExports.RestoreInto(this, instance, state);
        }
        finally
        {
            slots.HoldSize(false);
            foreach (var instance in held) slots.Release(instance);
        }
    }

    /// <summary>Leases an instance of the running version for a state export, after checking the version has it.</summary>
    private async ValueTask<(InstanceSlots Slots, WasmInstance Instance)> LeaseForStateAsync(string function, CancellationToken cancellationToken)
    {
        if (CallFrame.IsInsideOrFlowing(this)) throw Reentrant(function);
        var slots = _slots ?? throw NotStarted(function);
        while (true)
        {
            var module = slots.Version.Module;
            var why = function == StateExports.Snapshot ? StateExports.WhyNoSnapshot(module) : StateExports.WhyNoRestore(module);
            if (why is not null) throw UnknownFunction(function, $"version {slots.Version.Label} of the plugin {why}");
            var (instance, refusal) = await slots.AcquireAsync(slots.WaitLimitMs, cancellationToken).ConfigureAwait(false);
            if (instance is not null) return (slots, instance);
            slots = Successor(slots, refusal) ?? throw Refused(function, refusal, cancellationToken);
        }
    }
}
