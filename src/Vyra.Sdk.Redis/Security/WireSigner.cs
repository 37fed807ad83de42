using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Vyra.Sdk.Redis;

/// <summary>
/// Signs and verifies wire messages. The canonical form fed to HMAC-SHA256 is a domain tag (<c>vyra-wire/1</c>, the
/// message kind, the keyspace prefix, the key id) followed by each part as a 4-byte big-endian length and its exact
/// bytes, in a fixed order: no separator can be smuggled between parts and a MAC for one kind, deployment or key never
/// verifies another. Parts are the bytes as transmitted, so nothing is re-serialized before checking.
/// </summary>
internal sealed class WireSigner
{
    public const string KindRequest = "request";
    public const string KindReply = "reply";
    public const string KindEvent = "event";

    // The interface factory's messages (Bus/): their own kinds, so a bus message never verifies as a call's or an event's.
    public const string KindBusEvent = "bus-event";
    public const string KindBusRequest = "bus-request";
    public const string KindBusReply = "bus-reply";

    private const string EnvelopeTag = "vyra1:";

    private readonly Dictionary<string, RedisWireKey> _accepted = new(StringComparer.Ordinal);
    private readonly RedisWireKey? _signing;

    public WireSigner(RedisWireSecurity security, string owner)
    {
        ArgumentNullException.ThrowIfNull(security, owner + ".Security");
        if (!WireNames.IsSenderId(security.SenderId))
        {
            throw new ArgumentException($"{owner}: sender id '{security.SenderId}' must be 1-{WireNames.MaxSenderId} characters of A-Z, a-z, 0-9, '.', '_' or '-'");
        }
        foreach (var key in security.Keys ?? [])
        {
            if (!_accepted.TryAdd(key.Id, key)) throw new ArgumentException($"{owner}: key id '{key.Id}' is listed twice");
        }
        if (_accepted.Count == 0 && !security.AllowUnauthenticated)
        {
            throw new InvalidOperationException(
                $"{owner}: no wire keys are configured. Add RedisWireSecurity.Keys, or set AllowUnauthenticated = true for development " +
                "(then anyone who can reach Redis can run plugins and publish events).");
        }
        if (security.SigningKeyId is { } signingId)
        {
            _signing = _accepted.TryGetValue(signingId, out var key) ? key : throw new ArgumentException($"{owner}: the signing key '{signingId}' is not among the keys");
        }
        else
        {
            _signing = security.Keys?.FirstOrDefault(k => k.Allows(security.SenderId)) ?? security.Keys?.FirstOrDefault();
        }
        if (_signing is not null && !_signing.Allows(security.SenderId))
        {
            throw new ArgumentException($"{owner}: the signing key '{_signing.Id}' may not sign for sender '{security.SenderId}'");
        }
        if (security.MaxEventAge <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(owner + ".Security.MaxEventAge", "must be positive");
        SenderId = security.SenderId;
        AllowUnauthenticated = security.AllowUnauthenticated;
        MaxEventAge = security.MaxEventAge;
    }

    public string SenderId { get; }

    public bool AllowUnauthenticated { get; }

    public TimeSpan MaxEventAge { get; }

    /// <summary>
    /// Why an event sent at <paramref name="sentUnixMs"/> is refused as too old (or too far ahead), or null: a signed
    /// event must say when it was sent; an unsigned one is checked only when it does.
    /// </summary>
    public string? EventAgeProblem(RedisWireKey? key, long? sentUnixMs, string eventName, string? sender)
    {
        if (key is null && sentUnixMs is null) return null;
        var age = TimeSpan.FromMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (sentUnixMs ?? 0));
        if (sentUnixMs is not null && age <= MaxEventAge && age >= -MaxEventAge) return null;
        return $"event '{eventName}' from '{sender}' was sent {age} ago (accepted: {MaxEventAge})";
    }

    /// <summary>The signing key's id and the MAC (base64), or nulls in unsigned mode.</summary>
    public (string? KeyId, string? Mac) Sign(string kind, string prefix, params ReadOnlyMemory<byte>[] parts)
    {
        if (_signing is null) return (null, null);
        return (_signing.Id, Convert.ToBase64String(Compute(_signing, kind, prefix, parts)));
    }

    /// <summary>
    /// Checks a message's MAC. True with the key (null: unsigned, allowed in development mode); false with the reason
    /// when it is missing, unknown, malformed or wrong.
    /// </summary>
    public bool Verify(string kind, string prefix, string? keyId, string? mac, out RedisWireKey? key, out string? problem, params ReadOnlyMemory<byte>[] parts)
    {
        key = null;
        problem = null;
        if (string.IsNullOrEmpty(keyId) && string.IsNullOrEmpty(mac))
        {
            if (AllowUnauthenticated) return true;
            problem = "the message is not signed";
            return false;
        }
        if (keyId is null || !_accepted.TryGetValue(keyId, out var found))
        {
            problem = $"the message is signed with an unknown key id '{Shorten(keyId)}'";
            return false;
        }
        Span<byte> given = stackalloc byte[32];
        if (mac is null || !Convert.TryFromBase64String(mac, given, out var written) || written != 32)
        {
            problem = "the message's MAC is malformed";
            return false;
        }
        if (!CryptographicOperations.FixedTimeEquals(given, Compute(found, kind, prefix, parts)))
        {
            problem = $"the message's MAC does not verify with key '{found.Id}'";
            return false;
        }
        key = found;
        return true;
    }

    /// <summary>True when <paramref name="key"/> (null: an unsigned message in development mode) may speak for <paramref name="senderId"/>.</summary>
    public static bool KeyAllows(RedisWireKey? key, string senderId) => key is null || key.Allows(senderId);

    /// <summary>A pub/sub message: <c>vyra1:{kid}:{mac}:{json}</c>, or the bare JSON in unsigned mode.</summary>
    public string Wrap(string kind, string prefix, string scope, string json)
    {
        var (keyId, mac) = Sign(kind, prefix, Encoding.UTF8.GetBytes(scope), Encoding.UTF8.GetBytes(json));
        return keyId is null ? json : $"{EnvelopeTag}{keyId}:{mac}:{json}";
    }

    /// <summary>The JSON of a pub/sub message after its MAC verified; null with the reason otherwise.</summary>
    public string? Unwrap(string kind, string prefix, string scope, string message, out RedisWireKey? key, out string? problem)
    {
        string? keyId = null, mac = null;
        var json = message;
        if (message.StartsWith(EnvelopeTag, StringComparison.Ordinal))
        {
            var first = message.IndexOf(':', EnvelopeTag.Length);
            var second = first < 0 ? -1 : message.IndexOf(':', first + 1);
            if (second < 0)
            {
                key = null;
                problem = "the signed envelope is malformed";
                return null;
            }
            keyId = message[EnvelopeTag.Length..first];
            mac = message[(first + 1)..second];
            json = message[(second + 1)..];
        }
        return Verify(kind, prefix, keyId, mac, out key, out problem, Encoding.UTF8.GetBytes(scope), Encoding.UTF8.GetBytes(json)) ? json : null;
    }

    private static byte[] Compute(RedisWireKey key, string kind, string prefix, ReadOnlyMemory<byte>[] parts)
    {
        // The canonical form is written into one buffer and fed to the HMAC in one update, with an HMAC whose key is
        // already set (RedisWireKey keeps one): a context made per message and an update per part were most of the
        // signing's cost (docs/benchmarks.md, "Remote calls"). The bytes hashed are the same as part-by-part.
        var length = 4 * 4 + Tag.Length + Encoding.UTF8.GetByteCount(kind) + Encoding.UTF8.GetByteCount(prefix) + Encoding.UTF8.GetByteCount(key.Id);
        foreach (var part in parts) length += 4 + part.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var at = 0;
            Append(buffer, ref at, Tag);
            AppendText(buffer, ref at, kind);
            AppendText(buffer, ref at, prefix);
            AppendText(buffer, ref at, key.Id);
            foreach (var part in parts) Append(buffer, ref at, part.Span);
            var mac = new byte[32];
            var hmac = key.RentHmac();
            hmac.AppendData(buffer, 0, at);
            hmac.GetHashAndReset(mac);
            key.ReturnHmac(hmac);
            return mac;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ReadOnlySpan<byte> Tag => "vyra-wire/1"u8;

    private static void Append(byte[] buffer, ref int at, ReadOnlySpan<byte> part)
    {
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(at, 4), part.Length);
        part.CopyTo(buffer.AsSpan(at + 4));
        at += 4 + part.Length;
    }

    private static void AppendText(byte[] buffer, ref int at, string text)
    {
        var written = Encoding.UTF8.GetBytes(text, buffer.AsSpan(at + 4));
        BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(at, 4), written);
        at += 4 + written;
    }

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 40 ? text : text[..40] + "…";
}
