using StackExchange.Redis;

namespace Vyra.Sdk.Redis;

/// <summary>
/// A connection of the server's own for <c>XREADGROUP … BLOCK</c>: a blocking command holds its connection until it
/// returns, so it cannot share the application's multiplexed one. Closing it ends a read in progress at once.
/// </summary>
internal sealed class BlockingReader : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _connection;
    private readonly long _maxBlockMs;

    private BlockingReader(ConnectionMultiplexer connection, long maxBlockMs)
    {
        _connection = connection;
        _maxBlockMs = maxBlockMs;
    }

    /// <summary>Connects a copy of <paramref name="configuration"/> (returns while Redis is down; it connects when Redis is up).</summary>
    public static async Task<BlockingReader> ConnectAsync(ConfigurationOptions configuration)
    {
        // A copy keeps every TLS, certificate and ACL setting of the user's options. Two settings the read loop relies
        // on: connecting does not fail while Redis is down (the loop retries), and a read while disconnected fails at once
        // instead of queueing behind the reconnection (the loop backs off).
        var options = configuration.Clone();
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        var connection = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        // A read blocks at most half the client's patience, so the client never times out a read still blocked in Redis.
        return new BlockingReader(connection, Math.Max(10, Math.Min(options.AsyncTimeout, options.SyncTimeout) / 2));
    }

    /// <summary>
    /// The next new entry of <paramref name="stream"/> for <paramref name="consumer"/>, waiting at most
    /// <paramref name="block"/> (cut to half the connection's timeout); null when none came.
    /// </summary>
    public async Task<StreamEntry?> ReadAsync(RedisKey stream, string group, string consumer, TimeSpan block)
    {
        var blockMs = Math.Clamp((long)block.TotalMilliseconds, 1, _maxBlockMs);
        var result = await _connection.GetDatabase().ExecuteAsync("XREADGROUP",
            ["GROUP", group, consumer, "COUNT", 1, "BLOCK", blockMs, "STREAMS", stream, ">"]).ConfigureAwait(false);
        return Parse(result);
    }

    // RESP2: [[stream, [[id, [field, value, …]], …]]]; RESP3: {stream: [[id, [field, value, …]], …]}.
    private static StreamEntry? Parse(RedisResult result)
    {
        if (result.IsNull || result.Resp2Type != ResultType.Array) return null;
        var streams = (RedisResult[])result!;
        if (streams.Length == 0) return null;
        var entries = result.Resp3Type == ResultType.Map ? streams[1] : ((RedisResult[])streams[0]!)[1];
        if (entries.IsNull) return null;
        var list = (RedisResult[])entries!;
        if (list.Length == 0) return null;
        var entry = (RedisResult[])list[0]!;
        if (entry[1].IsNull) return null;
        return StreamEntries.FromFlat((RedisValue)entry[0], (RedisValue[])entry[1]!);
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
