using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// The dictionary call codec (<c>CallAsync</c>, <c>OnEventAsync</c>, <c>init</c>): arguments taken by name and coerced
/// the way the Python runtime did, memory values copied in, the untyped invoke, results decoded into
/// <c>{"result": ...}</c>.
/// </summary>
public sealed partial class WasmRuntime
{
    private Func<object?, IReadOnlyDictionary<string, object?>, ValueTask>? _notifyResultStep;

    /// <summary>
    /// <see cref="PluginRuntime.NotifyResultAsync"/> as the guest work's after step (the state is the function's name):
    /// one delegate per runtime, so a call allocates nothing for it.
    /// </summary>
    private Func<object?, IReadOnlyDictionary<string, object?>, ValueTask> NotifyResultStep =>
        _notifyResultStep ??= (function, result) => NotifyResultAsync((string)function!, result);

    /// <inheritdoc />
    /// <remarks>
    /// The notification runs on the guest thread that ran the call, once the lease and the guest slot are back and
    /// outside the call's frame (so the host may call this runtime from it), before the task completes: a caller
    /// blocked on the task is woken by that thread, as without a host, instead of through a pool thread. A notification
    /// that completes asynchronously frees the thread at once; the task completes when the notification does. While
    /// the thread runs it, calls handed to the runtime's workers get another thread (GuestWorkers.StepAway).
    /// </remarks>
    private protected override ValueTask<IReadOnlyDictionary<string, object?>> InvokeNotifyingAsync(string function, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken) =>
        InvokeAsync(function, data, cancellationToken, notify: true);

    /// <summary>A call's arguments, coerced and encoded before the instance is leased and the limits armed.</summary>
    private readonly record struct PreparedArguments(ValueBox[] Values, byte[]?[]? MemoryValues);

    /// <summary>
    /// Coerces the arguments by name (VYRA: missing is 0, extra is ignored) and encodes memory values. Runs before the
    /// lease, so host-side work (JSON serialization, first-use JIT) neither holds the instance nor eats the guest's timeout.
    /// </summary>
    private PreparedArguments Prepare(ExportSpec export, IReadOnlyDictionary<string, object?> data)
    {
        var values = new ValueBox[export.WasmParameterCount];
        byte[]?[]? memory = null;
        var slot = 0;
        foreach (var arg in export.Args)
        {
            var present = data.TryGetValue(arg.Name, out var value);
            try
            {
                switch (arg.Type)
                {
                    case PluginValueType.I32: values[slot++] = present ? ScalarCoercion.ToInt32(value) : 0; break;
                    case PluginValueType.I64: values[slot++] = present ? ScalarCoercion.ToInt64(value) : 0L; break;
                    case PluginValueType.F32: values[slot++] = present ? (float)ScalarCoercion.ToDouble(value) : 0f; break;
                    case PluginValueType.F64: values[slot++] = present ? ScalarCoercion.ToDouble(value) : 0d; break;
                    case PluginValueType.Bool: values[slot++] = present && ScalarCoercion.ToBoolean(value) ? 1 : 0; break;
                    default:
                        memory ??= new byte[]?[values.Length];
                        memory[slot] = present ? MemoryValues.Encode(value, arg.Type) : MissingMemoryValue(arg.Type);
                        slot += 2;
                        break;
                }
            }
            catch (Exception ex) when (ex is not PluginCallException)
            {
                // Whatever a caller's value throws while it is coerced or encoded is that argument's fault.
                throw new PluginCallException(PluginId, export.Name, $"argument '{arg.Name}' ({arg.Type.ToManifestName()}): {ex.Message}", PluginErrorKind.InvalidArgument, ex);
            }
        }
        return new PreparedArguments(values, memory);
    }

    /// <summary>The dictionary call path on a leased instance: copy memory values in, invoke, decode results.</summary>
    private IReadOnlyDictionary<string, object?> Invoke(InstanceSlots? slots, WasmInstance instance, ExportSpec export, PreparedArguments prepared, CancellationToken cancellationToken, long waitedMs = 0)
    {
        if (cancellationToken.IsCancellationRequested) throw Cancelled(export.Name, cancellationToken);
        var arguments = prepared.Values;
        instance.BeginCall(cancellationToken, waitedMs);
        try
        {
            if (prepared.MemoryValues is { } memory)
            {
                for (var slot = 0; slot < memory.Length; slot++)
                {
                    if (memory[slot] is not { } bytes) continue;
                    var (pointer, length) = instance.WriteArgument(bytes, AbiSite.Argument(ArgumentAt(export, slot)));
                    arguments[slot] = pointer;
                    arguments[slot + 1] = length;
                }
            }
            var raw = instance.GetFunction(export.Name).Invoke(arguments);
            return DecodeResults(instance, export, raw);
        }
        catch (Exception ex)
        {
            // During start (no slots yet) a failure just fails the start.
            throw slots is null ? GuestFailure.ToCallException(PluginId, export.Name, ex, instance) : Fail(slots, export.Name, ex, instance);
        }
        finally
        {
            instance.EndCall();
        }
    }

    private static string ArgumentAt(ExportSpec export, int wasmSlot)
    {
        var slot = 0;
        foreach (var arg in export.Args)
        {
            if (slot == wasmSlot) return arg.Name;
            slot += arg.Type.WasmSlots();
        }
        return wasmSlot.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static byte[] MissingMemoryValue(PluginValueType type) => type == PluginValueType.Json ? "null"u8.ToArray() : [];

    private static IReadOnlyDictionary<string, object?> DecodeResults(WasmInstance instance, ExportSpec export, object? raw)
    {
        var returns = export.Returns;
        if (returns.Count == 0) return new Dictionary<string, object?>();
        if (returns.Count == 1) return new Dictionary<string, object?> { ["result"] = DecodeResult(instance, export, raw, returns[0]) };
        var values = (object?[])raw!;
        var list = new List<object?>(values.Length);
        for (var i = 0; i < values.Length; i++) list.Add(DecodeResult(instance, export, values[i], returns[i]));
        return new Dictionary<string, object?> { ["result"] = list };
    }

    private static object? DecodeResult(WasmInstance instance, ExportSpec export, object? raw, PluginValueType type) => type switch
    {
        PluginValueType.I32 => (int)raw!,
        PluginValueType.I64 => (long)raw!,
        PluginValueType.F32 => (float)raw!,
        PluginValueType.F64 => (double)raw!,
        PluginValueType.Bool => (int)raw! != 0,
        _ => instance.ReadResult((long)raw!, type, AbiSite.Result(export.Name)),
    };
}
