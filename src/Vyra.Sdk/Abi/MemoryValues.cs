using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vyra.Sdk;

/// <summary>
/// Converts caller values to the bytes of a memory argument and memory results back to values (docs/abi.md):
/// string → UTF-8; bytes → raw (a string is taken as base64, the way JSON carries bytes); json → the value serialized.
/// </summary>
internal static class MemoryValues
{
    public static byte[] Encode(object? value, PluginValueType type) => type switch
    {
        PluginValueType.String => ToUtf8(AsString(value)),
        PluginValueType.Bytes => AsBytes(value),
        PluginValueType.Json => ToUtf8(AsJson(value)),
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

    /// <summary>UTF-8 that refuses what is not valid (a lone surrogate, bytes that are not UTF-8) instead of replacing it.</summary>
    internal static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>UTF-8 of text that must be valid: a lone surrogate is refused, not silently replaced.</summary>
    private static byte[] ToUtf8(string text)
    {
        try
        {
            return StrictUtf8.GetBytes(text);
        }
        catch (EncoderFallbackException ex)
        {
            throw NotUnicode(ex);
        }
    }

    /// <summary>What a string argument with a lone surrogate fails with (its encoding by <see cref="StrictUtf8"/> threw <paramref name="ex"/>).</summary>
    internal static FormatException NotUnicode(EncoderFallbackException ex) => new($"the text is not valid Unicode (a lone surrogate at index {ex.Index})");

    /// <summary>The text of a JSON string, or a <see cref="FormatException"/> when it is not valid (bad UTF-8, a lone surrogate escape).</summary>
    internal static string JsonText(JsonElement element)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            throw new FormatException($"the JSON string is not valid text: {ex.Message}");
        }
    }

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
        JsonElement { ValueKind: JsonValueKind.String } e => JsonText(e),
        JsonValue v when v.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.String => JsonText(e),
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
        JsonElement { ValueKind: JsonValueKind.String } e => FromBase64(JsonText(e)),
        JsonValue v when v.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.String => FromBase64(JsonText(e)),
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

    /// <summary>
    /// Any other type (a record, an anonymous object) the way System.Text.Json serializes it by reflection. Reached only
    /// while reflection-based serialization is on: trimmed and NativeAOT publishes turn the
    /// System.Text.Json.JsonSerializer.IsReflectionEnabledByDefault switch off, and the trimmer then removes this
    /// branch, so the warnings below describe code that a trimmed app does not contain.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Guarded by JsonSerializer.IsReflectionEnabledByDefault, which is false when trimming.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "Guarded by JsonSerializer.IsReflectionEnabledByDefault, which is false under NativeAOT.")]
    private static string SerializeByReflection(object value) => JsonSerializer.Serialize(value, value.GetType());

    private static string AsJson(object? value)
    {
        switch (value)
        {
            case null: return "null";
        }
        try
        {
            return value switch
            {
                JsonNode node => node.ToJsonString(),
                JsonElement element => element.GetRawText(),
                _ when MemoryJsonContext.Default.GetTypeInfo(value.GetType()) is { } info => JsonSerializer.Serialize(value, info),
                _ when JsonSerializer.IsReflectionEnabledByDefault => SerializeByReflection(value),
                _ => throw new FormatException($"cannot serialize {value.GetType().Name} to JSON without reflection (a trimmed or NativeAOT app): pass a JsonNode, a JsonElement, a number, string or bool, or a Dictionary<string, object?> or List<object?> of them"),
            };
        }
        catch (InvalidOperationException ex) when (value is JsonNode or JsonElement)
        {
            throw new FormatException($"the JSON value holds text that is not valid: {ex.Message}");
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException)
        {
            throw new FormatException($"cannot serialize {value.GetType().Name} to JSON: {ex.Message}");
        }
    }
}
