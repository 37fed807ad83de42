namespace Vyra.Sdk;

/// <summary>
/// Bounds a module must meet before Wasmtime compiles it. Compiling is the one step no timeout or fuel covers: a small
/// hostile module (a huge function body, thousands of locals, a hundred thousand exports) can take Cranelift many
/// seconds and gigabytes, so the host checks these on the module's bytes first (a linear scan of the section headers).
/// The defaults are far above what real plugins (C, AssemblyScript, Rust) need.
/// </summary>
public sealed class ModuleLimits
{
    /// <summary>The bounds used when the options set none.</summary>
    public static ModuleLimits Default { get; } = new();

    /// <summary>Largest module file (wasm bytes, or wat text) in bytes. Default 16 MiB.</summary>
    public long MaxModuleBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>Most functions the module defines. Default 10 000.</summary>
    public int MaxFunctions { get; init; } = 10_000;

    /// <summary>Most imports. Default 1 000.</summary>
    public int MaxImports { get; init; } = 1_000;

    /// <summary>Most exports. Default 1 000.</summary>
    public int MaxExports { get; init; } = 1_000;

    /// <summary>Largest single function body in bytes. Default 256 KiB.</summary>
    public int MaxFunctionBodyBytes { get; init; } = 256 * 1024;

    /// <summary>Most locals one function declares. Default 10 000.</summary>
    public int MaxLocalsPerFunction { get; init; } = 10_000;

    /// <summary>Most entries in any other section (types, tables, memories, globals, element and data segments). Default 10 000.</summary>
    public int MaxOtherEntries { get; init; } = 10_000;

    internal void Validate()
    {
        if (MaxModuleBytes <= 8) throw Positive(nameof(MaxModuleBytes), MaxModuleBytes);
        if (MaxFunctions < 0) throw Positive(nameof(MaxFunctions), MaxFunctions);
        if (MaxImports < 0) throw Positive(nameof(MaxImports), MaxImports);
        if (MaxExports < 0) throw Positive(nameof(MaxExports), MaxExports);
        if (MaxFunctionBodyBytes <= 0) throw Positive(nameof(MaxFunctionBodyBytes), MaxFunctionBodyBytes);
        if (MaxLocalsPerFunction < 0) throw Positive(nameof(MaxLocalsPerFunction), MaxLocalsPerFunction);
        if (MaxOtherEntries < 0) throw Positive(nameof(MaxOtherEntries), MaxOtherEntries);
    }

    private static ArgumentOutOfRangeException Positive(string name, long value) =>
        new("ModuleLimits." + name, value, $"ModuleLimits.{name} is out of range");
}
