using Microsoft.Extensions.Logging;

namespace Vyra.Sdk;

/// <summary>
/// Hot swap: another version of the plugin takes over the same runtime object, so every reference to it (a typed
/// proxy, a host's registration, a caller holding it) follows without being told. See docs/architecture.md, "Hot swap".
/// </summary>
public sealed partial class WasmRuntime
{
    /// <summary>
    /// Replaces the plugin behind this runtime with the module at <paramref name="wasmPath"/> (its manifest is read from
    /// its folder) without stopping it. The new version is loaded, checked and started first; a version that would break
    /// callers (an export removed, or its signature changed) is refused unless <see cref="PluginSwapOptions.Force"/>; a
    /// version that fails to load or start is reported and the old one keeps serving. Then new calls go to the new
    /// version, calls in flight finish on the old one, and the old one is disposed once they have: this returns after
    /// that drain. The state is carried when the old version exports <c>vyra_snapshot</c> and the new one
    /// <c>vyra_restore</c> (<see cref="PluginSwapResult.StateCarried"/> says whether it was).
    /// </summary>
    /// <remarks>
    /// On a stopped runtime the new version is loaded and checked the same way, and the next start runs it. Swaps,
    /// starts and stops are serialized. A swap from inside a call of this runtime is refused
    /// (<see cref="PluginErrorKind.Reentrant"/>): its drain would wait for that call.
    /// </remarks>
    /// <exception cref="PluginCallException">Called from inside a call of this runtime (<see cref="PluginErrorKind.Reentrant"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the new version was published.</exception>
    public async ValueTask<PluginSwapResult> SwapAsync(string wasmPath, PluginSwapOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(wasmPath);
        options ??= PluginSwapOptions.Default;
        if (CallFrame.IsInsideOrFlowing(this))
        {
            throw new PluginCallException(PluginId, "swap", "a swap from inside a call of the same runtime would wait for that call to end", PluginErrorKind.Reentrant);
        }
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await SwapCoreAsync(wasmPath, options, cancellationToken).ConfigureAwait(false);
            Logger.Log(result.Succeeded ? LogLevel.Information : LogLevel.Warning, "Plugin {PluginId}: {SwapResult}", PluginId, result.Message);
            return result;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private async ValueTask<PluginSwapResult> SwapCoreAsync(string wasmPath, PluginSwapOptions options, CancellationToken cancellationToken)
    {
        var fromPath = WasmPath;
        var old = _version;
        var from = old?.Manifest?.Version;
        PluginSwapResult Result(PluginSwapStatus status, string message, string? to, IReadOnlyList<string>? breaking = null, bool carried = false, string? note = null, Exception? error = null) =>
            new(status, message, from, to, fromPath, wasmPath, breaking ?? [], carried, note ?? "the state was not carried: the swap did not happen", error);

        WasmVersion fresh;
        ServiceExportTable? freshServices;
        try
        {
            fresh = await LoadAsync(wasmPath, cancellationToken).ConfigureAwait(false);
            freshServices = BindServiceExports(fresh);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Result(PluginSwapStatus.Failed, $"swap from {Label(old)} to '{wasmPath}' failed, {Label(old)} keeps serving: {ex.Message}", null, error: ex);
        }
        var to = fresh.Manifest?.Version;
        var breaking = old is null ? [] : ExportCompatibility.BreakingChanges(old.Contract, fresh.Contract);
        if (breaking.Count > 0 && !options.Force)
        {
            return Result(PluginSwapStatus.Refused,
                $"swap from {Label(old)} to {fresh.Label} refused, it would break callers: {string.Join("; ", breaking)} (PluginSwapOptions.Force swaps anyway)", to, breaking);
        }

        var slots = _slots;
        if (slots is not { IsOpen: true })
        {
            // Stopped: nothing to drain and no state to carry; the next start runs the new version.
            _version = fresh;
            _image = null; // the next start loads the swapped-in path from its files
            Volatile.Write(ref _path, fresh.WasmPath);
            Manifest = fresh.Manifest;
            return Result(PluginSwapStatus.Swapped, $"swapped from {Label(old)} to {fresh.Label} while stopped: the next start runs it", to, breaking,
                note: "the state was not carried: the runtime is not running");
        }

        // The state plan: snapshot the old version on a lease that is held until the new version is published, so no
        // call can change the old state after the snapshot was taken.
        var why = !options.CarryState ? "not asked for (PluginSwapOptions.CarryState is false)"
            : StateExports.WhyNoSnapshot(slots.Version.Module) is { } noSnapshot ? "the old version " + noSnapshot
            : StateExports.WhyNoRestore(fresh.Module) is { } noRestore ? "the new version " + noRestore
            : null;
        WasmInstance? held = null;
        byte[]? state = null;
        if (why is null)
        {
            var (instance, refusal) = await slots.AcquireAsync(slots.WaitLimitMs, cancellationToken).ConfigureAwait(false);
            if (instance is null)
            {
                if (refusal == LeaseRefusal.Cancelled) cancellationToken.ThrowIfCancellationRequested();
                return Result(PluginSwapStatus.Failed, $"swap from {Label(old)} to {fresh.Label} failed, {Label(old)} keeps serving: the old version could not be leased to snapshot its state ({refusal})", to, breaking);
            }
            held = instance;
            try
            {
                state = StateExports.TakeSnapshot(this, instance);
            }
            catch (PluginCallException ex)
            {
                slots.Release(instance);
                return Result(PluginSwapStatus.Failed, $"swap from {Label(old)} to {fresh.Label} failed, {Label(old)} keeps serving: {StateExports.Snapshot} failed: {ex.Reason}", to, breaking, error: ex);
            }
        }

        InstanceSlots next;
        // The new version's init runs now, under its own manifest's permissions (the runtime's apply once it is published).
        _swappingIn = new SwappingIn(fresh.Contract, new PermissionGate(fresh.Manifest?.Permissions, Options.Bus.Module));
        try
        {
            next = OpenSlots(fresh, state is null ? null : instance => StateExports.RestoreInto(this, instance, state)).Slots;
        }
        catch (Exception ex)
        {
            _swappingIn = null;
            // Whatever failed, the snapshot's lease goes back: the old version must keep serving, and only with the
            // subscriptions and services it made itself (the new version's init may have made some before the failure).
            if (held is not null) slots.Release(held);
            EndBusHandlesOf(fresh.Contract);
            var reason = ex is PluginCallException call ? $"{StateExports.Restore} failed: {call.Reason}" : ex.Message;
            return Result(PluginSwapStatus.Failed, $"swap from {Label(old)} to {fresh.Label} failed, {Label(old)} keeps serving: {reason}", to, breaking, error: ex);
        }

        Publish(fresh, next);
        _image = null; // a restart loads the swapped-in path from its files, as any swapped runtime does
        ServiceExports = freshServices;
        // The new manifest's permissions apply from now on, and what they no longer allow ends (docs/bus.md).
        ReplacePermissions(fresh.Manifest?.Permissions);
        _swappingIn = null;
        RevokeDisallowedBusHandles(fresh.Contract);
        // The old slots close without interrupting: callers waiting on them move to the new version (the lease paths
        // follow the successor), calls running on them finish. The close starts before the snapshot's lease is given
        // back, so that lease goes to the close, never to a caller that would run on the old state.
        var drain = RetireAsync(slots, interrupt: false);
        if (held is not null) slots.Release(held);
        await drain.ConfigureAwait(false);
        var note = state is not null
            ? $"the state was carried ({state.Length} bytes{(slots.Count > 1 ? ", from one instance of the pool into each new one" : "")})"
            : $"the state was not carried: {why}";
        return Result(PluginSwapStatus.Swapped, $"swapped from {Label(old)} to {fresh.Label}{(breaking.Count > 0 ? $" (forced over: {string.Join("; ", breaking)})" : "")}; {note}",
            to, breaking, carried: state is not null, note: note);
    }

    private static string Label(WasmVersion? version) => version is null ? "(not started)" : $"version {version.Label}";

    /// <summary>
    /// The export as the leased instance's version has it, and the arguments prepared again when its signature differs:
    /// only a call that raced a forced swap gets here.
    /// </summary>
    private (ExportSpec Export, PreparedArguments Arguments) Reprepare(ModuleContract contract, ExportSpec export, PreparedArguments prepared, IReadOnlyDictionary<string, object?> data)
    {
        var current = export.Name == "on_event" && contract.OnEvent is { } handler ? handler
            : contract.Exports.TryGetValue(export.Name, out var found) ? found
            : throw UnknownFunction(export.Name, "the plugin was swapped to a version without this export");
        return (current, ExportCompatibility.SameSignature(current, export) ? prepared : Prepare(current, data));
    }
}
