using Wasmtime;

namespace Vyra.Plugin;

/// <summary>
/// A typed handle on one export of a <see cref="WasmRuntime"/>, for generated proxies. The Wasmtime typed delegate is
/// bound once per instance (again after a restart), so a call costs the lock, arming the limits and the wasm call:
/// no dictionary, no boxing, no allocation.
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
    private TDelegate? _function;
    private int _generation = -1;

    internal TypedExport(WasmRuntime runtime, string name, Func<Function, TDelegate?> bind)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(bind);
        _runtime = runtime;
        _bind = bind;
        Name = name;
    }

    /// <summary>The export's name.</summary>
    public string Name { get; }

    /// <summary>
    /// Takes the runtime's lock, binds the delegate for the current instance and arms the call's limits.
    /// Dispose the returned call to release them; pass any exception through <see cref="GuestCall{TDelegate}.Fail"/>.
    /// </summary>
    public GuestCall<TDelegate> Enter(CancellationToken cancellationToken = default)
    {
        Monitor.Enter(_runtime.Gate);
        try
        {
            var instance = _runtime.CurrentInstance(Name);
            if (_generation != instance.Generation)
            {
                if (!instance.Contract.Exports.ContainsKey(Name))
                {
                    throw new PluginCallException(_runtime.PluginId, Name, "the function is not declared in the manifest's exports", PluginErrorKind.UnknownFunction);
                }
                _function = _bind(instance.GetFunction(Name)) ?? throw new PluginCallException(_runtime.PluginId, Name,
                    $"the module's signature {WasmSignature.Format(instance.GetFunction(Name).Parameters, instance.GetFunction(Name).Results)} does not match the typed proxy", PluginErrorKind.Abi);
                _generation = instance.Generation;
            }
            if (cancellationToken.IsCancellationRequested)
            {
                throw new PluginCallException(_runtime.PluginId, Name, "the call was cancelled", PluginErrorKind.Cancelled, new OperationCanceledException(cancellationToken));
            }
            instance.BeginCall(cancellationToken);
            return new GuestCall<TDelegate>(_runtime, instance, _function!, Name);
        }
        catch
        {
            Monitor.Exit(_runtime.Gate);
            throw;
        }
    }
}
