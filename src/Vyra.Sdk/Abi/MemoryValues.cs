using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vyra.Sdk;

/// <summary>
/// Converts caller values to the bytes of a memory argument and memory results back to values (DESIGN §3):
/// string → UTF-8; bytes → raw (a string is taken as base64, the way JSON carries bytes); json → the value serialized.
/// </summary>
internal static class MemoryValues
{
    public static byte[] Encode(object? value, PluginValueType type) => type switch
    {
        PluginValueType.String => Encoding.UTF8.GetBytes(AsString(value)),
        PluginValueType.Bytes => AsBytes(value),
        PluginValueType.Json => Encoding.UTF8.GetBytes(AsJson(value)),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static object? Decode(ReadOnlySpan<byte> bytes, PluginValueType type, AbiSite what)
    {
        switch (type)
        {
            case PluginValueType.Bytes:
                return bytes.ToArray();
            case PluginValueType.String:
                return Utf8(bytes, what);
            default:
                var text = Utf8(bytes, what);
                try
                {
                    return JsonNode.Parse(text);
                }
                catch (JsonException ex)
                {
                    throw new AbiViolationException($"{what}: not valid JSON ({ex.Message})");
                }
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    internal static string Utf8(ReadOnlySpan<byte> bytes, AbiSite what)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new AbiViolationException($"{what}: {bytes.Length} bytes that are not valid UTF-8");
        }
    }

    private static string AsString(object? value) => value switch
    {
        string s => s,
        char c => c.ToString(),
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        null => throw new FormatException("expected a string, got null"),
        _ => throw new FormatException($"expected a string, got {value.GetType().Name}"),
    };

    private static byte[] AsBytes(object? value) => value switch
    {
        byte[] b => b,
        ReadOnlyMemory<byte> m => m.ToArray(),
        Memory<byte> m => m.ToArray(),
        ArraySegment<byte> s => s.ToArray(),
        string s => FromBase64(s),
        JsonElement { ValueKind: JsonValueKind.String } e => FromBase64(e.GetString()!),
        JsonValue v when v.TryGetValue<string>(out var s) => FromBase64(s),
        null => throw new FormatException("expected bytes, got null"),
        _ => throw new FormatException($"expected bytes (byte[], ReadOnlyMemory<byte> or a base64 string), got {value.GetType().Name}"),
    };

    private static byte[] FromBase64(string text)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new FormatException("a string given for bytes must be base64");
        }
    }

    private static string AsJson(object? value)
    {
        switch (value)
        {
            case null: return "null";
            case JsonNode node: return node.ToJsonString();
            case JsonElement element: return element.GetRawText();
        }
        try
        {
            return JsonSerializer.Serialize(value, value.GetType());
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
        {
            throw new FormatException($"cannot serialize {value.GetType().Name} to JSON: {ex.Message}");
        }
    }
}
