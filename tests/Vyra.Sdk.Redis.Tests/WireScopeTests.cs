using System.Security.Cryptography;
using StackExchange.Redis;
using Vyra.Sdk;
using Vyra.Sdk.Redis;
using Xunit;
using static Vyra.Sdk.Redis.Tests.Bench;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>What an authenticated sender can reach: the authorization map, reply locations, idempotency scopes, replays.</summary>
public sealed class WireScopeTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static async Task<(StubRuntime Stub, Func<int> Runs)> MulAsync(Bench bench, string id, int offset = 0)
    {
        var stub = await bench.StartStubAsync(id);
        var runs = 0;
        stub.RegisterHandler("mul", (data, _) =>
        {
            Interlocked.Increment(ref runs);
            return ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(new Dictionary<string, object?>
            {
                ["result"] = Convert.ToInt32(data["a"]) * Convert.ToInt32(data["b"]) + offset,
            });
        });
        stub.RegisterHandler("add", (data, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(new Dictionary<string, object?>
        {
            ["result"] = Convert.ToInt32(data["a"]) + Convert.ToInt32(data["b"]),
        }));
        return (stub, () => Volatile.Read(ref runs));
    }

    [Fact]
    public async Task Senders_call_only_what_the_authorization_map_allows()
    {
        await using var bench = Create(redis);
        var hostKey = new RedisWireKey("host", RandomNumberGenerator.GetBytes(32), ["host"]);
        var aliceKey = new RedisWireKey("alice", RandomNumberGenerator.GetBytes(32), ["alice"]);
        var bobKey = new RedisWireKey("bob", RandomNumberGenerator.GetBytes(32), ["bob"]);
        var (math, runs) = await MulAsync(bench, "math");
        await bench.ServeAsync(bench.ServerOptions(
            security: new RedisWireSecurity { SenderId = "host", Keys = [hostKey, aliceKey, bobKey] },
            authorization: new RedisAuthorization().AllowCalls("alice", "math", "a*").AllowCalls("ops-*", "*")), math);
        var alice = await bench.RemoteAsync("math", security: new RedisWireSecurity { SenderId = "alice", Keys = [aliceKey, hostKey] });
        var bob = await bench.RemoteAsync("math", security: new RedisWireSecurity { SenderId = "bob", Keys = [bobKey, hostKey] });

        Assert.Equal(5, (await alice.CallAsync("add", Args(("a", 2), ("b", 3))))["result"]);
        var notThat = await Assert.ThrowsAsync<PluginCallException>(async () => await alice.CallAsync("mul", Args(("a", 2), ("b", 3))));
        Assert.Equal(PluginErrorKind.PermissionDenied, notThat.Kind);
        Assert.Contains("'alice' may not call 'mul'", notThat.Message);
        var notAtAll = await Assert.ThrowsAsync<PluginCallException>(async () => await bob.CallAsync("add", Args(("a", 2), ("b", 3))));
        Assert.Equal(PluginErrorKind.PermissionDenied, notAtAll.Kind);
        var noEvents = await Assert.ThrowsAsync<PluginCallException>(async () => await alice.OnEventAsync("x.y"));
        Assert.Equal(PluginErrorKind.PermissionDenied, noEvents.Kind);
        Assert.Equal(0, runs());
    }

    [Fact]
    public async Task A_request_cannot_choose_where_it_is_answered()
    {
        await using var bench = Create(redis);
        var (math, _) = await MulAsync(bench, "math");
        var server = await bench.ServeAsync(null, math);
        var probe = await WireProbe.CreateAsync(bench, bench.Security("caller"));
        var victim = (RedisKey)$"{bench.Keys.Prefix}:req:other-plugin";
        await probe.Db.StreamAddAsync(victim, "keep", "me");

        // The old wire's reply fields, aimed at another plugin's stream and at the event channel: ignored.
        var entry = probe.Entry("math", "mul", Args(("a", 3), ("b", 4)));
        entry = WireProbe.With(entry, "reply_key", (string)victim!);
        entry = WireProbe.With(entry, "reply_to", bench.Keys.EventChannelName);
        await probe.AddAsync("math", entry);
        var reply = await probe.ReplyAsync(WireProbe.RequestId(entry));
        Assert.True(reply.Success);
        Assert.Equal(RedisType.Stream, await probe.Db.KeyTypeAsync(victim));
        Assert.Equal(1, await probe.Db.StreamLengthAsync(victim));
        Assert.Empty(probe.Events);
        Assert.True(await probe.Db.KeyExistsAsync(bench.Keys.ReplyKey("caller", WireProbe.RequestId(entry))));

        // Names that would add segments to derived keys are refused outright, signed or not.
        var sneaky = await WireProbe.CreateAsync(bench, bench.Security("caller"));
        await sneaky.AddAsync("math", WireProbe.With(sneaky.Entry("math", "mul", Args(("a", 1), ("b", 1))), "request_id", "x:*"));
        await EventuallyAsync(() => server.RefusedCount == 1, what: "the request id with ':' refused");
    }

    [Fact]
    public async Task Idempotency_keys_are_scoped_by_sender_plugin_and_function_and_bound_to_the_arguments()
    {
        await using var bench = Create(redis);
        var (a, runsA) = await MulAsync(bench, "plugin-a");
        var (b, runsB) = await MulAsync(bench, "plugin-b", offset: 1000);
        await bench.ServeAsync(null, a, b);
        var callerA = await bench.RemoteAsync("plugin-a");
        var callerB = await bench.RemoteAsync("plugin-b");
        var key = new RemoteCallOptions { IdempotencyKey = "shared-key" };

        Assert.Equal(2, (await callerA.CallAsync("mul", Args(("a", 1), ("b", 2)), key))["result"]);
        // The same key for another plugin is that plugin's own call (it was answered 2 before).
        Assert.Equal(1012, (await callerB.CallAsync("mul", Args(("a", 3), ("b", 4)), key))["result"]);
        // A retry with the same arguments (in another order) gets the first reply without running.
        Assert.Equal(2, (await callerA.CallAsync("mul", Args(("b", 2), ("a", 1)), key))["result"]);
        Assert.Equal(1, runsA());
        // Other arguments under the same key are refused, not answered with the first result.
        var reused = await Assert.ThrowsAsync<PluginCallException>(async () => await callerA.CallAsync("mul", Args(("a", 5), ("b", 6)), key));
        Assert.Equal(PluginErrorKind.InvalidArgument, reused.Kind);
        Assert.Contains("other arguments", reused.Message);
        // Another function, or another sender, has its own scope.
        Assert.Equal(3, (await callerA.CallAsync("add", Args(("a", 1), ("b", 2)), key))["result"]);
        var otherSender = await bench.RemoteAsync("plugin-a", security: bench.Security("someone-else"));
        Assert.Equal(30, (await otherSender.CallAsync("mul", Args(("a", 5), ("b", 6)), key))["result"]);
        Assert.Equal(2, runsA());
        Assert.Equal(1, runsB());
    }

    [Fact]
    public async Task A_cached_reply_is_vouched_for_by_the_host_that_sends_it()
    {
        await using var bench = Create(redis);
        var keyA = new RedisWireKey("host-a", RandomNumberGenerator.GetBytes(32), ["host-a"]);
        var keyB = new RedisWireKey("host-b", RandomNumberGenerator.GetBytes(32), ["host-b"]);
        var callerKey = new RedisWireKey("caller", RandomNumberGenerator.GetBytes(32), ["caller"]);
        var (first, runsFirst) = await MulAsync(bench, "math");
        var a = await bench.ServeAsync(bench.ServerOptions(hostName: "a", security: new RedisWireSecurity { SenderId = "host-a", Keys = [keyA, callerKey] }), first);
        var remote = await bench.RemoteAsync("math", security: new RedisWireSecurity { SenderId = "caller", Keys = [callerKey, keyA, keyB] });
        var once = new RemoteCallOptions { IdempotencyKey = "order-1" };
        Assert.Equal(12, (await remote.CallAsync("mul", Args(("a", 3), ("b", 4)), once))["result"]);
        await a.DisposeAsync();

        // Host b answers the retry from the cache host a filled, and signs it as itself.
        var (second, runsSecond) = await MulAsync(bench, "math");
        await bench.ServeAsync(bench.ServerOptions(hostName: "b", security: new RedisWireSecurity { SenderId = "host-b", Keys = [keyB, callerKey] }), second);
        Assert.Equal(12, (await remote.CallAsync("mul", Args(("a", 3), ("b", 4)), once))["result"]);
        Assert.Equal(1, runsFirst());
        Assert.Equal(0, runsSecond());
        Assert.Equal(0, remote.RejectedReplyCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_copied_request_is_not_run_again(bool blockingRead)
    {
        await using var bench = Create(redis);
        var (math, runs) = await MulAsync(bench, "math");
        var (other, otherRuns) = await MulAsync(bench, "other");
        var server = await bench.ServeAsync(bench.ServerOptions(blockingRead: blockingRead), math, other);
        var probe = await WireProbe.CreateAsync(bench, bench.Security("caller"));

        var entry = probe.Entry("math", "mul", Args(("a", 6), ("b", 7)));
        await probe.AddAsync("math", entry);
        Assert.Equal(42, (await probe.ReplyAsync(WireProbe.RequestId(entry))).Data!.Value.GetProperty("result").GetInt32());
        // Captured and added again, to its own stream and to another plugin's.
        await probe.AddAsync("math", entry);
        await probe.AddAsync("other", entry);
        await EventuallyAsync(() => server.RefusedCount == 2, what: "both copies refused");
        Assert.Equal(1, runs());
        Assert.Equal(0, otherRuns());
        Assert.Single(probe.RawReplies);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_forged_or_misplaced_copy_taken_first_does_not_block_the_genuine_request(bool blockingRead)
    {
        await using var bench = Create(redis);
        var (math, runs) = await MulAsync(bench, "math");
        var (other, otherRuns) = await MulAsync(bench, "other");
        var server = await bench.ServeAsync(bench.ServerOptions(blockingRead: blockingRead), math, other);
        var probe = await WireProbe.CreateAsync(bench, bench.Security("caller"));
        // Same sender and key id, another secret: its MACs do not verify.
        var forger = await WireProbe.CreateAsync(bench, RedisWireSecurity.Signed("caller", new RedisWireKey(bench.Key.Id, RandomNumberGenerator.GetBytes(32))));
        var requestId = WireProbe.NewRequestId();
        var guard = bench.Keys.SeenKey("math", "caller", requestId);

        // 1. A forged entry naming the request id of a genuine request, taken before it: refused, and its take's
        //    replay guard (set before the MAC is checked, in the same round trip as the take) is released with its
        //    acknowledgement, before it is counted. (A blocking read sets the guard after the MAC check: none is set.)
        await probe.AddAsync("math", forger.Entry("math", "mul", Args(("a", 1), ("b", 1)), requestId: requestId));
        await EventuallyAsync(() => server.RefusedCount == 1, what: "the forged entry refused");
        Assert.False(await probe.Db.KeyExistsAsync(guard));

        // 2. The genuine request copied into another plugin's stream and taken there first: refused there; the guard is per plugin.
        var genuine = probe.Entry("math", "mul", Args(("a", 6), ("b", 7)), requestId: requestId);
        await probe.AddAsync("other", genuine);
        await EventuallyAsync(() => server.RefusedCount == 2, what: "the misplaced copy refused");

        // 3. The genuine entry runs once and is answered; its guard stays, so a replay of it is still refused.
        await probe.AddAsync("math", genuine);
        Assert.Equal(42, (await probe.ReplyAsync(requestId)).Data!.Value.GetProperty("result").GetInt32());
        Assert.True(await probe.Db.KeyExistsAsync(guard));
        await probe.AddAsync("math", genuine);
        await EventuallyAsync(() => server.RefusedCount == 3, what: "the replay refused");

        // 4. A forged entry naming it now: refused, removed, and the genuine request's guard is not its to release.
        await probe.AddAsync("math", forger.Entry("math", "mul", Args(("a", 2), ("b", 2)), requestId: requestId));
        await EventuallyAsync(() => server.RefusedCount == 4, what: "the late forgery refused");
        Assert.Equal(0, await probe.StreamLengthAsync("math"));
        Assert.Equal(0, await probe.StreamLengthAsync("other"));
        Assert.True(await probe.Db.KeyExistsAsync(guard));
        Assert.Equal(1, runs());
        Assert.Equal(0, otherRuns());
        Assert.Single(probe.RawReplies);
    }
}
