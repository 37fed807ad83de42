using StackExchange.Redis;
using Vyra.Sdk;
using Vyra.Sdk.Redis;
using Xunit;
using static Vyra.Sdk.Redis.Tests.Bench;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>Hosts and callers connected as Redis ACL users limited to one deployment's keys and channels (see docs/redis.md).</summary>
public sealed class RedisAclTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    /// <summary>The commands the wire uses, and nothing else: no admin, no KEYS/FLUSHALL/CONFIG SET, no other prefix.</summary>
    internal static readonly string[] WireCommands =
    [
        "+ping", "+echo", "+info", "+client|setname", "+client|id", "+client|info", "+hello", "+auth", "+select", "+cluster|nodes", "+config|get", "+subscribe", "+unsubscribe",
        "+psubscribe", "+punsubscribe", "+publish", "+get", "+set", "+del", "+exists", "+type", "+xadd", "+xdel", "+xack", "+xreadgroup",
        "+xautoclaim", "+xclaim", "+xpending", "+xgroup|create", "+xrange", "+xlen", "+eval", "+evalsha", "+script|load", "+script|exists",
    ];

    [Fact]
    public async Task Hosts_and_callers_work_as_an_ACL_user_limited_to_their_prefix()
    {
        await using var bench = Create(redis);
        var user = "vyra-" + bench.Keys.Prefix;
        var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var admin = await bench.ConnectAsync();
        var setUser = new List<object> { "SETUSER", user, "reset", "on", ">" + password, $"~{bench.Keys.Prefix}:*", $"&{bench.Keys.Prefix}:*", "-@all" };
        setUser.AddRange(WireCommands);
        await admin.GetDatabase().ExecuteAsync("ACL", [.. setUser]);
        bench.Defer(async () => await admin.GetDatabase().ExecuteAsync("ACL", "DELUSER", user));

        var limited = await bench.ConnectAsync($"user={user},password={password}");
        var stub = await bench.StartStubAsync("acl-echo");
        stub.RegisterHandler("echo", (data, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(new Dictionary<string, object?> { ["result"] = data["text"] }));
        await bench.ServeOnAsync(limited, null, stub);
        var remote = await bench.RemoteAsync("acl-echo", connection: await bench.ConnectAsync($"user={user},password={password}"));
        Assert.Equal("hi", (await remote.CallAsync("echo", Args(("text", "hi"))))["result"]);
        Assert.Equal("idem", (await remote.CallAsync("echo", Args(("text", "idem")), new RemoteCallOptions { IdempotencyKey = "k" }))["result"]);

        // A host reading blocking on a connection of its own, as the same user: XREADGROUP with BLOCK needs nothing more.
        var blocking = await bench.StartStubAsync("acl-block");
        blocking.RegisterHandler("echo", (data, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(new Dictionary<string, object?> { ["result"] = data["text"] }));
        var options = bench.ServerOptions();
        await bench.ServeOnAsync(limited, new PluginServerOptions
        {
            Keyspace = options.Keyspace,
            Security = options.Security,
            ReadConfiguration = VyraRedis.Configure($"{redis.Configuration},user={user},password={password},name=reader-{bench.Keys.Prefix}"),
        }, blocking);
        var blockingRemote = await bench.RemoteAsync("acl-block", connection: limited);
        Assert.Equal("blocked", (await blockingRemote.CallAsync("echo", Args(("text", "blocked"))))["result"]);
        var clients = (string?)await (await bench.ConnectAsync("allowAdmin=true")).GetDatabase().ExecuteAsync("CLIENT", "LIST") ?? "";
        Assert.Contains(clients.Split('\n'), line => line.Contains($" name=reader-{bench.Keys.Prefix} ", StringComparison.Ordinal) && line.Contains($" user={user} ", StringComparison.Ordinal));

        // Outside its prefix, and for commands the wire does not use, the user is refused by Redis itself.
        var db = limited.GetDatabase();
        Assert.Contains("NOPERM", (await Assert.ThrowsAsync<RedisServerException>(() => db.StringSetAsync("elsewhere:key", "x"))).Message);
        Assert.Contains("NOPERM", (await Assert.ThrowsAsync<RedisServerException>(() => db.PublishAsync(RedisChannel.Literal("elsewhere:channel"), "x"))).Message);
        Assert.Contains("NOPERM", (await Assert.ThrowsAsync<RedisServerException>(() => db.ListLeftPushAsync($"{bench.Keys.Prefix}:list", "x"))).Message);
        Assert.Contains("NOPERM", (await Assert.ThrowsAsync<RedisServerException>(() => db.ExecuteAsync("ACL", "WHOAMI"))).Message);
    }

    /// <summary>What the interface factory adds to <see cref="WireCommands"/>: the list commands its scripts run (docs/redis.md).</summary>
    internal static readonly string[] BusCommands = ["+llen", "+lpush", "+rpop", "+ltrim", "+pexpire"];

    [Fact]
    public async Task The_interface_factory_works_as_an_ACL_user_with_the_documented_commands()
    {
        await using var bench = Create(redis);
        var user = "vyra-bus-" + bench.Keys.Prefix;
        var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var admin = await bench.ConnectAsync();
        var setUser = new List<object> { "SETUSER", user, "reset", "on", ">" + password, $"~{bench.Keys.Prefix}:*", $"&{bench.Keys.Prefix}:*", "-@all" };
        setUser.AddRange(WireCommands);
        setUser.AddRange(BusCommands);
        await admin.GetDatabase().ExecuteAsync("ACL", [.. setUser]);
        bench.Defer(async () => await admin.GetDatabase().ExecuteAsync("ACL", "DELUSER", user));

        async Task<RedisInterfaceFactory> FactoryAsync(string sender)
        {
            var factory = new RedisInterfaceFactory(await bench.ConnectAsync($"user={user},password={password}"), new RedisInterfaceFactoryOptions { Security = bench.Security(sender), Keyspace = bench.Keys });
            bench.Defer(() => factory.DisposeAsync());
            return factory;
        }
        var a = await FactoryAsync("host-a");
        var b = await FactoryAsync("host-b");
        var address = new InterfaceAddress("calc", null, "echo");
        await using var server = await b.CreateServerAsync(address, (request, _) => ValueTask.FromResult(new ServiceResponse("echo", true, request.Data)));
        var received = new System.Collections.Concurrent.ConcurrentQueue<PluginEvent>();
        await using var subscription = await b.CreateSubscriberAsync(address, (e, _) => { received.Enqueue(e); return ValueTask.CompletedTask; });

        var data = System.Text.Json.JsonDocument.Parse("[1,2]").RootElement;
        var reply = await (await a.CreateClientAsync(address)).RequestAsync(new ServiceRequest("p", "echo", data), TimeSpan.FromSeconds(10));
        Assert.True(reply.Success, reply.Error);
        Assert.Equal("[1,2]", reply.Data.GetRawText());
        await (await a.CreatePublisherAsync(address)).PublishAsync(new PluginEvent("echo", "p", data));
        await EventuallyAsync(() => received.Count == 1, what: "the event delivered");
        Assert.Equal(0, a.DroppedCount + b.DroppedCount);
    }
}
