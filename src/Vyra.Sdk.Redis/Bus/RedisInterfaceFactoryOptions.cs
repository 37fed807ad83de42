using Microsoft.Extensions.Logging;

namespace Vyra.Sdk.Redis;

/// <summary>
/// How a <see cref="RedisInterfaceFactory"/> talks on Redis: who it is and which keys it trusts (required), the
/// deployment's names, who may speak for which plugin, and the bounds of every message and queue (docs/redis.md).
/// </summary>
public sealed record RedisInterfaceFactoryOptions
{
    /// <summary>This process's sender id and the keys it signs with and accepts (required; <see cref="RedisWireSecurity.Unauthenticated"/> for development).</summary>
    public RedisWireSecurity? Security { get; init; }

    /// <summary>The Redis names (default <c>vyra</c>).</summary>
    public RedisKeyspace Keyspace { get; init; } = RedisKeyspace.Default;

    /// <summary>
    /// Which senders may speak for which plugin ids (<see cref="RedisAuthorization.AllowEvents"/>): an event or request
    /// whose <c>plugin_id</c> its authenticated sender may not speak for is dropped (an event) or answered
    /// "permission denied" (a request). Null: every authenticated sender for any plugin id.
    /// </summary>
    public RedisAuthorization? Authorization { get; init; }

    /// <summary>Where dropped messages and failing handlers are logged.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The largest event, request or reply, in bytes of JSON (default 1 MiB): larger ones are not sent and, received, dropped unread.</summary>
    public int MaxMessageBytes { get; init; } = 1 << 20;

    /// <summary>JSON nesting accepted in a received message (default 32); deeper ones are dropped.</summary>
    public int MaxJsonDepth { get; init; } = 32;

    /// <summary>
    /// The most requests waiting in one service's list (default 1000). A client finds a full list and gets a failed reply
    /// (<c>overloaded</c>) at once; servers trim a list that grew past it (by clients that bypass the check) to its oldest entries.
    /// </summary>
    public int MaxQueueLength { get; init; } = 1000;

    /// <summary>Requests one server runs at the same time (default 16); the rest wait in the list for it or another server.</summary>
    public int MaxConcurrentRequests { get; init; } = 16;

    /// <summary>Events waiting for one subscription's handler (default 1024); beyond it events are dropped and counted.</summary>
    public int MaxPendingEvents { get; init; } = 1024;

    /// <summary>Requests of this factory's clients waiting for their reply at once (default 10 000); beyond it a request fails at once (<c>overloaded</c>).</summary>
    public int MaxPendingRequests { get; init; } = 10_000;

    /// <summary>The longest a client waits for a reply (default 1 day): a longer timeout is cut to it; servers refuse a request with a farther deadline.</summary>
    public TimeSpan MaxRequestTimeout { get; init; } = TimeSpan.FromDays(1);

    /// <summary>How often a server looks at its list without a wake-up message (default 1 s): a missed wake-up costs at most this.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long disposing a server or subscription waits for handlers still running (they are cancelled first).</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(5);
}
