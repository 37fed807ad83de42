using Microsoft.CodeAnalysis.CSharp;
using Vyra.Sdk.Generators.Model;

namespace Vyra.Sdk.Generators.Emit;

/// <summary>Renders a checked state default (<see cref="StateDefault"/>) as the C# initializer of its property.</summary>
internal static class StateDefaultLiterals
{
    public static string Render(PluginValueType type, StateDefault value)
    {
        var text = value.Text;
        return type switch
        {
            PluginValueType.I32 => text ?? "0",
            PluginValueType.I64 => (text ?? "0") + "L",
            PluginValueType.F32 => text is null ? "0f" : text + "f",
            PluginValueType.F64 => text is null ? "0d" : text + "d",
            PluginValueType.Bool => text == "true" ? "true" : "false",
            PluginValueType.String => text is null ? "\"\"" : Literal(text),
            PluginValueType.Bytes => text is null ? "global::System.Array.Empty<byte>()" : "global::System.Convert.FromBase64String(" + Literal(text) + ")",
            _ => text is null ? "null" : "global::System.Text.Json.Nodes.JsonNode.Parse(" + Literal(text) + ")",
        };
    }

    private static string Literal(string text) => SymbolDisplay.FormatLiteral(text, quote: true);
}
