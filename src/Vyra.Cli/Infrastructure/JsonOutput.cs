using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vyra.Cli.Infrastructure;

/// <summary>
/// Writes call results as JSON: numbers as numbers (NaN and infinities as the strings "NaN", "Infinity", "-Infinity"),
/// <c>byte[]</c> as base64, <see cref="JsonNode"/>/<see cref="JsonElement"/> as they are, lists as arrays,
/// dictionaries as objects.
/// </summary>
internal static class JsonOutput
{
    public static string Serialize(object? value, bool indented = false)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions
        {
            Indented = indented,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            Write(writer, value);
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case string s: writer.WriteStringValue(s); break;
            case int i: writer.WriteNumberValue(i); break;
            case long l: writer.WriteNumberValue(l); break;
            case float f when float.IsFinite(f): writer.WriteNumberValue(f); break;
            case double d when double.IsFinite(d): writer.WriteNumberValue(d); break;
            case float f: writer.WriteStringValue(NonFinite(f)); break;
            case double d: writer.WriteStringValue(NonFinite(d)); break;
            case decimal m: writer.WriteNumberValue(m); break;
            case byte[] bytes: writer.WriteBase64StringValue(bytes); break;
            case JsonNode node: node.WriteTo(writer); break;
            case JsonElement element: element.WriteTo(writer); break;
            case IReadOnlyDictionary<string, object?> map:
                writer.WriteStartObject();
                foreach (var (key, item) in map)
                {
                    writer.WritePropertyName(key);
                    Write(writer, item);
                }
                writer.WriteEndObject();
                break;
            case IDictionary dictionary:
                writer.WriteStartObject();
                foreach (DictionaryEntry entry in dictionary)
                {
                    writer.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "");
                    Write(writer, entry.Value);
                }
                writer.WriteEndObject();
                break;
            case IEnumerable items:
                writer.WriteStartArray();
                foreach (var item in items) Write(writer, item);
                writer.WriteEndArray();
                break;
            case IFormattable number when value.GetType().IsPrimitive:
                writer.WriteRawValue(number.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static string NonFinite(double d) => double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
}
