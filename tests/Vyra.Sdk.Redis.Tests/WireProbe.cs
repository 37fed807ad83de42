using System.Collections.Concurrent;
using System.Text;
using StackExchange.Redis;
using Vyra.Sdk.Redis;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>
/// An attacker's (or a hand-made caller's) view of the wire: writes stream entries directly — signed with any
/// security, or not at all — and collects what arrives on a sender's reply channel and on the event channel, all on
/// one subscriber connection so their order is the order Redis sent them in.
/// </summary>
internal sealed class WireProbe
{
    private readonly Bench _bench;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<RemoteReply>> _replies = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _raw = new();
    private readonly ConcurrentQueue<string> _events = new();

    private WireProbe(Bench bench, IConnectionMultiplexer connection, WireSigner signer)
    {
        _bench = bench;
        Connection = connection;
        Signer = signer;
    }

    public IConnectionMultiplexer Connection { get; }

    public WireSigner Signer { get; }

    public IDatabase Db => Connection.GetDatabase();

    /// <summary>Messages seen on the reply channel (any, verified or not).</summary>
    public IReadOnlyCollection<string> RawReplies => _raw;

    /// <summary>Messages seen on the event channel.</summary>
    public IReadOnlyCollection<string> Events => _events;

    public static async Task<WireProbe> CreateAsync(Bench bench, RedisWireSecurity security)
    {
        var connection = await bench.ConnectAsync();
        var probe = new WireProbe(bench, connection, security.CreateSigner("probe"));
        var subscriber = connection.GetSubscriber();
        // A fresh connection refuses commands until it is up (fail-fast): retry like the library's own start does.
        await VyraRedis.RetryWhileConnectingAsync(() => subscriber.SubscribeAsync(RedisChannel.Literal(bench.Keys.ReplyChannel(security.SenderId)), (_, message) => probe.OnReply((string?)message ?? "")), TimeSpan.FromSeconds(10));
        await VyraRedis.RetryWhileConnectingAsync(() => subscriber.SubscribeAsync(bench.Keys.EventChannel, (_, message) => probe._events.Enqueue((string?)message ?? "")), TimeSpan.FromSeconds(10));
        return probe;
    }

    private void OnReply(string message)
    {
        _raw.Enqueue(message);
        var reply = RemoteReply.Parse(Signer.Unwrap(WireSigner.KindReply, _bench.Keys.Prefix, Signer.SenderId, message, out _, out _));
        if (reply is not null) Waiter(reply.RequestId).TrySetResult(reply);
    }

    private TaskCompletionSource<RemoteReply> Waiter(string requestId) =>
        _replies.GetOrAdd(requestId, _ => new TaskCompletionSource<RemoteReply>(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>A request entry signed by this probe's signer.</summary>
    public NameValueEntry[] Entry(string pluginId, string function, IReadOnlyDictionary<string, object?>? data = null, long? deadline = null,
        string? idempotencyKey = null, string? requestId = null, byte[]? body = null, string op = RemoteRequest.OpCall) =>
        RemoteRequest.ToEntry(Signer, _bench.Keys.Prefix, requestId ?? NewRequestId(),
            body ?? RemoteRequest.Body(pluginId, function, data ?? new Dictionary<string, object?>()),
            op, deadline ?? DateTimeOffset.UtcNow.AddSeconds(20).ToUnixTimeMilliseconds(), idempotencyKey);

    public static string NewRequestId() => Guid.NewGuid().ToString("N");

    public static string RequestId(NameValueEntry[] entry) => entry.Single(f => f.Name == "request_id").Value!;

    /// <summary>Adds <paramref name="entry"/> to the plugin's request stream and wakes its hosts.</summary>
    public async Task<RedisValue> AddAsync(string pluginId, NameValueEntry[] entry)
    {
        var id = await Db.StreamAddAsync(_bench.Keys.RequestStream(pluginId), entry);
        await Db.PublishAsync(_bench.Keys.WakeChannel(pluginId), "probe");
        return id;
    }

    /// <summary>The verified reply to <paramref name="requestId"/>.</summary>
    public Task<RemoteReply> ReplyAsync(string requestId, TimeSpan? within = null) =>
        Waiter(requestId).Task.WaitAsync(within ?? TimeSpan.FromSeconds(15));

    public async Task<long> StreamLengthAsync(string pluginId) => await Db.StreamLengthAsync(_bench.Keys.RequestStream(pluginId));

    public static NameValueEntry[] With(NameValueEntry[] entry, string name, RedisValue value) =>
        [.. entry.Where(f => f.Name != name), new NameValueEntry(name, value)];

    public static NameValueEntry[] Without(NameValueEntry[] entry, params string[] names) =>
        [.. entry.Where(f => !names.Contains((string)f.Name!))];

    public static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
