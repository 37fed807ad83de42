using Wasmtime;

namespace Vyra.Sdk;

/// <summary>Handles one guest call of a host import; read arguments and set results through <paramref name="call"/>.</summary>
public delegate void HostImportHandler(HostCall call);

/// <summary>
/// A host function a plugin can import (from module <c>vyra</c> or <c>env</c>), with its ABI types.
/// Memory-valued arguments arrive as <c>(ptr, len)</c> pairs and are decoded by <see cref="HostCall"/>.
/// </summary>
public sealed class HostImport
{
    /// <summary>Creates an import definition.</summary>
    public HostImport(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportHandler handler)
        : this(name, parameters, results, handler, binding: null)
    {
    }

    /// <summary>An import with a typed handler (<see cref="TypedHostImport"/>); <see cref="Handler"/> runs it over untyped arguments.</summary>
    internal HostImport(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportBinding binding)
        : this(name, parameters, results, binding.Invoke, binding)
    {
        // The kernel links the binding by the import's signature: a handler whose types differ would read the guest's
        // values as the wrong types, so it is refused here, where the generated code (or a hand-written one) makes it.
        if (!binding.Parameters.AsSpan().SequenceEqual(WasmParameters) || !binding.Results.AsSpan().SequenceEqual(WasmResults))
        {
            throw new ArgumentException(
                $"host import '{name}': the typed handler takes {WasmSignature.Format(binding.Parameters, binding.Results)}, but its types lower to {WasmSignatureText}",
                nameof(binding));
        }
    }

    private HostImport(string name, IReadOnlyList<PluginValueType> parameters, IReadOnlyList<PluginValueType> results, HostImportHandler handler, HostImportBinding? binding)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(handler);
        Binding = binding;
        Name = name;
        Parameters = [.. parameters];
        Results = [.. results];
        Handler = handler;
        WasmParameters = WasmSignature.LowerParameters(Parameters);
        WasmResults = WasmSignature.LowerResults(Results);
        var slots = new int[Parameters.Count];
        for (int i = 0, slot = 0; i < slots.Length; i++)
        {
            slots[i] = slot;
            slot += Parameters[i].WasmSlots();
        }
        ParameterSlots = slots;
    }

    /// <summary>The import name, e.g. <c>host_log</c>.</summary>
    public string Name { get; }

    /// <summary>Argument types in order.</summary>
    public IReadOnlyList<PluginValueType> Parameters { get; }

    /// <summary>Result types (empty for void).</summary>
    public IReadOnlyList<PluginValueType> Results { get; }

    /// <summary>The handler.</summary>
    public HostImportHandler Handler { get; }

    /// <summary>The typed handler the kernel links instead of <see cref="Handler"/>, when the import was made with one.</summary>
    internal HostImportBinding? Binding { get; }

    internal ValueKind[] WasmParameters { get; }

    internal ValueKind[] WasmResults { get; }

    /// <summary>For each logical argument, the index of its first wasm value.</summary>
    internal int[] ParameterSlots { get; }

    /// <summary>The wasm signature the guest must import, for messages.</summary>
    public string WasmSignatureText => WasmSignature.Format(WasmParameters, WasmResults);
}
