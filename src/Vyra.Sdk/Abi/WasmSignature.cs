using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// How manifest types lower to wasm values (docs/abi.md): scalars as themselves, bool as i32,
/// memory values as an <c>(ptr: i32, len: i32)</c> pair when passed and an <c>i64</c> (ptr &lt;&lt; 32 | len) when returned;
/// and how wasm signatures are written in messages (<c>(i32, i32) -&gt; i64</c>), public so tools print them alike.
/// </summary>
internal static class WasmSignature
{
    internal static ValueKind[] LowerParameters(IEnumerable<PluginValueType> types)
    {
        var kinds = new List<ValueKind>();
        foreach (var type in types)
        {
            switch (type)
            {
                case PluginValueType.I32 or PluginValueType.Bool: kinds.Add(ValueKind.Int32); break;
                case PluginValueType.I64: kinds.Add(ValueKind.Int64); break;
                case PluginValueType.F32: kinds.Add(ValueKind.Float32); break;
                case PluginValueType.F64: kinds.Add(ValueKind.Float64); break;
                default: kinds.Add(ValueKind.Int32); kinds.Add(ValueKind.Int32); break;
            }
        }
        return [.. kinds];
    }

    internal static ValueKind[] LowerResults(IEnumerable<PluginValueType> types)
    {
        var kinds = new List<ValueKind>();
        foreach (var type in types)
        {
            kinds.Add(type switch
            {
                PluginValueType.I32 or PluginValueType.Bool => ValueKind.Int32,
                PluginValueType.F32 => ValueKind.Float32,
                PluginValueType.F64 => ValueKind.Float64,
                _ => ValueKind.Int64, // i64, and memory values packed as (ptr << 32) | len
            });
        }
        return [.. kinds];
    }

    /// <summary>The manifest type a bare wasm value kind stands for when the manifest does not say.</summary>
    internal static PluginValueType Raise(ValueKind kind) => kind switch
    {
        ValueKind.Int32 => PluginValueType.I32,
        ValueKind.Int64 => PluginValueType.I64,
        ValueKind.Float32 => PluginValueType.F32,
        ValueKind.Float64 => PluginValueType.F64,
        _ => throw new NotSupportedException($"wasm value type {Format(kind)} is not part of the plugin ABI"),
    };

    internal static bool IsPluginKind(ValueKind kind) => kind is ValueKind.Int32 or ValueKind.Int64 or ValueKind.Float32 or ValueKind.Float64;

    /// <summary>A wasm value type as the text format writes it.</summary>
    public static string Format(ValueKind kind) => kind switch
    {
        ValueKind.Int32 => "i32",
        ValueKind.Int64 => "i64",
        ValueKind.Float32 => "f32",
        ValueKind.Float64 => "f64",
        ValueKind.V128 => "v128",
        ValueKind.FuncRef => "funcref",
        ValueKind.ExternRef => "externref",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>A function signature, e.g. <c>(i32, i32) -&gt; i64</c>.</summary>
    public static string Format(IReadOnlyList<ValueKind> parameters, IReadOnlyList<ValueKind> results)
    {
        var ps = "(" + string.Join(", ", parameters.Select(Format)) + ")";
        return results.Count switch
        {
            0 => ps,
            1 => ps + " -> " + Format(results[0]),
            _ => ps + " -> (" + string.Join(", ", results.Select(Format)) + ")",
        };
    }

    internal static bool SameKinds(IReadOnlyList<ValueKind> a, IReadOnlyList<ValueKind> b) => a.SequenceEqual(b);
}
