using System.Collections.Concurrent;
using System.Security.Cryptography;
using StackExchange.Redis;
using Vyra.Sdk;
using Vyra.Sdk.Redis;
using Xunit;
using static Vyra.Sdk.Redis.Tests.Bench;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>Who may speak on the wire: signed requests, replies and events; keys, their rotation and the senders they may sign for.</summary>
public sealed class WireSecurityTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static RedisWireKey NewKey(string id, params string[] senders) =>
        new(id, RandomNumberGenerator.GetBytes(32), senders.Length > 0 ? senders : null);

    private static async Task<(StubRuntime Stub, Func<int> Runs)> CountingStubAsync(Bench bench, string id)
    {
        var stub = await bench.StartStubAsync(id);
        var runs = 0;
        stub.RegisterHandler("run", (data, _) =>
        {
            Interlocked.Increment(ref runs);
            return ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(new Dictionary<string, object?> { ["result"] = "ran" });
        });
        return (stub, () => Volatile.Read(ref runs));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Unsigned_forged_and_foreign_key_requests_are_not_run_and_not_answered(bool blockingRead)
    {
        await using var bench = Create(redis);
        var (stub, runs) = await CountingStubAsync(bench, "target");
        var server = await bench.ServeAsync(bench.ServerOptions(blockingRead: blockingRead), stub);
        var probe = await WireProbe.CreateAsync(bench, bench.Security("caller"));
        var stranger = NewKey(bench.Key.Id); // same key id, another secret: a forged MAC

        var unsigned = WireProbe.Without(probe.Entry("target", "run"), "kid", "mac");
        var forged = (await WireProbe.CreateAsync(bench, RedisWireSecurity.Signed("caller", stranger))).Entry("target", "run");
        var unknownKey = (await WireProbe.CreateAsync(bench, RedisWireSecurity.Signed("caller", NewKey("k9")))).Entry("target", "run");
        var tampered = WireProbe.With(probe.Entry("target", "run"), "request", RemoteRequest.Body("target", "run", Args(("x", 1))));
        var garbageMac = WireProbe.With(probe.Entry("target", "run"), "mac", "not base64 at all");
        var hostile = new List<NameValueEntry[]> { unsigned, forged, unknownKey, tampered, garbageMac };
        // Every field the host uses is covered by the MAC: changing any one of them breaks it.
        var genuine = probe.Entry("target", "run", idempotencyKey: "k");
        foreach (var (field, value) in new (string, RedisValue)[]
                 {
                     ("sender", "caller2"), ("request_id", WireProbe.NewRequestId()), ("op", RemoteRequest.OpEvent),
                     ("deadline", DateTimeOffset.UtcNow.AddSeconds(30).ToUnixTimeMilliseconds()), ("idempotency_key", "k2"), ("kid", "k1x"),
                 })
        {
            hostile.Add(WireProbe.With(genuine, field, value));
        }
        // A request signed for another deployment (keyspace prefix) with the same key does not verify here.
        hostile.Add(RemoteRequest.ToEntry(probe.Signer, "other-deployment", WireProbe.NewRequestId(), RemoteRequest.Body("target", "run", Args()), RemoteRequest.OpCall,
            DateTimeOffset.UtcNow.AddSeconds(20).ToUnixTimeMilliseconds(), null));
        foreach (var entry in hostile) await probe.AddAsync("target", entry);

        await EventuallyAsync(() => server.RefusedCount == hostile.Count, what: "every hostile entry refused");
        Assert.Equal(0, runs());
        Assert.Empty(probe.RawReplies);
        Assert.Equal(0, await probe.StreamLengthAsync("target"));

        // A real caller with the deployment's key is served as before.
        var remote = await bench.RemoteAsync("target");
        Assert.Equal("ran", (await remote.CallAsync("run"))["result"]);
        Assert.Equal(1, runs());
    }

    [Fact]
    public async Task A_key_signs_only_for_the_senders_it_is_bound_to()
    {
        await using var bench = Create(redis);
        var (stub, runs) = await CountingStubAsync(bench, "target");
        var aliceKey = NewKey("alice-key", "alice");
        var server = await bench.ServeAsync(null, stub);

        // The options refuse it up front ...
        var connection = await bench.ConnectAsync();
        Assert.Throws<ArgumentException>(() => new RemotePluginRuntime("target", connection,
            new RemotePluginRuntimeOptions { Keyspace = bench.Keys, Security = RedisWireSecurity.Signed("admin", aliceKey) }));

        // ... and a hand-made entry claiming "admin" under alice's key is refused by a host that accepts that key.
        var hostAcceptingAlice = await bench.ServeAsync(bench.ServerOptions(hostName: "h2",
            security: new RedisWireSecurity { SenderId = "host", Keys = [bench.Key, aliceKey] }), (await CountingStubAsync(bench, "target2")).Stub);
        var probe = await WireProbe.CreateAsync(bench, new RedisWireSecurity { SenderId = "alice", Keys = [aliceKey, bench.Key] });
        var asAdmin = WireProbe.With(probe.Entry("target2", "run"), "sender", "admin");
        await probe.AddAsync("target2", asAdmin);
        await EventuallyAsync(() => hostAcceptingAlice.RefusedCount == 1, what: "the entry claiming admin refused");
        Assert.Equal(0, server.RefusedCount);
        Assert.Equal(0, runs());
    }

    [Fact]
    public async Task Keys_rotate_the_old_key_is_accepted_while_it_is_listed()
    {
        await using var bench = Create(redis);
        var k1 = NewKey("k1-old");
        var k2 = NewKey("k2-new");
        // Mid-rotation: every party accepts both, the host already signs with the new one.
        var midRotation = await bench.ServeAsync(bench.ServerOptions(hostName: "mid",
            security: new RedisWireSecurity { SenderId = "host", Keys = [k1, k2], SigningKeyId = "k2-new" }), (await CountingStubAsync(bench, "rot-a")).Stub);
        // After it: the old key is gone.
        var rotated = await bench.ServeAsync(bench.ServerOptions(hostName: "after",
            security: new RedisWireSecurity { SenderId = "host", Keys = [k2] }), (await CountingStubAsync(bench, "rot-b")).Stub);

        var oldCaller = new RedisWireSecurity { SenderId = "old-caller", Keys = [k1, k2], SigningKeyId = "k1-old" };
        var newCaller = new RedisWireSecurity { SenderId = "new-caller", Keys = [k2, k1] };
        Assert.Equal("ran", (await (await bench.RemoteAsync("rot-a", security: oldCaller)).CallAsync("run"))["result"]);
        Assert.Equal("ran", (await (await bench.RemoteAsync("rot-a", security: newCaller)).CallAsync("run"))["result"]);
        Assert.Equal("ran", (await (await bench.RemoteAsync("rot-b", security: newCaller)).CallAsync("run"))["result"]);

        var refused = await Assert.ThrowsAsync<PluginCallException>(async () =>
            await (await bench.RemoteAsync("rot-b", TimeSpan.FromMilliseconds(1500), security: oldCaller)).CallAsync("run"));
        Assert.Equal(PluginErrorKind.Timeout, refused.Kind);
        Assert.Equal(1, rotated.RefusedCount);
        Assert.Equal(0, midRotation.RefusedCount);
    }

    [Fact]
    public async Task A_forged_reply_is_ignored_and_the_real_one_is_delivered()
    {
        await using var bench = Create(redis);
        var stub = await bench.StartStubAsync("slow");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        stub.RegisterHandler("work", async (_, ct) =>
        {
            started.TrySetResult();
            await release.Task.WaitAsync(ct);
            return new Dictionary<string, object?> { ["result"] = 7 };
        });
        await bench.ServeAsync(null, stub);
        var remote = await bench.RemoteAsync("slow");
        var call = remote.CallAsync("work").AsTask();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(15));

        // The attacker reads the request id from the stream and answers first, unsigned and with a wrong key.
        var attacker = await bench.ConnectAsync();
        var entry = Assert.Single(await attacker.GetDatabase().StreamRangeAsync(bench.Keys.RequestStream("slow")));
        var requestId = (string)entry["request_id"]!;
        var fake = RemoteReply.Serialize(requestId, "slow", true, new Dictionary<string, object?> { ["result"] = 666 }, null, null, "evil", "host", null);
        var channel = RedisChannel.Literal(bench.Keys.ReplyChannel("caller"));
        await attacker.GetSubscriber().PublishAsync(channel, fake);
        var wrongKey = RedisWireSecurity.Signed("host", NewKey(bench.Key.Id)).CreateSigner("attacker");
        await attacker.GetSubscriber().PublishAsync(channel, wrongKey.Wrap(WireSigner.KindReply, bench.Keys.Prefix, "caller", fake));
        await EventuallyAsync(() => remote.RejectedReplyCount == 2, what: "both forged replies rejected");
        Assert.False(call.IsCompleted);

        release.SetResult();
        Assert.Equal(7, (await call)["result"]);
    }

    [Fact]
    public async Task Forged_replayed_and_unauthorized_events_are_dropped()
    {
        await using var bench = Create(redis);
        var trustedKey = NewKey("plugins", "plugin-host-*");
        var intruderKey = NewKey("intruder", "intruder");
        var allKeys = new[] { trustedKey, intruderKey };
        var receiver = new RedisEventBus(await bench.ConnectAsync(), new RedisWireSecurity { SenderId = "receiver", Keys = [.. allKeys, NewKey("receiver", "receiver")] }, bench.Keys,
            authorization: new RedisAuthorization().AllowEvents("plugin-host-*", "trusted-plugin"));
        bench.Defer(() => receiver.DisposeAsync());
        var delivered = new ConcurrentQueue<PluginEvent>();
        await using var subscription = await receiver.SubscribeAsync((e, _) => { delivered.Enqueue(e); return ValueTask.CompletedTask; });

        var attacker = (await bench.ConnectAsync()).GetSubscriber();
        var body = RedisEventBus.Serialize(new PluginEvent("door.open", "trusted-plugin", WireJson.ToElement("now")), "plugin-host-1", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        // 1. VYRA's bare JSON, as any Redis client can publish it.
        await attacker.PublishAsync(bench.Keys.EventChannel, RedisEventBus.Serialize(new PluginEvent("door.open", "trusted-plugin", WireJson.ToElement("now"))));
        // 2. Signed with a key id nobody lists.
        await attacker.PublishAsync(bench.Keys.EventChannel, RedisWireSecurity.Signed("plugin-host-1", NewKey("k9")).CreateSigner("a").Wrap(WireSigner.KindEvent, bench.Keys.Prefix, bench.Keys.EventChannelName, body));
        // 3. A captured genuine event replayed later (its signed send time is old).
        var old = RedisEventBus.Serialize(new PluginEvent("door.open", "trusted-plugin", WireJson.ToElement("then")), "plugin-host-1", DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeMilliseconds());
        await attacker.PublishAsync(bench.Keys.EventChannel, RedisWireSecurity.Signed("plugin-host-1", trustedKey).CreateSigner("a").Wrap(WireSigner.KindEvent, bench.Keys.Prefix, bench.Keys.EventChannelName, old));
        // 4. A holder of a real key publishing as a plugin it may not speak for.
        var intruder = new RedisEventBus(await bench.ConnectAsync(), RedisWireSecurity.Signed("intruder", intruderKey), bench.Keys);
        bench.Defer(() => intruder.DisposeAsync());
        await intruder.PublishAsync("trusted-plugin", "door.open", "now");
        // 5. Oversized.
        await attacker.PublishAsync(bench.Keys.EventChannel, new string('x', (1 << 20) + 1000));

        // The genuine one, published last on the same channel, arrives after all of the above were judged.
        var trusted = new RedisEventBus(await bench.ConnectAsync(), RedisWireSecurity.Signed("plugin-host-1", trustedKey), bench.Keys);
        bench.Defer(() => trusted.DisposeAsync());
        await trusted.PublishAsync("trusted-plugin", "door.open", "genuine");
        await EventuallyAsync(() => !delivered.IsEmpty, what: "the genuine event delivered");
        var only = Assert.Single(delivered);
        Assert.Equal("genuine", only.Data.GetString());
        Assert.Equal(5, receiver.DroppedCount);
    }

    [Fact]
    public async Task Without_keys_nothing_starts_unless_unauthenticated_mode_is_explicit()
    {
        await using var bench = Create(redis);
        var connection = await bench.ConnectAsync();
        Assert.Throws<ArgumentException>(() => new PluginServer(connection, new PluginServerOptions { Keyspace = bench.Keys }));
        Assert.Throws<InvalidOperationException>(() => new PluginServer(connection, new PluginServerOptions { Security = new RedisWireSecurity { SenderId = "host" } }));
        Assert.Throws<ArgumentException>(() => new RemotePluginRuntime("x", connection, new RemotePluginRuntimeOptions()));
        Assert.Throws<ArgumentNullException>(() => new RedisEventBus(connection, null!));
        Assert.Throws<ArgumentException>(() => new PluginServer(connection, new PluginServerOptions { Security = RedisWireSecurity.Unauthenticated("bad:name") }));

        // Development mode works end to end; a signed deployment still refuses its unsigned requests.
        var (stub, runs) = await CountingStubAsync(bench, "dev");
        await bench.ServeAsync(bench.ServerOptions(security: RedisWireSecurity.Unauthenticated("dev-host")), stub);
        var devCaller = await bench.RemoteAsync("dev", security: RedisWireSecurity.Unauthenticated("dev-caller"));
        Assert.Equal("ran", (await devCaller.CallAsync("run"))["result"]);

        var (signedStub, signedRuns) = await CountingStubAsync(bench, "prod");
        var signedHost = await bench.ServeAsync(bench.ServerOptions(hostName: "prod"), signedStub);
        var devToProd = await bench.RemoteAsync("prod", TimeSpan.FromMilliseconds(1000), security: RedisWireSecurity.Unauthenticated("dev-caller"));
        Assert.Equal(PluginErrorKind.Timeout, (await Assert.ThrowsAsync<PluginCallException>(async () => await devToProd.CallAsync("run"))).Kind);
        Assert.Equal(1, signedHost.RefusedCount);
        Assert.Equal(0, signedRuns());
        Assert.Equal(1, runs());
    }
}
