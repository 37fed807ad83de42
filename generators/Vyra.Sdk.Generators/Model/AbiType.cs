namespace Vyra.Sdk.Generators.Model;

/// <summary>A value type of the plugin ABI (mirrors <c>Vyra.Sdk.PluginValueType</c>, whose member names it shares).</summary>
internal enum AbiType
{
    I32,
    I64,
    F32,
    F64,
    Bool,
    String,
    Bytes,
    Json,
}

internal static class AbiTypes
{
    public static bool TryParse(string? name, out AbiType type)
    {
        switch (name)
        {
            case "i32": type = AbiType.I32; return true;
            case "i64": type = AbiType.I64; return true;
            case "f32": type = AbiType.F32; return true;
            case "f64": type = AbiType.F64; return true;
            case "bool": type = AbiType.Bool; return true;
            case "string": type = AbiType.String; return true;
            case "bytes": type = AbiType.Bytes; return true;
            case "json": type = AbiType.Json; return true;
            default: type = default; return false;
        }
    }

    public static bool IsMemoryValue(this AbiType type) => type is AbiType.String or AbiType.Bytes or AbiType.Json;

    public static string ManifestName(this AbiType type) => type.ToString().ToLowerInvariant();
}
