using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Vyra.Sdk.Redis;

/// <summary>
/// A reply as it crosses Redis: VYRA's <c>ui_function_call</c> response <c>{"plugin_id", "success", "data", "error"}</c>
/// plus <c>kind</c> (the <see cref="PluginErrorKind"/> name of a failure), <c>request_id</c>, <c>served_by</c> (the
/// answering host), <c>sender</c> (the answering host's wire identity, which its signing key must allow) and, when the
/// host knows them, <c>types</c> (the export's declared result types). On the wire it is wrapped by
/// <see cref="WireSigner.Wrap"/> with the recipient's sender id in the MAC, so a reply cannot be forged or redirected.
/// </summary>
internal sealed class RemoteReply
{
    public required string RequestId { get; init; }
    public required string PluginId { get; init; }
    public bool Success { get; init; }
    public string? Error { get; init; }
    public string? Kind { get; init; }
    public string? ServedBy { get; init; }
    public string? Sender { get; init; }
    public IReadOnlyList<PluginValueType>? Types { get; init; }

    /// <summary>The result dictionary (success) as raw JSON, or null.</summary>
    public JsonElement? Data { get; init; }

    public static string Serialize(string requestId, string pluginId, bool success, IReadOnlyDictionary<string, object?>? data,
        string? error, PluginErrorKind? kind, string servedBy, string sender, IReadOnlyList<PluginValueType>? types)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("plugin_id", pluginId);
            writer.WriteBoolean("success", success);
            writer.WritePropertyName("data");
            WireJson.WriteDictionary(writer, success ? data ?? new Dictionary<string, object?>() : null);
            if (error is null) writer.WriteNull("error");
            else writer.WriteString("error", error);
            if (kind is null) writer.WriteNull("kind");
            else writer.WriteString("kind", kind.Value.ToString());
            writer.WriteString("request_id", requestId);
            writer.WriteString("served_by", servedBy);
            writer.WriteString("sender", sender);
            if (types is { Count: > 0 })
            {
                writer.WriteStartArray("types");
                foreach (var type in types) writer.WriteStringValue(type.ToManifestName());
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Parses a reply; null when the text is not one.</summary>
    public static RemoteReply? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("request_id", out var id) || id.ValueKind != JsonValueKind.String) return null;
            List<PluginValueType>? types = null;
            if (root.TryGetProperty("types", out var t) && t.ValueKind == JsonValueKind.Array)
            {
                types = [];
                foreach (var item in t.EnumerateArray())
                {
                    if (!PluginValueTypes.TryParse(item.GetString(), out var type)) { types = null; break; }
                    types.Add(type);
                }
            }
            return new RemoteReply
            {
                RequestId = id.GetString()!,
                PluginId = String(root, "plugin_id") ?? "",
                Success = root.TryGetProperty("success", out var s) && s.ValueKind == JsonValueKind.True,
                Error = String(root, "error"),
                Kind = String(root, "kind"),
                ServedBy = String(root, "served_by"),
                Sender = String(root, "sender"),
                Types = types,
                Data = root.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? d.Clone() : null,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The same reply for another request (an idempotent retry answered from the cache), now from the answering host:
    /// it signs the reply, so the reply names it as sender (a key bound to host A may not vouch for host B).
    /// </summary>
    public static string Readdress(string cachedReply, string requestId, string servedBy, string sender)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(cachedReply)!.AsObject();
        node["request_id"] = requestId;
        node["served_by"] = servedBy;
        node["sender"] = sender;
        return node.ToJsonString();
    }

    public PluginErrorKind ErrorKind => Enum.TryParse<PluginErrorKind>(Kind, ignoreCase: false, out var kind) ? kind : PluginErrorKind.Trap;

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
