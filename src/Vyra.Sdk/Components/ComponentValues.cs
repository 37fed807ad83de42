using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vyra.Sdk.Wit;
using Wasmtime.Components;

namespace Vyra.Sdk;

/// <summary>
/// JSON-shaped call values ↔ component values, by the WIT type of each parameter and result (docs/components.md,
/// "Values"). Arguments may be .NET values or <see cref="JsonElement"/>/<see cref="JsonNode"/> (what <c>vyra call</c>
/// and the Redis server hand over). Every mismatch is a <see cref="ComponentValueException"/> naming the path inside
/// the argument (<c>point.x</c>, <c>items[3]</c>) and the type expected; nesting is bounded by the WIT type, which is finite.
/// </summary>
internal static class ComponentValues
{
    public static ComponentValue ToComponent(object? value, WitType type, string path)
    {
        if (value is JsonNode node) value = JsonSerializer.SerializeToElement(node, MemoryJsonContext.Default.JsonNode);
        if (value is JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined }) value = null;
        // `vyra call key=value` passes text: a composite written as JSON text is read as that JSON.
        if (type.Kind is WitKind.Record or WitKind.List or WitKind.Tuple or WitKind.Flags or WitKind.Result
            && Text(value) is { } json && json.TrimStart() is ['{' or '[', ..])
        {
            try
            {
                value = JsonSerializer.Deserialize(json, MemoryJsonContext.Default.JsonElement);
            }
            catch (JsonException ex)
            {
                throw new ComponentValueException(path, $"expected {type}, got text that is not valid JSON ({ex.Message})");
            }
        }
        switch (type.Kind)
        {
            case WitKind.Bool:
                return value switch
                {
                    bool b => ComponentValue.Bool(b),
                    _ when Text(value) is { } t && bool.TryParse(t.Trim(), out var parsed) => ComponentValue.Bool(parsed),
                    JsonElement { ValueKind: JsonValueKind.True } => ComponentValue.Bool(true),
                    JsonElement { ValueKind: JsonValueKind.False } => ComponentValue.Bool(false),
                    _ => throw Mismatch(path, type, value),
                };
            case WitKind.S8: return ComponentValue.S8((sbyte)Integer(value, type, path, sbyte.MinValue, sbyte.MaxValue));
            case WitKind.U8: return ComponentValue.U8((byte)Integer(value, type, path, 0, byte.MaxValue));
            case WitKind.S16: return ComponentValue.S16((short)Integer(value, type, path, short.MinValue, short.MaxValue));
            case WitKind.U16: return ComponentValue.U16((ushort)Integer(value, type, path, 0, ushort.MaxValue));
            case WitKind.S32: return ComponentValue.S32((int)Integer(value, type, path, int.MinValue, int.MaxValue));
            case WitKind.U32: return ComponentValue.U32((uint)Integer(value, type, path, 0, uint.MaxValue));
            case WitKind.S64: return ComponentValue.S64((long)Integer(value, type, path, long.MinValue, long.MaxValue));
            case WitKind.U64: return ComponentValue.U64((ulong)Integer(value, type, path, 0, ulong.MaxValue));
            case WitKind.F32: return ComponentValue.F32((float)Real(value, type, path));
            case WitKind.F64: return ComponentValue.F64(Real(value, type, path));
            case WitKind.Char:
                {
                    var text = Text(value, type, path);
                    if (text.Length == 0 || Rune.DecodeFromUtf16(text, out var rune, out var used) != System.Buffers.OperationStatus.Done || used != text.Length)
                    {
                        throw new ComponentValueException(path, $"expected char (one Unicode scalar value), got a string of {text.Length} UTF-16 units");
                    }
                    return ComponentValue.Char(rune);
                }
            case WitKind.String: return ComponentValue.String(Text(value, type, path));
            case WitKind.List:
                {
                    var items = new List<ComponentValue>();
                    var i = 0;
                    foreach (var item in Items(value, type, path)) items.Add(ToComponent(item, type.Element!, $"{path}[{i++}]"));
                    return ComponentValue.List(items);
                }
            case WitKind.Tuple:
                {
                    var values = Items(value, type, path).ToList();
                    if (values.Count != type.Items.Count) throw new ComponentValueException(path, $"expected {type} ({type.Items.Count} items), got {values.Count} items");
                    var items = new ComponentValue[values.Count];
                    for (var i = 0; i < items.Length; i++) items[i] = ToComponent(values[i], type.Items[i], $"{path}[{i}]");
                    return ComponentValue.Tuple(items);
                }
            case WitKind.Record:
                {
                    var fields = Fields(value, type, path);
                    var result = new List<KeyValuePair<string, ComponentValue>>(type.Fields.Count);
                    foreach (var field in type.Fields)
                    {
                        if (!fields.TryGetValue(field.Name, out var fieldValue)) throw new ComponentValueException(path, $"the record {type} needs the field '{field.Name}' ({field.Type})");
                        result.Add(new(field.Name, ToComponent(fieldValue, field.Type, path + "." + field.Name)));
                    }
                    foreach (var name in fields.Keys)
                    {
                        if (!type.Fields.Exists(f => f.Name == name)) throw new ComponentValueException(path, $"the record {type} has no field '{Short(name)}' (fields: {string.Join(", ", type.Fields.Select(f => f.Name))})");
                    }
                    return ComponentValue.Record(result);
                }
            case WitKind.Enum:
                {
                    var name = Text(value, type, path);
                    if (!type.Names.Contains(name)) throw new ComponentValueException(path, $"'{Short(name)}' is not a case of the enum {type} ({string.Join(", ", type.Names)})");
                    return ComponentValue.Enum(name);
                }
            case WitKind.Flags:
                {
                    var names = new List<string>();
                    foreach (var item in Items(value, type, path))
                    {
                        var name = Text(item, type, path);
                        if (!type.Names.Contains(name)) throw new ComponentValueException(path, $"'{Short(name)}' is not a flag of {type} ({string.Join(", ", type.Names)})");
                        if (!names.Contains(name)) names.Add(name);
                    }
                    return ComponentValue.Flags(names);
                }
            case WitKind.Variant:
                {
                    var (name, payload, hasPayload) = Tagged(value, type, path);
                    var @case = type.Cases.Find(c => c.Name == name)
                        ?? throw new ComponentValueException(path, $"'{Short(name)}' is not a case of the variant {type} ({string.Join(", ", type.Cases.Select(c => c.Name))})");
                    if (@case.Type is null)
                    {
                        if (hasPayload && payload is not null && payload is not JsonElement { ValueKind: JsonValueKind.Null }) throw new ComponentValueException(path, $"the case '{name}' of {type} carries no value");
                        return ComponentValue.Variant(name, null!);
                    }
                    if (!hasPayload) throw new ComponentValueException(path, $"the case '{name}' of {type} needs a value ({@case.Type}): write {{\"{name}\": value}}");
                    return ComponentValue.Variant(name, ToComponent(payload, @case.Type, $"{path}.{name}"));
                }
            case WitKind.Option:
                return value is null ? ComponentValue.None() : ComponentValue.Some(ToComponent(value, type.Element!, path));
            case WitKind.Result:
                {
                    var (name, payload, _) = Tagged(value, type, path);
                    if (name is not ("ok" or "err")) throw new ComponentValueException(path, $"expected {type} as {{\"ok\": value}} or {{\"err\": value}}, got '{Short(name)}'");
                    var payloadType = name == "ok" ? type.Ok : type.Err;
                    var inner = payloadType is null ? null : ToComponent(payload, payloadType, $"{path}.{name}");
                    return name == "ok" ? ComponentValue.Ok(inner!) : ComponentValue.Err(inner!);
                }
            default:
                throw new ComponentValueException(path, $"values of type {type} are not supported");
        }
    }

    /// <summary>A result as a JSON-shaped value: scalars as .NET values, composites as <see cref="JsonNode"/> trees (serializable anywhere).</summary>
    public static object? FromComponent(ComponentValue value, WitType type) => type.Kind switch
    {
        WitKind.Bool => value.AsBool(),
        WitKind.S8 => (object)(int)value.AsS8(),
        WitKind.U8 => (object)(int)value.AsU8(),
        WitKind.S16 => (object)(int)value.AsS16(),
        WitKind.U16 => (object)(int)value.AsU16(),
        WitKind.S32 => (object)value.AsS32(),
        WitKind.U32 => value.AsU32() <= int.MaxValue ? (object)(int)value.AsU32() : (object)(long)value.AsU32(),
        WitKind.S64 => (object)value.AsS64(),
        WitKind.U64 => (object)value.AsU64(),
        WitKind.F32 => (object)value.AsF32(),
        WitKind.F64 => (object)value.AsF64(),
        WitKind.Char => value.AsRune().ToString(),
        WitKind.String => value.AsString(),
        WitKind.Enum => value.AsEnum(),
        _ => ToNode(value, type),
    };

    private static JsonNode? ToNode(ComponentValue value, WitType type)
    {
        switch (type.Kind)
        {
            case WitKind.List:
                return new JsonArray(value.AsList().Select(v => ToNode(v, type.Element!)).ToArray());
            case WitKind.Tuple:
                {
                    var items = value.AsTuple();
                    var array = new JsonArray();
                    for (var i = 0; i < items.Count && i < type.Items.Count; i++) array.Add(ToNode(items[i], type.Items[i]));
                    return array;
                }
            case WitKind.Record:
                {
                    var result = new JsonObject();
                    foreach (var field in type.Fields) result[field.Name] = ToNode(value.Field(field.Name), field.Type);
                    return result;
                }
            case WitKind.Flags:
                return new JsonArray(value.AsFlags().Select(f => (JsonNode?)JsonValue.Create(f)).ToArray());
            case WitKind.Variant:
                {
                    var name = value.AsVariant();
                    var @case = type.Cases.Find(c => c.Name == name);
                    if (@case?.Type is null || value.Payload is null) return JsonValue.Create(name);
                    return new JsonObject { [name] = ToNode(value.Payload, @case.Type) };
                }
            case WitKind.Option:
                return value.IsSome && value.Payload is { } some ? ToNode(some, type.Element!) : null;
            case WitKind.Result:
                {
                    var ok = value.IsOk;
                    var payloadType = ok ? type.Ok : type.Err;
                    return new JsonObject { [ok ? "ok" : "err"] = payloadType is null || value.Payload is null ? null : ToNode(value.Payload, payloadType) };
                }
            case WitKind.Bool: return JsonValue.Create(value.AsBool());
            case WitKind.S8: return JsonValue.Create((int)value.AsS8());
            case WitKind.U8: return JsonValue.Create((int)value.AsU8());
            case WitKind.S16: return JsonValue.Create((int)value.AsS16());
            case WitKind.U16: return JsonValue.Create((int)value.AsU16());
            case WitKind.S32: return JsonValue.Create(value.AsS32());
            case WitKind.U32: return JsonValue.Create((long)value.AsU32());
            case WitKind.S64: return JsonValue.Create(value.AsS64());
            case WitKind.U64: return JsonValue.Create(value.AsU64());
            case WitKind.F32: return JsonValue.Create(value.AsF32());
            case WitKind.F64: return JsonValue.Create(value.AsF64());
            case WitKind.Char: return JsonValue.Create(value.AsRune().ToString());
            case WitKind.String: return JsonValue.Create(value.AsString());
            case WitKind.Enum: return JsonValue.Create(value.AsEnum());
            default: return null;
        }
    }

    private static decimal Integer(object? value, WitType type, string path, decimal min, decimal max)
    {
        decimal? number = value switch
        {
            sbyte or byte or short or ushort or int or uint or long or ulong => Convert.ToDecimal(value, CultureInfo.InvariantCulture),
            double d when double.IsFinite(d) && Math.Abs(d) < 1e20 && d == Math.Floor(d) => (decimal)d,
            float f when float.IsFinite(f) && Math.Abs(f) < 1e20f && f == MathF.Floor(f) => (decimal)f,
            decimal m when m == decimal.Truncate(m) => m,
            JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetDecimal(out var m) && m == decimal.Truncate(m) => m,
            // Text holding an integer (what `vyra call key=value` passes); at most 40 characters, so parsing stays cheap.
            _ when Text(value) is { Length: <= 40 } t && decimal.TryParse(t.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var m) => m,
            _ => null,
        };
        if (number is null) throw Mismatch(path, type, value);
        if (number < min || number > max) throw new ComponentValueException(path, $"{number} is out of range for {type} ({min}..{max})");
        return number.Value;
    }

    private static double Real(object? value, WitType type, string path) => value switch
    {
        sbyte or byte or short or ushort or int or uint or long or ulong or float or double or decimal => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        JsonElement { ValueKind: JsonValueKind.Number } e => e.GetDouble(),
        _ when Text(value) is { Length: <= 64 } t && double.TryParse(t.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => throw Mismatch(path, type, value),
    };

    private static string? Text(object? value) => value switch
    {
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
        _ => null,
    };

    private static string Text(object? value, WitType type, string path) => value switch
    {
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
        _ => throw Mismatch(path, type, value),
    };

    private static IEnumerable<object?> Items(object? value, WitType type, string path)
    {
        switch (value)
        {
            case JsonElement { ValueKind: JsonValueKind.Array } e:
                return e.EnumerateArray().Select(x => (object?)x);
            case string or IDictionary or null or JsonElement:
                throw Mismatch(path, type, value);
            case IEnumerable list:
                return list.Cast<object?>();
            default:
                throw Mismatch(path, type, value);
        }
    }

    private static Dictionary<string, object?> Fields(object? value, WitType type, string path)
    {
        var fields = new Dictionary<string, object?>(StringComparer.Ordinal);
        switch (value)
        {
            case JsonElement { ValueKind: JsonValueKind.Object } e:
                foreach (var p in e.EnumerateObject()) fields[p.Name] = p.Value;
                return fields;
            case IReadOnlyDictionary<string, object?> d:
                foreach (var (k, v) in d) fields[k] = v;
                return fields;
            case IDictionary d:
                foreach (DictionaryEntry entry in d)
                {
                    if (entry.Key is string k) fields[k] = entry.Value;
                }
                return fields;
            default:
                throw Mismatch(path, type, value);
        }
    }

    /// <summary>A case: its name as a string (no payload), or a one-key object <c>{"name": payload}</c>.</summary>
    private static (string Name, object? Payload, bool HasPayload) Tagged(object? value, WitType type, string path)
    {
        if (value is string || value is JsonElement { ValueKind: JsonValueKind.String }) return (Text(value, type, path), null, false);
        var fields = value is null ? null : Fields(value, type, path);
        if (fields is null || fields.Count != 1)
        {
            throw new ComponentValueException(path, $"expected {type} as a case name or a one-key object {{\"case\": value}}, got {Describe(value)}");
        }
        var only = fields.First();
        return (only.Key, only.Value, true);
    }

    private static ComponentValueException Mismatch(string path, WitType type, object? value) =>
        new(path, $"expected {type}, got {Describe(value)}");

    private static string Describe(object? value) => value switch
    {
        null => "null",
        JsonElement e => e.ValueKind switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "the number " + Short(e.GetRawText()),
            JsonValueKind.Array => "an array",
            JsonValueKind.Object => "an object",
            _ => e.ValueKind.ToString().ToLowerInvariant(),
        },
        string => "a string",
        bool b => b ? "true" : "false",
        IDictionary or IReadOnlyDictionary<string, object?> => "an object",
        IEnumerable => "a list",
        _ when value.GetType().IsPrimitive || value is decimal => "the number " + Short(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
        _ => "a " + value.GetType().Name,
    };

    private static string Short(string text) => text.Length <= 40 ? text : text[..40] + "…";
}

/// <summary>A call value that does not fit its WIT type: <see cref="Path"/> names where (the argument, then fields and indexes).</summary>
internal sealed class ComponentValueException(string path, string reason) : Exception($"argument '{path}': {reason}")
{
    public string Path { get; } = path;
}
