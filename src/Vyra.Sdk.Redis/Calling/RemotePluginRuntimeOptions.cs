namespace Vyra.Sdk.Redis;

/// <summary>How a <see cref="RemotePluginRuntime"/> calls.</summary>
public sealed class RemotePluginRuntimeOptions
{
    /// <summary>The Redis names (prefix) shared with the serving hosts.</summary>
    public RedisKeyspace Keyspace { get; init; } = RedisKeyspace.Default;

    /// <summary>
    /// How long a call waits for its reply, queueing and the run on a host included; past it the call fails with
    /// <see cref="PluginErrorKind.Timeout"/> and a host that had not taken the request yet skips it.
    /// <see cref="Timeout.InfiniteTimeSpan"/>: no limit. The serving runtime's own limits apply as well.
    /// </summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>Per-call settings for <see cref="RemotePluginRuntime.CallAsync(string, IReadOnlyDictionary{string, object?}?, RemoteCallOptions, CancellationToken)"/>.</summary>
public sealed class RemoteCallOptions
{
    /// <summary>
    /// Calls with the same key (per plugin id) run once within the hosts' idempotency TTL: a retry gets the first
    /// call's reply, and a retry sent while the first still runs waits for it. Null: no deduplication.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>This call's timeout instead of <see cref="RemotePluginRuntimeOptions.CallTimeout"/>.</summary>
    public TimeSpan? Timeout { get; init; }
}
