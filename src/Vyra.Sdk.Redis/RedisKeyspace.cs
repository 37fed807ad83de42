using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Vyra.Sdk.Redis;

/// <summary>
/// The Redis names one deployment uses, all under one prefix (default <c>vyra</c>) so several deployments can share a
/// server: <c>{prefix}:req:{plugin}</c> (request stream), consumer group <c>{prefix}:hosts</c>,
/// <c>{prefix}:wake:{plugin}</c> (new-request signal), <c>{prefix}:reply:{sender}</c> (a sender's reply channel),
/// <c>{prefix}:reply:{sender}:{request}</c> (kept reply), <c>{prefix}:seen:{plugin}:{sender}:{request}</c> (replay guard),
/// <c>{prefix}:idem:{sender}:{plugin}:{function}:{hash}</c> (idempotent results), <c>{prefix}:dead:{plugin}</c>
/// (dead letters) and <c>{prefix}:plugin/logic_event</c> (events). The interface factory (<see cref="RedisInterfaceFactory"/>)
/// adds <c>{prefix}:bus:topic:{address}</c> (a topic's channel), <c>{prefix}:bus:svc:{address}</c> (a service's request
/// list), <c>{prefix}:bus:wake:{address}</c> (its new-request signal), <c>{prefix}:bus:reply:{sender}</c> (a sender's
/// reply channel) and <c>{prefix}:bus:seen:{sender}:{request}</c> (replay guard), where <c>{address}</c> is
/// <c>module/name</c> or <c>module/instance/name</c>. Reply names are derived by the serving host from the
/// authenticated sender id and the request id, both restricted to <c>[A-Za-z0-9._-]</c>: no request names a key or channel.
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

    /// <summary>Where requests that could not be answered after too many deliveries are recorded.</summary>
    public RedisKey DeadLetterStream(string pluginId) => $"{Prefix}:dead:{pluginId}";

    /// <summary>The channel that tells serving hosts a request is waiting.</summary>
    public RedisChannel WakeChannel(string pluginId) => RedisChannel.Literal($"{Prefix}:wake:{pluginId}");

    /// <summary>The reply channel of a sender (every runtime of that sender id listens on it).</summary>
    public string ReplyChannel(string senderId) => $"{Prefix}:reply:{senderId}";

    /// <summary>Where the reply to a request is kept (for a retry or a caller that missed the message).</summary>
    public string ReplyKey(string senderId, string requestId) => $"{Prefix}:reply:{senderId}:{requestId}";

    /// <summary>
    /// Marks a request to a plugin as taken (by stream entry) so a copy of it added again is not run again. Per plugin:
    /// a copy in another plugin's stream is refused there (the signed body names its plugin) and guards nothing here.
    /// </summary>
    public RedisKey SeenKey(string pluginId, string senderId, string requestId) => $"{SeenKeyPrefix(pluginId)}{senderId}:{requestId}";

    internal string SeenKeyPrefix(string pluginId) => $"{Prefix}:seen:{pluginId}:";

    /// <summary>Where the result of an idempotent call is cached: scoped by sender, plugin and function; the caller's key is hashed.</summary>
    public RedisKey IdempotencyKey(string senderId, string pluginId, string function, string key) =>
        $"{Prefix}:idem:{senderId}:{pluginId}:{Hash(function)}:{Hash(key)}";

    /// <summary>The channel of VYRA's <c>plugin/logic_event</c>.</summary>
    public RedisChannel EventChannel => RedisChannel.Literal($"{Prefix}:plugin/logic_event");

    /// <summary>The channel of a topic of the interface factory.</summary>
    public RedisChannel TopicChannel(InterfaceAddress address) => RedisChannel.Literal(TopicChannelName(address));

    /// <summary>The request list of a service of the interface factory (its servers share it).</summary>
    public RedisKey ServiceQueue(InterfaceAddress address) => ServiceQueueName(address);

    /// <summary>The channel that tells a service's servers a request is waiting.</summary>
    public RedisChannel ServiceWakeChannel(InterfaceAddress address) => RedisChannel.Literal(ServiceWakeChannelName(address));

    internal string ServiceWakeChannelName(InterfaceAddress address) => $"{Prefix}:bus:wake:{Address(address)}";

    /// <summary>The channel on which a sender's service clients get their replies.</summary>
    public RedisChannel BusReplyChannel(string senderId) => RedisChannel.Literal(BusReplyChannelName(senderId));

    internal string TopicChannelName(InterfaceAddress address) => $"{Prefix}:bus:topic:{Address(address)}";

    internal string ServiceQueueName(InterfaceAddress address) => $"{Prefix}:bus:svc:{Address(address)}";

    internal string BusReplyChannelName(string senderId) => $"{Prefix}:bus:reply:{senderId}";

    internal RedisKey BusSeenKey(string senderId, string requestId) => $"{Prefix}:bus:seen:{senderId}:{requestId}";

    // Address parts are [A-Za-z0-9_.-] (InterfaceAddress), so the text adds no ':' segment and no glob character.
    private static string Address(InterfaceAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.ToString();
    }

    internal string EventChannelName => $"{Prefix}:plugin/logic_event";

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0, 16).ToLowerInvariant();
}
