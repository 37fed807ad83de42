namespace Vyra.Sdk;

/// <summary>
/// The dictionary call path of a runtime without guest threads (<see cref="PluginRuntimeOptions.GuestThreads"/> false):
/// the guest runs on the caller's thread, so the lease, the frame and the call are taken here, synchronously, when the
/// instance is free at once. No closure, no task and no async lease frame per call; the guards are the ones the
/// handed-off path has (re-entrancy seen by the frame and the flowing marker, the bounded wait, the limits armed by
/// <see cref="Invoke"/>, a swap's drain through the lease). A caller that has to wait takes the asynchronous lease.
/// </summary>
public sealed partial class WasmRuntime
{
    private ValueTask<IReadOnlyDictionary<string, object?>> CallHere(InstanceSlots slots, ModuleContract contract, ExportSpec export, PreparedArguments prepared, IReadOnlyDictionary<string, object?> data, CallFrame? caller, CancellationToken cancellationToken, bool notify)
    {
        // A nested or flowing call is refused through the task, as LeaseAsync refuses it.
        if (CallFrame.IsInsideOrFlowing(this)) return ValueTask.FromException<IReadOnlyDictionary<string, object?>>(Reentrant(export.Name));
        var acquiring = slots.AcquireAsync(slots.WaitLimitMs, cancellationToken);
        if (!acquiring.IsCompletedSuccessfully)
        {
            // Busy: the asynchronous lease waits (bounded, cancellable) and finishes it.
            return AwaitLeaseAsync(LeaseAfterAsync(slots, acquiring, export.Name, Environment.TickCount64, cancellationToken), contract, export, prepared, data, caller, cancellationToken, notify);
        }
        // Its result is read once (a ValueTask is consumed once): a refusal (a swap's successor, a stop, a full queue)
        // goes on as a value.
        var acquired = acquiring.Result;
        if (acquired.Instance is not { } instance)
        {
            return AwaitLeaseAsync(LeaseAfterAsync(slots, new(acquired), export.Name, Environment.TickCount64, cancellationToken), contract, export, prepared, data, caller, cancellationToken, notify);
        }
        IReadOnlyDictionary<string, object?> result;
        try
        {
            result = RunOn(slots, instance, contract, export, prepared, data, caller, cancellationToken, waitedMs: 0);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<IReadOnlyDictionary<string, object?>>(ex);
        }
        return notify ? new(GuestWorkers.Then(result, NotifyResultStep, export.Name)) : new(result);
    }

    /// <summary><see cref="LeaseAsync"/> after its first acquire did not lease at once (no guest threads, so no guest slot).</summary>
    private async ValueTask<AsyncLease> LeaseAfterAsync(InstanceSlots slots, ValueTask<(WasmInstance? Instance, LeaseRefusal Refusal)> acquiring, string function, long asked, CancellationToken cancellationToken)
    {
        var (instance, refusal) = await acquiring.ConfigureAwait(false);
        while (instance is null && Successor(slots, refusal) is { } next)
        {
            slots = next;
            (instance, refusal) = await slots.AcquireAsync(slots.WaitLimitMs, cancellationToken).ConfigureAwait(false);
        }
        if (instance is null) throw Refused(function, refusal, cancellationToken);
        return new AsyncLease(slots, instance, Environment.TickCount64 - asked, slots.Workers, null);
    }
}
