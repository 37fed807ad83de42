namespace Vyra.Sdk.Redis;

/// <summary>How a <see cref="RemotePluginRuntime"/> calls.</summary>
public sealed class RemotePluginRuntimeOptions
{
    /// <summary>The longest call timeout accepted (one day): serving hosts refuse deadlines farther away.</summary>
    public static readonly TimeSpan MaxCallTimeout = TimeSpan.FromDays(1);

    private readonly TimeSpan _callTimeout = TimeSpan.FromSeconds(30);
    private readonly int _maxRequestBytes = 1 << 20;

    /// <summary>The Redis names (prefix) shared with the serving hosts.</summary>
    public RedisKeyspace Keyspace { get; init; } = RedisKeyspace.Default;

    /// <summary>This caller's identity and keys. Required: see <see cref="RedisWireSecurity"/>.</summary>
    public RedisWireSecurity? Security { get; init; }

    /// <summary>
    /// How long a call waits for its reply, queueing and the run on a host included; past it the call fails with
    /// <see cref="PluginErrorKind.Timeout"/> and a host that had not taken the request yet skips it. Positive and at
    /// most <see cref="MaxCallTimeout"/> (checked here, before anything is sent). The serving runtime's own limits apply as well.
    /// </summary>
    public TimeSpan CallTimeout
    {
        get => _callTimeout;
        init => _callTimeout = CheckTimeout(value, nameof(CallTimeout));
    }

    /// <summary>The largest request body sent (default 1 MiB); a larger call fails with <see cref="PluginErrorKind.InvalidArgument"/> before it is sent.</summary>
    public int MaxRequestBytes
    {
        get => _maxRequestBytes;
        init => _maxRequestBytes = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(MaxRequestBytes), value, "must be positive");
    }

    internal static TimeSpan CheckTimeout(TimeSpan value, string name) =>
        value > TimeSpan.Zero && value <= MaxCallTimeout
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"a call timeout must be positive and at most {MaxCallTimeout}");
}

/// <summary>Per-call settings for <see cref="RemotePluginRuntime.CallAsync(string, IReadOnlyDictionary{string, object?}?, RemoteCallOptions, CancellationToken)"/>.</summary>
public sealed class RemoteCallOptions
{
    private readonly TimeSpan? _timeout;
    private readonly string? _idempotencyKey;

    /// <summary>
    /// Calls from this sender to the same plugin and function with the same key run once within the hosts' idempotency
    /// TTL: a retry gets the first call's reply, and a retry sent while the first still runs waits for it. The key is
    /// bound to the arguments: a retry with other arguments fails with <see cref="PluginErrorKind.InvalidArgument"/>.
    /// Null: no deduplication. At most 256 characters.
    /// </summary>
    public string? IdempotencyKey
    {
        get => _idempotencyKey;
        init => _idempotencyKey = value is null || (value.Length is > 0 and <= RemoteRequest.MaxIdempotencyKeyLength)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(IdempotencyKey), value.Length, $"an idempotency key has 1 to {RemoteRequest.MaxIdempotencyKeyLength} characters");
    }

    /// <summary>This call's timeout instead of <see cref="RemotePluginRuntimeOptions.CallTimeout"/> (same bounds).</summary>
    public TimeSpan? Timeout
    {
        get => _timeout;
        init => _timeout = value is { } t ? RemotePluginRuntimeOptions.CheckTimeout(t, nameof(Timeout)) : null;
    }
}
