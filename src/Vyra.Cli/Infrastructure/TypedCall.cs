using Vyra.Sdk;
using Wasmtime;

namespace Vyra.Cli.Infrastructure;

/// <summary>
/// The typed call path for <c>vyra bench --typed</c> (and the typed row of <c>--compare</c>): the export is bound once per
/// instance to a Wasmtime typed delegate through <see cref="WasmRuntime.GetTypedExport{TDelegate}"/>, and a compiled
/// invoker passes the pre-coerced arguments (<see cref="ScalarCall"/>), as a generated proxy would.
/// </summary>
internal static class TypedCall
{
    public static Func<CancellationToken, ValueTask> Create(WasmRuntime runtime, PluginLocation location, string function, IReadOnlyDictionary<string, object?> data,
        string flag = "--typed", string instead = "drop --typed to use CallAsync")
    {
        FunctionExport export;
        using (var module = WasmModuleInfo.Load(location.ModulePath))
        {
            export = module.FindFunction(function)
                ?? throw new PluginCallException(runtime.PluginId, function, "the module exports no such function", PluginErrorKind.UnknownFunction);
        }
        var scalar = ScalarCall.Prepare(runtime.PluginId, runtime.Manifest, export, data, flag, instead);
        var invoke = scalar.Invoke;
        var typed = runtime.GetTypedExport<Delegate>(function, scalar.Bind);
        return cancellationToken =>
        {
            using var call = typed.Enter(cancellationToken);
            try
            {
                invoke(call.Function);
            }
            catch (Exception ex)
            {
                throw call.Fail(ex);
            }
            return ValueTask.CompletedTask;
        };
    }
}
