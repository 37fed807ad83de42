using System.Collections.Generic;
using System.Linq;
using Vyra.Sdk.Generators.Model;

namespace Vyra.Sdk.Generators.Emit;

/// <summary>The C# and wasm-level spellings of ABI types in generated code.</summary>
internal static class TypeNames
{
    public const string JsonNode = "global::System.Text.Json.Nodes.JsonNode";
    public const string ValueType = "global::Vyra.Sdk.PluginValueType";

    /// <summary>The type callers see: <c>int</c>, <c>string</c>, <c>byte[]</c>, <c>JsonNode?</c> ...</summary>
    public static string CSharp(PluginValueType type) => type switch
    {
        PluginValueType.I32 => "int",
        PluginValueType.I64 => "long",
        PluginValueType.F32 => "float",
        PluginValueType.F64 => "double",
        PluginValueType.Bool => "bool",
        PluginValueType.String => "string",
        PluginValueType.Bytes => "byte[]",
        _ => JsonNode + "?",
    };

    /// <summary>The wasm type of a result (memory values come back packed in an i64).</summary>
    public static string WasmResult(PluginValueType type) => type switch
    {
        PluginValueType.I64 => "long",
        PluginValueType.F32 => "float",
        PluginValueType.F64 => "double",
        PluginValueType.I32 or PluginValueType.Bool => "int",
        _ => "long",
    };

    /// <summary>The wasm parameters one argument lowers to (memory values: pointer and length).</summary>
    public static IEnumerable<string> WasmParameters(PluginValueType type) => type switch
    {
        PluginValueType.I64 => new[] { "long" },
        PluginValueType.F32 => new[] { "float" },
        PluginValueType.F64 => new[] { "double" },
        PluginValueType.I32 or PluginValueType.Bool => new[] { "int" },
        _ => new[] { "int", "int" },
    };

    /// <summary><c>void</c>, the single type, or a value tuple for several results.</summary>
    public static string Return(EquatableArray<AbiType> returns) => returns.Count switch
    {
        0 => "void",
        1 => CSharp(returns[0]),
        _ => "(" + string.Join(", ", returns.Select(static r => CSharp(r))) + ")",
    };

    public static string AsyncReturn(EquatableArray<AbiType> returns) =>
        returns.Count == 0 ? "global::System.Threading.Tasks.ValueTask" : "global::System.Threading.Tasks.ValueTask<" + Return(returns) + ">";

    public static string Member(PluginValueType type) => ValueType + "." + type;
}
