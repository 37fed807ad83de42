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
        var instance = _runtime.Lease(Name, cancellationToken, out var slots);
        try
        {
            var function = instance.Bound(_slot, Name, _bind) ?? throw BindFailure(instance);
            if (cancellationToken.IsCancellationRequested)
            {
                throw new PluginCallException(_runtime.PluginId, Name, "the call was cancelled", PluginErrorKind.Cancelled, new OperationCanceledException(cancellationToken));
            }
            instance.BeginCall(cancellationToken);
            instance.ObserveTypedCall(Name);
            instance.Frame.Enter(_runtime);
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
