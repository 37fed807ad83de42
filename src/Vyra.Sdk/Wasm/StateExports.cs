using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// The optional state exports (docs/abi.md, "Lifecycle exports"): <c>vyra_snapshot() -&gt; i64</c> returns the plugin's
/// state as a memory value <c>(ptr &lt;&lt; 32) | len</c>, <c>vyra_restore(ptr: i32, len: i32)</c> takes it back. The
/// bytes are the plugin's own format: the host only carries them, capped like any memory value. Both run under the
/// instance's limits (timeout, fuel, memory) like a call, on an instance the caller has leased.
/// </summary>
internal static class StateExports
{
    public const string Snapshot = "vyra_snapshot";
    public const string Restore = "vyra_restore";

    /// <summary>Why <paramref name="module"/> cannot give its state, or null when it can.</summary>
    public static string? WhyNoSnapshot(Module module) => Why(module, Snapshot, [], [ValueKind.Int64], "() -> i64");

    /// <summary>Why <paramref name="module"/> cannot take a state, or null when it can.</summary>
    public static string? WhyNoRestore(Module module) => Why(module, Restore, [ValueKind.Int32, ValueKind.Int32], [], "(i32, i32)");

    private static string? Why(Module module, string name, ValueKind[] parameters, ValueKind[] results, string expected)
    {
        var function = module.Exports.OfType<FunctionExport>().FirstOrDefault(f => f.Name == name);
        if (function is null) return $"exports no {name}";
        if (!function.Parameters.SequenceEqual(parameters) || !function.Results.SequenceEqual(results))
        {
            return $"exports {name} as {WasmSignature.Format(function.Parameters, function.Results)}, not {expected}";
        }
        return null;
    }

    /// <summary>Runs <c>vyra_snapshot</c> on a leased instance and copies the state out.</summary>
    public static byte[] TakeSnapshot(WasmRuntime runtime, WasmInstance instance) => Run(runtime, instance, Snapshot, () =>
    {
        var snapshot = instance.Instance.GetFunction(Snapshot)!.WrapFunc<long>()!;
        return (byte[])instance.ReadResult(snapshot(), PluginValueType.Bytes, AbiSite.Result(Snapshot))!;
    });

    /// <summary>Copies <paramref name="state"/> into a leased instance and runs <c>vyra_restore</c>.</summary>
    public static void RestoreInto(WasmRuntime runtime, WasmInstance instance, ReadOnlyMemory<byte> state) => Run(runtime, instance, Restore, () =>
    {
        var restore = instance.Instance.GetFunction(Restore)!.WrapAction<int, int>()!;
        var (pointer, length) = instance.WriteArgument(state.Span, AbiSite.Argument("state"));
        restore(pointer, length);
        return true;
    });

    /// <summary>
    /// One state call under the instance's limits. The instance's frame is entered, so a host function that calls back
    /// into the runtime is refused as re-entrant instead of waiting for the lease this call holds.
    /// </summary>
    private static T Run<T>(WasmRuntime runtime, WasmInstance instance, string function, Func<T> body)
    {
        instance.Frame.Enter(runtime, CallFrame.Current);
        instance.BeginCall(CancellationToken.None);
        try
        {
            return body();
        }
        catch (Exception ex) when (ex is not PluginCallException)
        {
            throw GuestFailure.ToCallException(runtime.PluginId, function, ex, instance);
        }
        finally
        {
            instance.EndCall();
            instance.Frame.Exit();
        }
    }
}
