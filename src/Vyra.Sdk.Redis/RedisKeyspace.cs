using StackExchange.Redis;

namespace Vyra.Sdk.Redis;

/// <summary>
/// The Redis names one deployment uses, all under one prefix (default <c>vyra</c>) so several deployments can share a
/// server: <c>{prefix}:req:{plugin}</c> (request stream), consumer group <c>{prefix}:hosts</c>,
/// <c>{prefix}:wake:{plugin}</c> (new-request signal), <c>{prefix}:reply:{caller}</c> (reply channel),
/// <c>{prefix}:reply:{request}</c> (kept reply), <c>{prefix}:idem:{plugin}:{key}</c> (idempotent results) and
/// <c>{prefix}:plugin/logic_event</c> (events).
/// </summary>
public sealed class RedisKeyspace
{
    /// <summary>The names under <paramref name="prefix"/>.</summary>
    public RedisKeyspace(string prefix = "vyra")
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        Prefix = prefix;
    }

    /// <summary>The default keyspace (<c>vyra</c>).</summary>
    public static RedisKeyspace Default { get; } = new();

    /// <summary>The prefix of every name.</summary>
    public string Prefix { get; }

    /// <summary>The consumer group of the hosts serving a plugin (one group per plugin's stream).</summary>
    public string Group => $"{Prefix}:hosts";

    /// <summary>The request stream of a plugin.</summary>
    public RedisKey RequestStream(string pluginId) => $"{Prefix}:req:{pluginId}";

    /// <summary>The channel that tells serving hosts a request is waiting.</summary>
    public RedisChannel WakeChannel(string pluginId) => RedisChannel.Literal($"{Prefix}:wake:{pluginId}");

    /// <summary>A caller's reply channel.</summary>
    public string ReplyChannel(string callerId) => $"{Prefix}:reply:{callerId}";

    /// <summary>Where the reply to a request is kept (for a retry or a caller that missed the message).</summary>
    public string ReplyKey(string requestId) => $"{Prefix}:reply:{requestId}";

    /// <summary>Where the result of an idempotent call is cached.</summary>
    public RedisKey IdempotencyKey(string pluginId, string key) => $"{Prefix}:idem:{pluginId}:{key}";

    /// <summary>The channel of VYRA's <c>plugin/logic_event</c>.</summary>
    public RedisChannel EventChannel => RedisChannel.Literal($"{Prefix}:plugin/logic_event");
}
