namespace Vyra.Sdk.Redis;

/// <summary>
/// Who this process is on the Redis wire and which keys it trusts. Every request, reply and event it sends carries
/// <see cref="SenderId"/>, the id of the signing key and an HMAC-SHA256 over the message's canonical form; every one it
/// receives must carry a valid MAC from one of <see cref="Keys"/> (a key may be limited to some sender ids). There is
/// no default: a server, runtime or bus refuses to start without keys unless <see cref="AllowUnauthenticated"/> is set,
/// which is for development only (see docs/redis.md).
/// </summary>
public sealed class RedisWireSecurity
{
    /// <summary>This process's identity (1-64 characters of A-Z, a-z, 0-9, '.', '_', '-'); replies come back on a channel derived from it.</summary>
    public required string SenderId { get; init; }

    /// <summary>The keys accepted on received messages; the signing key is one of them.</summary>
    public IReadOnlyList<RedisWireKey> Keys { get; init; } = [];

    /// <summary>The id of the key that signs what this process sends; null: the first of <see cref="Keys"/> allowed for <see cref="SenderId"/>.</summary>
    public string? SigningKeyId { get; init; }

    /// <summary>
    /// Development only: messages without a MAC are accepted (their sender id is then a mere claim) and, without keys,
    /// sent unsigned. A message that carries a MAC is still verified and refused when it is wrong.
    /// </summary>
    public bool AllowUnauthenticated { get; init; }

    /// <summary>An event older than this (by its signed send time, clocks compared) is dropped: it bounds replays of captured events.</summary>
    public TimeSpan MaxEventAge { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Unsigned mode for development and tests on a trusted machine: anyone who can reach Redis can call and publish.</summary>
    public static RedisWireSecurity Unauthenticated(string senderId = "dev") => new() { SenderId = senderId, AllowUnauthenticated = true };

    /// <summary>Signed mode with one key for every party (rotate by adding a key, switching <see cref="SigningKeyId"/>, then removing the old one).</summary>
    public static RedisWireSecurity Signed(string senderId, params RedisWireKey[] keys) => new() { SenderId = senderId, Keys = keys };

    internal WireSigner CreateSigner(string owner) => new(this, owner);
}
