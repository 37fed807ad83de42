using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Vyra.Sdk.Redis;

/// <summary>How a <see cref="PluginServer"/> takes, runs and answers requests.</summary>
public sealed class PluginServerOptions
{
    /// <summary>The Redis names (prefix) shared with the callers.</summary>
    public RedisKeyspace Keyspace { get; init; } = RedisKeyspace.Default;

    /// <summary>This host's identity and the keys it accepts. Required: see <see cref="RedisWireSecurity"/>.</summary>
    public RedisWireSecurity? Security { get; init; }

    /// <summary>Who may call what; null: every authenticated sender may call every served function.</summary>
    public RedisAuthorization? Authorization { get; init; }

    /// <summary>This host's consumer name in the groups; null: machine name, process id and a random suffix.</summary>
    public string? HostName { get; init; }

    /// <summary>Calls run at once by this host, over all its plugins; a host reads no more requests than it can run.</summary>
    public int MaxConcurrentCalls { get; init; } = 16;

    /// <summary>
    /// A request taken by a host and not refreshed for this long is claimed by another host and run again (the host
    /// is taken for dead). A live host refreshes its running requests three times per period, so a long call is not
    /// taken from it.
    /// </summary>
    public TimeSpan ClaimTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many times a request may be delivered (taken first, then claimed after hosts died) before it is
    /// dead-lettered: answered with an error and recorded in <see cref="RedisKeyspace.DeadLetterStream"/>.
    /// </summary>
    public int MaxDeliveries { get; init; } = 5;

    /// <summary>The largest request accepted, all fields counted, checked before anything is parsed (default 1 MiB).</summary>
    public int MaxRequestBytes { get; init; } = 1 << 20;

    /// <summary>The deepest nesting of a request's JSON (default 32); deeper requests are answered <see cref="PluginErrorKind.InvalidArgument"/>.</summary>
    public int MaxJsonDepth { get; init; } = 32;

    /// <summary>A deadline farther than this from now is refused with <see cref="PluginErrorKind.InvalidArgument"/> (default: <see cref="RemotePluginRuntimeOptions.MaxCallTimeout"/>).</summary>
    public TimeSpan MaxDeadline { get; init; } = RemotePluginRuntimeOptions.MaxCallTimeout;

    /// <summary>How often the streams are read when no wake-up signal arrives (a missed signal costs at most this).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a reply is kept in Redis for a request that is delivered again.</summary>
    public TimeSpan ReplyTtl { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long the reply to a call with an idempotency key is cached for retries with that key.</summary>
    public TimeSpan IdempotencyTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// On stop, how long running calls may finish and answer. Calls still running then are abandoned without an answer
    /// and stay pending, so another host claims them after <see cref="ClaimTimeout"/>.
    /// </summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The configuration of a connection of the server's own for blocking reads (<c>XREADGROUP … BLOCK</c>), one per
    /// served plugin; null: requests are taken on the shared connection after a wake-up message (the path of earlier
    /// versions). A blocking read cannot run on the shared, multiplexed connection, and the server cannot rebuild the
    /// user's connection from it (a multiplexer's configuration string loses certificate callbacks), so pass the same
    /// options the shared connection was made with (e.g. <see cref="VyraRedis.Configure"/>'s, with any
    /// <see cref="ConfigurationOptions.CertificateValidation"/> set on them): the server connects a copy, owns it and
    /// closes it on stop. See docs/redis.md ("A blocking read").
    /// </summary>
    public ConfigurationOptions? ReadConfiguration { get; init; }

    /// <summary>Where the server logs.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
