using StackExchange.Redis;
using Vyra.Sdk;
using Vyra.Sdk.Redis;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>One test's world on a shared redis-server: its own key prefix, connections, hosts and runtimes, disposed in reverse.</summary>
internal sealed class Bench : IAsyncDisposable
{
    private readonly Stack<Func<ValueTask>> _cleanup = new();

    private Bench(RedisServerFixture redis)
    {
        Redis = redis;
    }

    public RedisServerFixture Redis { get; }

    /// <summary>A prefix of this test's own, so tests sharing a server never see each other's streams.</summary>
    public RedisKeyspace Keys { get; } = new("t" + Guid.NewGuid().ToString("N")[..10]);

    public static Bench Create(RedisServerFixture redis) => new(redis);

    /// <summary>The key every party of a test signs with unless the test says otherwise (fresh per test).</summary>
    public RedisWireKey Key { get; } = new("k1", System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>Signed mode as <paramref name="sender"/> with <paramref name="keys"/> (default: <see cref="Key"/>).</summary>
    public RedisWireSecurity Security(string sender, params RedisWireKey[] keys) => RedisWireSecurity.Signed(sender, keys.Length > 0 ? keys : [Key]);

    public static string PluginPath(string id) => Path.Combine(AppContext.BaseDirectory, "plugins", id, "1.0.0", "logic.wasm");

    /// <summary>A connection to the fixture's server; <paramref name="extra"/> adds options (e.g. <c>user=u,password=p</c>).</summary>
    public async Task<ConnectionMultiplexer> ConnectAsync(string? extra = null)
    {
        var connection = extra is null ? await Redis.ConnectAsync() : await VyraRedis.ConnectAsync($"{Redis.Configuration},{extra}");
        _cleanup.Push(async () => await connection.DisposeAsync());
        // Fail-fast connections refuse commands until connected; tests act at once, so wait for it (Redis is up here).
        // Both links: commands and the subscription link (a SUBSCRIBE straight after connecting failed once in CI).
        await EventuallyAsync(() => (connection.IsConnected && connection.GetSubscriber().IsConnected()) || !Redis.IsRunning, what: "the connection is up");
        return connection;
    }

    public async Task<PluginRuntime> StartLocalAsync(string id, IHostFunctions? host = null)
    {
        var runtime = PluginRuntime.Create(id, PluginPath(id), host);
        _cleanup.Push(() => runtime.DisposeAsync());
        await runtime.StartAsync();
        return runtime;
    }

    public async Task<StubRuntime> StartStubAsync(string id)
    {
        var runtime = new StubRuntime(id);
        _cleanup.Push(() => runtime.DisposeAsync());
        await runtime.StartAsync();
        return runtime;
    }

    public PluginServerOptions ServerOptions(TimeSpan? claimTimeout = null, TimeSpan? shutdownGrace = null, string? hostName = null,
        RedisWireSecurity? security = null, RedisAuthorization? authorization = null, int maxDeliveries = 5, int maxRequestBytes = 1 << 20,
        bool blockingRead = false) => new()
    {
        // The blocking read's own connection, made from the same options as the fixture's connections.
        ReadConfiguration = blockingRead ? VyraRedis.Configure(Redis.Configuration) : null,
        Keyspace = Keys,
        Security = security ?? Security("host"),
        Authorization = authorization,
        MaxDeliveries = maxDeliveries,
        MaxRequestBytes = maxRequestBytes,
        HostName = hostName,
        ClaimTimeout = claimTimeout ?? TimeSpan.FromSeconds(10),
        ShutdownGrace = shutdownGrace ?? TimeSpan.FromSeconds(5),
    };

    /// <summary>A host on its own connection (as another process would have) serving <paramref name="runtimes"/>.</summary>
    public Task<PluginServer> ServeAsync(PluginServerOptions? options, params PluginRuntime[] runtimes) => ServeOnAsync(null, options, runtimes);

    /// <summary>A host on <paramref name="connection"/> (null: its own).</summary>
    public async Task<PluginServer> ServeOnAsync(IConnectionMultiplexer? connection, PluginServerOptions? options, params PluginRuntime[] runtimes)
    {
        connection ??= await ConnectAsync();
        var server = new PluginServer(connection, options ?? ServerOptions());
        foreach (var runtime in runtimes) server.Serve(runtime);
        _cleanup.Push(() => server.DisposeAsync());
        await server.StartAsync();
        return server;
    }

    /// <summary>A started remote runtime on its own connection.</summary>
    public async Task<RemotePluginRuntime> RemoteAsync(string pluginId, TimeSpan? callTimeout = null, IConnectionMultiplexer? connection = null,
        RedisWireSecurity? security = null, int? maxRequestBytes = null)
    {
        connection ??= await ConnectAsync();
        var remote = new RemotePluginRuntime(pluginId, connection, new RemotePluginRuntimeOptions
        {
            Keyspace = Keys,
            Security = security ?? Security("caller"),
            CallTimeout = callTimeout ?? TimeSpan.FromSeconds(30),
            MaxRequestBytes = maxRequestBytes ?? 1 << 20,
        });
        _cleanup.Push(() => remote.DisposeAsync());
        await remote.StartAsync();
        return remote;
    }

    public void Defer(Func<ValueTask> cleanup) => _cleanup.Push(cleanup);

    public async ValueTask DisposeAsync()
    {
        while (_cleanup.TryPop(out var cleanup)) await cleanup();
    }

    /// <summary>Waits until <paramref name="condition"/> holds (generous: the machine is shared).</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan? within = null, string? what = null)
    {
        var until = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(15));
        while (DateTime.UtcNow < until)
        {
            if (await condition()) return;
            await Task.Delay(25);
        }
        if (!await condition()) throw new TimeoutException($"not reached in time: {what ?? "condition"}");
    }

    public static Task EventuallyAsync(Func<bool> condition, TimeSpan? within = null, string? what = null) =>
        EventuallyAsync(() => Task.FromResult(condition()), within, what);

    public static Dictionary<string, object?> Args(params (string Key, object? Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value);
}
