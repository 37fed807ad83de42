namespace Vyra.Sdk.Redis;

/// <summary>
/// A shared secret that signs and verifies messages on the Redis wire (HMAC-SHA256). <see cref="Id"/> travels with
/// each message so several keys can be accepted at once while keys are rotated. <see cref="Senders"/> (globs, see
/// <see cref="EventGlob"/>) bind the key to the sender ids it may speak for; null: any sender id — then anyone holding
/// the key can claim any identity, so give each party its own key once identities matter.
/// </summary>
public sealed class RedisWireKey
{
    /// <summary>Creates a key; <paramref name="secret"/> must hold at least 16 bytes (32 random bytes recommended).</summary>
    public RedisWireKey(string id, byte[] secret, IReadOnlyList<string>? senders = null)
    {
        if (!WireNames.IsKeyId(id)) throw new ArgumentException($"key id '{id}' must be 1-32 characters of A-Z, a-z, 0-9, '.', '_' or '-'", nameof(id));
        ArgumentNullException.ThrowIfNull(secret);
        if (secret.Length < 16) throw new ArgumentException($"key '{id}': the secret has {secret.Length} bytes, at least 16 are needed", nameof(secret));
        Id = id;
        Secret = (byte[])secret.Clone();
        Senders = senders?.ToArray();
    }

    /// <summary>The key id carried by signed messages (field <c>kid</c>).</summary>
    public string Id { get; }

    /// <summary>The sender ids this key may sign for (globs); null: any.</summary>
    public IReadOnlyList<string>? Senders { get; }

    internal byte[] Secret { get; }

    // One keyed HMAC kept for reuse (GetHashAndReset returns it to the keyed start): making one costs more than the
    // MAC of a typical message. Concurrent signers that find it taken make their own; only one is kept.
    private System.Security.Cryptography.IncrementalHash? _spareHmac;

    internal System.Security.Cryptography.IncrementalHash RentHmac() =>
        Interlocked.Exchange(ref _spareHmac, null)
        ?? System.Security.Cryptography.IncrementalHash.CreateHMAC(System.Security.Cryptography.HashAlgorithmName.SHA256, Secret);

    internal void ReturnHmac(System.Security.Cryptography.IncrementalHash hmac)
    {
        if (Interlocked.CompareExchange(ref _spareHmac, hmac, null) is not null) hmac.Dispose();
    }

    /// <summary>A key from a base64 secret (as kept in configuration).</summary>
    public static RedisWireKey FromBase64(string id, string secretBase64, IReadOnlyList<string>? senders = null) =>
        new(id, Convert.FromBase64String(secretBase64), senders);

    /// <summary>True when this key may sign for <paramref name="senderId"/>.</summary>
    public bool Allows(string senderId) => EventGlob.MatchesAny(Senders, senderId);
}
