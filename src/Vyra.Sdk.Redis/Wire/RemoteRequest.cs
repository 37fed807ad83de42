using System.Buffers;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;

namespace Vyra.Sdk.Redis;

/// <summary>
/// A request as a stream entry. Field <c>request</c> holds VYRA's <c>ui_function_call</c> body
/// <c>{"plugin_id", "function_name", "data"}</c>; the other fields route and bound it: <c>request_id</c>,
/// <c>reply_to</c> (the caller's reply channel), <c>reply_key</c> (where the reply is also kept for a while),
/// <c>deadline</c> (Unix ms, 0 = none), <c>op</c> (<c>call</c> or <c>event</c>) and, when the caller asks for it,
/// <c>idempotency_key</c>.
/// </summary>
internal sealed class RemoteRequest
{
    public const string OpCall = "call";
    public const string OpEvent = "event";

    public required string RequestId { get; init; }
    public required string PluginId { get; init; }
    public required string Function { get; init; }
    public required string ReplyTo { get; init; }
    public required string ReplyKey { get; init; }
    public string Op { get; init; } = OpCall;
    public long DeadlineUnixMs { get; init; }
    public string? IdempotencyKey { get; init; }
    public Dictionary<string, object?> Data { get; init; } = new();

    public static NameValueEntry[] ToEntry(string requestId, string pluginId, string function, IReadOnlyDictionary<string, object?> data,
        string replyTo, string replyKey, string op, long deadlineUnixMs, string? idempotencyKey)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("plugin_id", pluginId);
            writer.WriteString("function_name", function);
            writer.WritePropertyName("data");
            WireJson.WriteDictionary(writer, data);
            writer.WriteEndObject();
        }
        var fields = new List<NameValueEntry>(7)
        {
            new("request", Encoding.UTF8.GetString(buffer.WrittenSpan)),
            new("request_id", requestId),
            new("reply_to", replyTo),
            new("reply_key", replyKey),
            new("deadline", deadlineUnixMs),
            new("op", op),
        };
        if (!string.IsNullOrEmpty(idempotencyKey)) fields.Add(new("idempotency_key", idempotencyKey));
        return [.. fields];
    }

    /// <summary>Reads an entry; null (with the reason) when it is not a request.</summary>
    public static RemoteRequest? FromEntry(StreamEntry entry, out string? problem)
    {
        problem = null;
        if (entry.IsNull || entry.Values is null) { problem = "the entry has no fields"; return null; }
        string? body = null, requestId = null, replyTo = null, replyKey = null, op = null, idempotency = null;
        long deadline = 0;
        foreach (var field in entry.Values)
        {
            switch ((string?)field.Name)
            {
                case "request": body = field.Value; break;
                case "request_id": requestId = field.Value; break;
                case "reply_to": replyTo = field.Value; break;
                case "reply_key": replyKey = field.Value; break;
                case "op": op = field.Value; break;
                case "idempotency_key": idempotency = field.Value; break;
                case "deadline": _ = field.Value.TryParse(out deadline); break;
            }
        }
        if (body is null || requestId is null || replyTo is null || replyKey is null)
        {
            problem = "a field (request, request_id, reply_to or reply_key) is missing";
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            var pluginId = root.TryGetProperty("plugin_id", out var p) ? p.GetString() : null;
            var function = root.TryGetProperty("function_name", out var f) ? f.GetString() : null;
            if (string.IsNullOrEmpty(pluginId) || string.IsNullOrEmpty(function))
            {
                problem = "the request names no plugin_id or function_name";
                return null;
            }
            return new RemoteRequest
            {
                RequestId = requestId,
                PluginId = pluginId,
                Function = function,
                ReplyTo = replyTo,
                ReplyKey = replyKey,
                Op = op ?? OpCall,
                DeadlineUnixMs = deadline,
                IdempotencyKey = string.IsNullOrEmpty(idempotency) ? null : idempotency,
                Data = root.TryGetProperty("data", out var d) ? WireJson.ReadArguments(d) : new(),
            };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            problem = $"the request is not valid JSON ({ex.Message})";
            return null;
        }
    }
}
