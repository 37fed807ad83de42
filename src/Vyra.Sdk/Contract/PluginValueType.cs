using System;

namespace Vyra.Sdk;

/// <summary>A value type of the plugin ABI, as written in <c>metadata.json</c>.</summary>
// Shared as source with the generator (docs/manifest.md, "One contract"): public here, internal there.
#if VYRA_GENERATOR
internal
#else
public
#endif
enum PluginValueType
{
    /// <summary>32-bit integer (VYRA).</summary>
    I32,
    /// <summary>64-bit integer (VYRA).</summary>
    I64,
    /// <summary>32-bit float (VYRA).</summary>
    F32,
    /// <summary>64-bit float (VYRA).</summary>
    F64,
    /// <summary>Boolean, passed as an i32 0/1.</summary>
    Bool,
    /// <summary>UTF-8 text in guest memory.</summary>
    String,
    /// <summary>Raw bytes in guest memory.</summary>
    Bytes,
    /// <summary>UTF-8 JSON text in guest memory.</summary>
    Json,
}

/// <summary>Names and wasm shapes of <see cref="PluginValueType"/>.</summary>
#if VYRA_GENERATOR
internal
#else
public
#endif
static class PluginValueTypes
{
    /// <summary>Parses a manifest type name (<c>i32 i64 f32 f64 bool string bytes json</c>).</summary>
    public static bool TryParse(string? name, out PluginValueType type)
    {
        switch (name)
        {
            case "i32": type = PluginValueType.I32; return true;
            case "i64": type = PluginValueType.I64; return true;
            case "f32": type = PluginValueType.F32; return true;
            case "f64": type = PluginValueType.F64; return true;
            case "bool": type = PluginValueType.Bool; return true;
            case "string": type = PluginValueType.String; return true;
            case "bytes": type = PluginValueType.Bytes; return true;
            case "json": type = PluginValueType.Json; return true;
            default: type = default; return false;
        }
    }

    /// <summary>The manifest spelling of a type.</summary>
    public static string ToManifestName(this PluginValueType type) => type switch
    {
        PluginValueType.I32 => "i32",
        PluginValueType.I64 => "i64",
        PluginValueType.F32 => "f32",
        PluginValueType.F64 => "f64",
        PluginValueType.Bool => "bool",
        PluginValueType.String => "string",
        PluginValueType.Bytes => "bytes",
        PluginValueType.Json => "json",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>True for types that live in guest memory (string, bytes, json).</summary>
    public static bool IsMemoryValue(this PluginValueType type) =>
        type is PluginValueType.String or PluginValueType.Bytes or PluginValueType.Json;

    /// <summary>
    /// How many wasm parameters one value of this type takes: a memory value crosses as <c>(ptr: i32, len: i32)</c>
    /// (docs/abi.md), a scalar as one parameter.
    /// </summary>
    public static int WasmSlots(this PluginValueType type) => type.IsMemoryValue() ? 2 : 1;

    /// <summary>The four types upstream's schema allows for export arguments (VYRA's <c>i32 | i64 | f32 | f64</c>).</summary>
    public static bool IsUpstreamArgumentType(this PluginValueType type) =>
        type is PluginValueType.I32 or PluginValueType.I64 or PluginValueType.F32 or PluginValueType.F64;
}
