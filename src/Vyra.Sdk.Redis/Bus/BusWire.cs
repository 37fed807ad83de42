using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Vyra.Sdk.Redis;

/// <summary>
/// What the interface factory's messages look like inside their signed envelope (<c>vyra1:{kid}:{mac}:{json}</c>):
/// VYRA's shapes with the fields the wire needs added at the top level. A request is <c>ui_function_call</c>'s
/// <c>{plugin_id, function_name, data}</c> plus <c>request_id</c>, <c>sender</c> and <c>deadline</c> (Unix ms); a reply
/// is its response <c>{plugin_id, success, data, error}</c> plus <c>request_id</c> and the answering <c>sender</c>. No
/// message names a key or channel: a server derives the reply channel from the authenticated sender id.
/// </summary>
internal static class BusWire
{
    public sealed record Request(ServiceRequest Body, string RequestId, string? Sender, long DeadlineUnixMs);

    public sealed record Reply(ServiceResponse Body, string RequestId, string? Sender);

    public static string SerializeRequest(ServiceRequest request, string requestId, string sender, long deadlineUnixMs) => Write(writer =>
    {
        writer.WriteString("plugin_id", request.PluginId);
        writer.WriteString("function_name", request.FunctionName);
        writer.WritePropertyName("data");
        WireJson.WriteValue(writer, request.Data);
        writer.WriteString("request_id", requestId);
        writer.WriteString("sender", sender);
        writer.WriteNumber("deadline", deadlineUnixMs);
    });

    public static string SerializeReply(ServiceResponse response, string requestId, string sender) => Write(writer =>
    {
        if (response.PluginId is null) writer.WriteNull("plugin_id");
        else writer.WriteString("plugin_id", response.PluginId);
        writer.WriteBoolean("success", response.Success);
        writer.WritePropertyName("data");
        WireJson.WriteValue(writer, response.Data);
        if (response.Error is null) writer.WriteNull("error");
        else writer.WriteString("error", response.Error);
        writer.WriteString("request_id", requestId);
        writer.WriteString("sender", sender);
    });

    /// <summary>The request in <paramref name="json"/>, or null with the reason.</summary>
    public static Request? ParseRequest(string json, int maxDepth, out string? problem)
    {
        problem = null;
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = maxDepth });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Fail("it is not a JSON object", out problem);
            if (!TryString(root, "plugin_id", out var pluginId) || pluginId.Length == 0) return Fail("plugin_id is missing", out problem);
            if (!TryString(root, "function_name", out var function)) return Fail("function_name is missing", out problem);
            if (!TryString(root, "request_id", out var requestId)) return Fail("request_id is missing", out problem);
            if (!root.TryGetProperty("deadline", out var d) || !d.TryGetInt64(out var deadline)) return Fail("deadline is missing", out problem);
            var data = root.TryGetProperty("data", out var value) ? value.Clone() : WireJson.Null;
            var sender = TryString(root, "sender", out var s) ? s : null;
            return new Request(new ServiceRequest(pluginId, function, data), requestId, sender, deadline);
        }
        catch (JsonException ex)
        {
            problem = $"it is not valid JSON ({ex.Message})";
            return null;
        }
    }

    /// <summary>The reply in <paramref name="json"/>, or null when it is not one.</summary>
    public static Reply? ParseReply(string json, int maxDepth)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = maxDepth });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            if (!TryString(root, "request_id", out var requestId)) return null;
            if (!root.TryGetProperty("success", out var success) || success.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return null;
            var pluginId = TryString(root, "plugin_id", out var p) ? p : null;
            var data = root.TryGetProperty("data", out var value) ? value.Clone() : WireJson.Null;
            var error = TryString(root, "error", out var e) ? e : null;
            var sender = TryString(root, "sender", out var s) ? s : null;
            // plugin_id is null only in a reply no plugin gave (VYRA's {"error":"timeout"} shape); the record keeps it so.
            return new Reply(new ServiceResponse(pluginId, success.ValueKind == JsonValueKind.True, data, error), requestId, sender);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A failed reply (<c>success: false</c>, <c>data: null</c>).</summary>
    public static ServiceResponse Failure(string? pluginId, string error) => new(pluginId, false, WireJson.Null, error);

    private static bool TryString(JsonElement root, string name, out string value)
    {
        if (root.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.String)
        {
            value = element.GetString()!;
            return true;
        }
        value = "";
        return false;
    }

    private static Request? Fail(string reason, out string? problem)
    {
        problem = reason;
        return null;
    }

    private static string Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
