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

        // Outside its prefix, and for commands the wire does not use, the user is refused by Redis itself.
        var db = limited.GetDatabase();
        Assert.Contains("NOPERM", (await Assert.ThrowsAsync<RedisServerException>(() => db.StringSetAsync("elsewhere:key", "x"))).Message);
        Assert.Contains("NOPERM", (await Assert.ThrowsAsync<RedisServerException>(() => db.PublishAsync(RedisChannel.Literal("elsewhere:channel"), "x"))).Message);
        Assert.Contains("NOPERM", (await Assert.ThrowsAsync<RedisServerException>(() => db.ListLeftPushAsync($"{bench.Keys.Prefix}:list", "x"))).Message);
        Assert.Contains("NOPERM", (await Assert.ThrowsAsync<RedisServerException>(() => db.ExecuteAsync("ACL", "WHOAMI"))).Message);
    }
}
