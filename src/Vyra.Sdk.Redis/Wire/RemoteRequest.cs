using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;

namespace Vyra.Sdk.Redis;

/// <summary>
/// A request as a stream entry. Field <c>request</c> holds VYRA's <c>ui_function_call</c> body
/// <c>{"plugin_id", "function_name", "data"}</c>; the other fields identify and bound it: <c>sender</c> (the caller's
/// id), <c>request_id</c>, <c>op</c> (<c>call</c> or <c>event</c>), <c>deadline</c> (Unix ms), when asked
/// <c>idempotency_key</c>, and <c>kid</c> + <c>mac</c> (see <see cref="WireSigner"/>) over all of them. There is no
/// reply field: the serving host derives where to answer from <c>sender</c> and <c>request_id</c>.
/// A request is read in two steps: <see cref="Envelope.Read"/> takes the fields without parsing anything (sizes known,
/// MAC checkable), <see cref="Envelope.Parse"/> parses the body only after that.
/// </summary>
internal sealed class RemoteRequest
{
    public const string OpCall = "call";
    public const string OpEvent = "event";

    /// <summary>The longest routing field (all but the body); an idempotency key is at most <see cref="MaxIdempotencyKeyLength"/> characters.</summary>
    public const int MaxFieldLength = 1024;

    public const int MaxIdempotencyKeyLength = 256;

    public required Envelope Raw { get; init; }
    public required string PluginId { get; init; }
    public required string Function { get; init; }
    public Dictionary<string, object?> Data { get; init; } = new();

    /// <summary>SHA-256 of the arguments with top-level names in ordinal order: what an idempotency key is bound to (empty without a key).</summary>
    public required string ArgumentsHash { get; init; }

    public string Sender => Raw.Sender;
    public string RequestId => Raw.RequestId;
    public string Op => Raw.Op;
    public long DeadlineUnixMs => Raw.DeadlineUnixMs;
    public string? IdempotencyKey => Raw.IdempotencyKey;

    /// <summary>The body as sent (its size is what <c>MaxRequestBytes</c> bounds).</summary>
    public static byte[] Body(string pluginId, string function, IReadOnlyDictionary<string, object?> data)
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
        return buffer.WrittenSpan.ToArray();
    }

    public static NameValueEntry[] ToEntry(WireSigner signer, string prefix, string requestId, byte[] body, string op, long deadlineUnixMs, string? idempotencyKey)
    {
        var deadline = deadlineUnixMs.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (keyId, mac) = signer.Sign(WireSigner.KindRequest, prefix, Parts(signer.SenderId, requestId, op, deadline, idempotencyKey ?? "", body));
        var fields = new List<NameValueEntry>(8)
        {
            new("request", body),
            new("request_id", requestId),
            new("sender", signer.SenderId),
            new("deadline", deadline),
            new("op", op),
        };
        if (!string.IsNullOrEmpty(idempotencyKey)) fields.Add(new("idempotency_key", idempotencyKey));
        if (keyId is not null)
        {
            fields.Add(new("kid", keyId));
            fields.Add(new("mac", mac));
        }
        return [.. fields];
    }

    private static ReadOnlyMemory<byte>[] Parts(string sender, string requestId, string op, string deadline, string idempotencyKey, ReadOnlyMemory<byte> body) =>
    [
        Encoding.UTF8.GetBytes(sender), Encoding.UTF8.GetBytes(requestId), Encoding.UTF8.GetBytes(op),
        Encoding.UTF8.GetBytes(deadline), Encoding.UTF8.GetBytes(idempotencyKey), body,
    ];

    /// <summary>An entry's fields, unparsed.</summary>
    internal sealed class Envelope
    {
        public required string Sender { get; init; }
        public required string RequestId { get; init; }
        public required string Op { get; init; }
        public required string DeadlineText { get; init; }
        public long DeadlineUnixMs { get; init; }
        public string? IdempotencyKey { get; init; }
        public required ReadOnlyMemory<byte> Body { get; init; }
        public string? KeyId { get; init; }
        public string? Mac { get; init; }

        /// <summary>The bytes of all fields.</summary>
        public long Size { get; init; }

        /// <summary>The fields of <paramref name="entry"/>; null (with the reason) when one it needs is missing.</summary>
        public static Envelope? Read(StreamEntry entry, out string? problem)
        {
            problem = null;
            if (entry.IsNull || entry.Values is null) { problem = "the entry has no fields"; return null; }
            string? sender = null, requestId = null, op = null, deadline = null, idempotency = null, keyId = null, mac = null, tooLong = null;
            ReadOnlyMemory<byte>? body = null;
            long size = 0;
            foreach (var field in entry.Values)
            {
                size += field.Name.Length() + field.Value.Length();
                if (field.Name.Length() > 32) continue; // no field of ours has a long name: do not even decode it
                // Only the small fields become strings; the body stays bytes until its size and MAC are checked.
                switch ((string?)field.Name)
                {
                    case "request": body = (ReadOnlyMemory<byte>)field.Value; break;
                    case "request_id": requestId = Small(field.Value, "request_id", ref tooLong); break;
                    case "sender": sender = Small(field.Value, "sender", ref tooLong); break;
                    case "op": op = Small(field.Value, "op", ref tooLong); break;
                    case "deadline": deadline = Small(field.Value, "deadline", ref tooLong); break;
                    case "idempotency_key": idempotency = Small(field.Value, "idempotency_key", ref tooLong); break;
                    case "kid": keyId = Small(field.Value, "kid", ref tooLong); break;
                    case "mac": mac = Small(field.Value, "mac", ref tooLong); break;
                }
            }
            if (tooLong is not null)
            {
                problem = $"the field '{tooLong}' is longer than {MaxFieldLength} bytes";
                return null;
            }
            if (body is null || sender is null || requestId is null || deadline is null)
            {
                problem = "a field (request, request_id, sender or deadline) is missing";
                return null;
            }
            return new Envelope
            {
                Sender = sender,
                RequestId = requestId,
                Op = op ?? OpCall,
                DeadlineText = deadline,
                DeadlineUnixMs = long.TryParse(deadline, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : -1,
                IdempotencyKey = string.IsNullOrEmpty(idempotency) ? null : idempotency,
                Body = body.Value,
                KeyId = keyId,
                Mac = mac,
                Size = size,
            };
        }

        // A routing field is never long; a long one is not turned into a string at all.
        private static string? Small(RedisValue value, string name, ref string? tooLong)
        {
            if (value.Length() <= MaxFieldLength) return value;
            tooLong ??= name;
            return null;
        }

        public bool Verify(WireSigner signer, string prefix, out RedisWireKey? key, out string? problem) =>
            signer.Verify(WireSigner.KindRequest, prefix, KeyId, Mac, out key, out problem,
                Parts(Sender, RequestId, Op, DeadlineText, IdempotencyKey ?? "", Body));

        /// <summary>The body, parsed with a nesting limit; null (with the reason) when it is not a request.</summary>
        public RemoteRequest? Parse(int maxDepth, out string? problem)
        {
            problem = null;
            try
            {
                using var doc = JsonDocument.Parse(Body, new JsonDocumentOptions { MaxDepth = maxDepth });
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) { problem = "the request body is not a JSON object"; return null; }
                var pluginId = root.TryGetProperty("plugin_id", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
                var function = root.TryGetProperty("function_name", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
                if (string.IsNullOrEmpty(pluginId) || string.IsNullOrEmpty(function))
                {
                    problem = "the request names no plugin_id or function_name";
                    return null;
                }
                var data = root.TryGetProperty("data", out var d) ? d : default;
                if (data.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined or JsonValueKind.Null))
                {
                    problem = "the request's data is not a JSON object";
                    return null;
                }
                return new RemoteRequest
                {
                    Raw = this,
                    PluginId = pluginId,
                    Function = function,
                    Data = WireJson.ReadArguments(data),
                    // Only a call with an idempotency key is bound to its arguments; the hash is not paid for otherwise.
                    ArgumentsHash = IdempotencyKey is null ? "" : HashArguments(data),
                };
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
            {
                problem = $"the request is not valid JSON within {maxDepth} levels of nesting ({ex.Message})";
                return null;
            }
        }
    }

    private static string HashArguments(JsonElement data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (data.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in data.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                var name = Encoding.UTF8.GetBytes(property.Name);
                var value = Encoding.UTF8.GetBytes(property.Value.GetRawText());
                hash.AppendData(BitConverter.GetBytes(name.Length));
                hash.AppendData(name);
                hash.AppendData(BitConverter.GetBytes(value.Length));
                hash.AppendData(value);
            }
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
