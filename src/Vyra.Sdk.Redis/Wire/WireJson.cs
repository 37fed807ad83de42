using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Vyra.Sdk.Redis;

/// <summary>
/// Values on the wire. Call arguments and results cross Redis as JSON; they come back as the values a local runtime
/// gives: integers as <see cref="int"/> (or <see cref="long"/> when they do not fit), other numbers as
/// <see cref="double"/>, text, booleans, and — when the serving host knows the export's declared result types — the
/// exact types (<c>f32</c> → <see cref="float"/>, <c>bytes</c> → <see cref="byte"/>[], <c>json</c> → <see cref="JsonNode"/>).
/// </summary>
internal static class WireJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>JSON <c>null</c>, for a payload that is absent.</summary>
    public static readonly JsonElement Null = JsonDocument.Parse("null").RootElement.Clone();

    /// <summary><paramref name="value"/> as an immutable JSON value (a <see cref="JsonElement"/> is returned as it is).</summary>
    public static JsonElement ToElement(object? value)
    {
        if (value is JsonElement element) return element;
        if (value is null) return Null;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer)) WriteValue(writer, value);
        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    public static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); return;
            case JsonElement { ValueKind: JsonValueKind.Undefined }: writer.WriteNullValue(); return;
            case JsonElement element: element.WriteTo(writer); return;
            case JsonNode node: node.WriteTo(writer, Options); return;
            default: JsonSerializer.Serialize(writer, value, value.GetType(), Options); return;
        }
    }

    public static void WriteDictionary(Utf8JsonWriter writer, IReadOnlyDictionary<string, object?>? data)
    {
        if (data is null)
        {
            writer.WriteNullValue();
            return;
        }
        writer.WriteStartObject();
        foreach (var (key, value) in data)
        {
            writer.WritePropertyName(key);
            WriteValue(writer, value);
        }
        writer.WriteEndObject();
    }

    /// <summary>A call's arguments as the serving host hands them to its runtime: scalars as .NET values, composites as <see cref="JsonElement"/>.</summary>
    public static Dictionary<string, object?> ReadArguments(JsonElement element)
    {
        var data = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (element.ValueKind != JsonValueKind.Object) return data;
        foreach (var property in element.EnumerateObject())
        {
            data[property.Name] = property.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array
                ? property.Value.Clone()
                : Scalar(property.Value);
        }
        return data;
    }

    /// <summary>A result dictionary; <paramref name="types"/> (the export's declared result types) makes <c>result</c> exact.</summary>
    public static Dictionary<string, object?> ReadResult(JsonElement element, IReadOnlyList<PluginValueType>? types)
    {
        var data = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (element.ValueKind != JsonValueKind.Object) return data;
        foreach (var property in element.EnumerateObject())
        {
            data[property.Name] = property.Name == "result" && types is { Count: > 0 }
                ? Typed(property.Value, types)
                : Natural(property.Value);
        }
        return data;
    }

    private static object? Typed(JsonElement value, IReadOnlyList<PluginValueType> types)
    {
        if (types.Count == 1) return As(value, types[0]);
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != types.Count) return Natural(value);
        var list = new List<object?>(types.Count);
        var i = 0;
        foreach (var item in value.EnumerateArray()) list.Add(As(item, types[i++]));
        return list;
    }

    private static object? As(JsonElement value, PluginValueType type)
    {
        try
        {
            return type switch
            {
                _ when value.ValueKind == JsonValueKind.Null && type != PluginValueType.Json => null,
                PluginValueType.I32 => value.Deserialize<int>(Options),
                PluginValueType.I64 => value.Deserialize<long>(Options),
                PluginValueType.F32 => value.Deserialize<float>(Options),
                PluginValueType.F64 => value.Deserialize<double>(Options),
                PluginValueType.Bool => value.Deserialize<bool>(Options),
                PluginValueType.String => value.GetString(),
                PluginValueType.Bytes => value.GetBytesFromBase64(),
                PluginValueType.Json => JsonNode.Parse(value.GetRawText()),
                _ => Natural(value),
            };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return Natural(value);
        }
    }

    /// <summary>JSON as plain .NET values: arrays as <see cref="List{T}"/>, objects as <see cref="JsonObject"/>.</summary>
    public static object? Natural(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Array => value.EnumerateArray().Select(Natural).ToList(),
        JsonValueKind.Object => JsonNode.Parse(value.GetRawText()),
        _ => Scalar(value),
    };

    private static object? Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetInt32(out var i) => i,
        JsonValueKind.Number when value.TryGetInt64(out var l) => l,
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.String => value.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}
