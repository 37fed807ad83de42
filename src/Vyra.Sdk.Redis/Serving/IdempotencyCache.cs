using StackExchange.Redis;

namespace Vyra.Sdk.Redis;

/// <summary>
/// One idempotency key's slot in Redis, scoped by sender, plugin and function (see
/// <see cref="RedisKeyspace.IdempotencyKey"/>) and bound to the hash of the arguments: <c>pending:{hash}:{request}</c>
/// while the first call runs, <c>done:{hash}:{reply}</c> after. A retry with other arguments is refused rather than
/// answered with a reply computed for different input.
/// </summary>
internal sealed class IdempotencyCache(RedisKey key, string argumentsHash)
{
    private const string Pending = "pending:";
    private const string Done = "done:";

    public RedisKey Key { get; } = key;

    public string PendingMarker(string requestId) => $"{Pending}{argumentsHash}:{requestId}";

    public string CompletedValue(string reply) => $"{Done}{argumentsHash}:{reply}";

    /// <summary>True when <paramref name="cached"/> was stored for the same arguments.</summary>
    public bool SameArguments(string cached)
    {
        var rest = cached.StartsWith(Pending, StringComparison.Ordinal) ? cached.AsSpan(Pending.Length)
            : cached.StartsWith(Done, StringComparison.Ordinal) ? cached.AsSpan(Done.Length)
            : default;
        return rest.Length > argumentsHash.Length && rest[argumentsHash.Length] == ':' && rest.StartsWith(argumentsHash, StringComparison.Ordinal);
    }

    /// <summary>The reply of a completed call, or null while it runs.</summary>
    public static string? Completed(string cached)
    {
        if (!cached.StartsWith(Done, StringComparison.Ordinal)) return null;
        var colon = cached.IndexOf(':', Done.Length);
        return colon < 0 ? null : cached[(colon + 1)..];
    }
}
