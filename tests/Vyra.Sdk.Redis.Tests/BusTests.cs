using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using StackExchange.Redis;
using Vyra.Sdk;
using Vyra.Sdk.Redis;
using Xunit;
using static Vyra.Sdk.Redis.Tests.Bench;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>
/// The interface factory over Redis between two "hosts": each factory on its own connection, as two processes would be.
/// Topics over pub/sub, services over a shared list, signed messages, bounds, and disposal.
/// </summary>
public sealed class BusTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly InterfaceAddress Temperature = new("sensors", null, "temperature");
    private static readonly InterfaceAddress Add = new("calc", null, "add");

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static async Task<RedisInterfaceFactory> FactoryAsync(Bench bench, string sender, Func<RedisInterfaceFactoryOptions, RedisInterfaceFactoryOptions>? configure = null, RedisWireKey? key = null)
    {
        var options = new RedisInterfaceFactoryOptions { Security = bench.Security(sender, key ?? bench.Key), Keyspace = bench.Keys, ShutdownGrace = TimeSpan.FromSeconds(2) };
        var factory = new RedisInterfaceFactory(await bench.ConnectAsync(), configure?.Invoke(options) ?? options);
        bench.Defer(() => factory.DisposeAsync());
        return factory;
    }

    /// <summary>A server answering <c>{"sum": a + b}</c> as plugin <paramref name="pluginId"/>, counting what it ran.</summary>
    private static Func<ServiceRequest, CancellationToken, ValueTask<ServiceResponse>> Adder(string pluginId, ConcurrentBag<long>? ran = null) => (request, _) =>
    {
        var a = request.Data.GetProperty("a").GetInt64();
        var b = request.Data.GetProperty("b").GetInt64();
        ran?.Add(a);
        return ValueTask.FromResult(new ServiceResponse(pluginId, true, Json($$"""{"sum":{{a + b}}}""")));
    };

    private static ServiceRequest AddRequest(long a, long b = 1000) => new("caller-plugin", "add", Json($$"""{"a":{{a}},"b":{{b}}}"""));

    [Fact]
    public async Task An_event_published_on_one_host_reaches_the_subscribers_of_that_address_on_another()
    {
        await using var bench = Create(redis);
        var a = await FactoryAsync(bench, "host-a");
        var b = await FactoryAsync(bench, "host-b");
        var received = new ConcurrentQueue<PluginEvent>();
        var otherInstance = new ConcurrentQueue<PluginEvent>();
        await using var subscription = await b.CreateSubscriberAsync(Temperature, (e, _) => { received.Enqueue(e); return ValueTask.CompletedTask; });
        await using var instance = await b.CreateSubscriberAsync(new InterfaceAddress("sensors", "lab-1", "temperature"), (e, _) => { otherInstance.Enqueue(e); return ValueTask.CompletedTask; });

        // What crosses the wire, as any Redis client sees it: VYRA's plugin_event inside the signed envelope.
        var raw = new ConcurrentQueue<string>();
        var spy = (await bench.ConnectAsync()).GetSubscriber();
        await spy.SubscribeAsync(bench.Keys.TopicChannel(Temperature), (_, m) => raw.Enqueue(m!));

        await using var publisher = await a.CreatePublisherAsync(Temperature);
        await publisher.PublishAsync(new PluginEvent("temperature", "thermo", Json("""{"celsius":21.5}""")));
        await publisher.PublishAsync(new PluginEvent("temperature", "thermo", Json("null"), "sensor offline"));

        await EventuallyAsync(() => received.Count == 2, what: "both events on host B");
        var first = received.First();
        Assert.Equal(("temperature", "thermo", 21.5, (string?)null), (first.EventName, first.PluginId, first.Data.GetProperty("celsius").GetDouble(), first.Error));
        Assert.Equal("sensor offline", received.Last().Error);
        Assert.Equal(JsonValueKind.Null, received.Last().Data.ValueKind);
        // Routing is by the whole address: the instance's topic is another topic.
        Assert.Empty(otherInstance);

        await EventuallyAsync(() => raw.Count == 2, what: "the spy saw both");
        var message = raw.First();
        Assert.StartsWith($"vyra1:{bench.Key.Id}:", message);
        var json = JsonDocument.Parse(message[(message.IndexOf('{'))..]).RootElement;
        Assert.Equal(["event_name", "plugin_id", "data", "error", "sender", "sent"], json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("host-a", json.GetProperty("sender").GetString());
        Assert.Equal(0, b.DroppedCount);
    }

    [Fact]
    public async Task A_request_from_one_host_is_served_by_another_in_VYRAs_shapes()
    {
        await using var bench = Create(redis);
        var a = await FactoryAsync(bench, "host-a");
        var b = await FactoryAsync(bench, "host-b");
        ServiceRequest? seen = null;
        await using var server = await b.CreateServerAsync(Add, (request, ct) =>
        {
            seen = request;
            return Adder("math-kit")(request, ct);
        });
        await using var client = await a.CreateClientAsync(Add);

        var reply = await client.RequestAsync(AddRequest(41, 1), TimeSpan.FromSeconds(10));

        Assert.True(reply.Success, reply.Error);
        Assert.Equal("math-kit", reply.PluginId);
        Assert.Equal(42, reply.Data.GetProperty("sum").GetInt64());
        Assert.Null(reply.Error);
        Assert.Equal(("caller-plugin", "add"), (seen!.PluginId, seen.FunctionName));
        Assert.Equal(0, a.PendingRequestCount);
        Assert.Equal(0, await (await bench.ConnectAsync()).GetDatabase().ListLengthAsync(bench.Keys.ServiceQueue(Add)));
    }

    [Fact]
    public async Task Servers_on_two_hosts_share_a_service_and_each_request_runs_exactly_once()
    {
        await using var bench = Create(redis);
        var client = await (await FactoryAsync(bench, "host-a")).CreateClientAsync(Add);
        var ranOn = new ConcurrentDictionary<long, ConcurrentBag<string>>();
        var started = new ConcurrentDictionary<string, TaskCompletionSource>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Func<ServiceRequest, CancellationToken, ValueTask<ServiceResponse>> Server(string name) => async (request, ct) =>
        {
            var a = request.Data.GetProperty("a").GetInt64();
            ranOn.GetOrAdd(a, _ => []).Add(name);
            started.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            await release.Task;
            return new ServiceResponse(name, true, Json($$"""{"sum":{{a + request.Data.GetProperty("b").GetInt64()}}}"""));
        };
        // One request at a time each: while B holds the first request, only C can take the second.
        var b = await FactoryAsync(bench, "host-b", o => o with { MaxConcurrentRequests = 1 });
        var c = await FactoryAsync(bench, "host-c", o => o with { MaxConcurrentRequests = 1 });
        await using var serverB = await b.CreateServerAsync(Add, Server("host-b"));
        await using var serverC = await c.CreateServerAsync(Add, Server("host-c"));

        var firstTwo = new[] { client.RequestAsync(AddRequest(0), TimeSpan.FromSeconds(15)).AsTask(), client.RequestAsync(AddRequest(1), TimeSpan.FromSeconds(15)).AsTask() };
        await EventuallyAsync(() => started.Count == 2, what: "both hosts took a request");
        release.SetResult();
        var rest = Enumerable.Range(2, 58).Select(n => client.RequestAsync(AddRequest(n), TimeSpan.FromSeconds(15)).AsTask());
        var replies = await Task.WhenAll(firstTwo.Concat(rest));

        Assert.All(replies.Select((r, n) => (r, n)), x => Assert.Equal(x.n + 1000, x.r.Data.GetProperty("sum").GetInt64()));
        Assert.Equal(60, ranOn.Count);
        Assert.All(ranOn.Values, hosts => Assert.Single(hosts));
        Assert.Equal(["host-b", "host-c"], replies.Select(r => r.PluginId).Distinct().Order());
    }

    [Fact]
    public async Task Without_a_server_a_request_times_out_and_a_server_started_later_skips_it()
    {
        await using var bench = Create(redis);
        var a = await FactoryAsync(bench, "host-a");
        await using var client = await a.CreateClientAsync(Add);

        var reply = await client.RequestAsync(AddRequest(1), TimeSpan.FromMilliseconds(300));

        Assert.False(reply.Success);
        Assert.Equal("timeout", reply.Error);
        Assert.Null(reply.PluginId);
        Assert.Equal(JsonValueKind.Null, reply.Data.ValueKind);
        Assert.Equal(0, a.PendingRequestCount);

        // The request still waits in the list; a server taking it now must not run it: its client gave up.
        var b = await FactoryAsync(bench, "host-b");
        var ran = new ConcurrentBag<long>();
        await using var server = await b.CreateServerAsync(Add, Adder("math-kit", ran));
        await EventuallyAsync(() => b.ExpiredCount == 1, what: "the expired request skipped");
        Assert.Empty(ran);
        Assert.Equal(1001, (await client.RequestAsync(AddRequest(1), TimeSpan.FromSeconds(10))).Data.GetProperty("sum").GetInt64());
    }

    [Fact]
    public async Task A_timeout_longer_than_the_transports_ceiling_is_cut_to_it_not_refused()
    {
        await using var bench = Create(redis);
        var a = await FactoryAsync(bench, "host-a", o => o with { MaxRequestTimeout = TimeSpan.FromMilliseconds(300) });
        await using var client = await a.CreateClientAsync(Add);

        // A host's PluginBusOptions.RequestTimeout may exceed the Redis ceiling: the request waits the ceiling, then
        // answers VYRA's timeout, instead of failing every guest request with an argument error.
        var reply = await client.RequestAsync(AddRequest(1), TimeSpan.FromHours(1)).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(reply.Success);
        Assert.Equal("timeout", reply.Error);
    }

    [Fact]
    public async Task A_reply_after_the_timeout_is_dropped_and_never_answers_another_request()
    {
        await using var bench = Create(redis);
        var a = await FactoryAsync(bench, "host-a");
        var b = await FactoryAsync(bench, "host-b");
        var slowRelease = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slowStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answered = 0;
        await using var server = await b.CreateServerAsync(Add, async (request, _) =>
        {
            var n = request.Data.GetProperty("a").GetInt64();
            if (n == 1)
            {
                slowStarted.TrySetResult();
                await slowRelease.Task; // ignores its token on purpose: it answers after the client gave up
            }
            Interlocked.Increment(ref answered);
            return new ServiceResponse("math-kit", true, Json($$"""{"n":{{n}}}"""));
        });
        await using var client = await a.CreateClientAsync(Add);

        // The server must have taken the request before the client gives up (a request still queued at its deadline is
        // dropped unrun, another test's subject): a timeout that a loaded machine cannot miss, and a signal.
        var slow = client.RequestAsync(AddRequest(1), TimeSpan.FromSeconds(2)).AsTask();
        await slowStarted.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("timeout", (await slow).Error);
        slowRelease.SetResult();
        await EventuallyAsync(() => Volatile.Read(ref answered) == 1, what: "the late reply sent");
        var next = await client.RequestAsync(AddRequest(2), TimeSpan.FromSeconds(10));

        Assert.Equal(2, next.Data.GetProperty("n").GetInt64());
        Assert.Equal(0, a.PendingRequestCount);
        Assert.Equal(0, a.DroppedCount);
    }

    [Fact]
    public async Task A_handler_that_throws_gives_a_failed_reply_without_its_internals()
    {
        await using var bench = Create(redis);
        var a = await FactoryAsync(bench, "host-a");
        var b = await FactoryAsync(bench, "host-b");
        await using var server = await b.CreateServerAsync(Add, (_, _) => throw new InvalidOperationException("connection string Password=hunter2"));
        await using var denied = await b.CreateServerAsync(new InterfaceAddress("calc", null, "denied"), (_, _) =>
            throw new PluginCallException("math-kit", "add", "permission denied: no", PluginErrorKind.PermissionDenied));

        var reply = await (await a.CreateClientAsync(Add)).RequestAsync(AddRequest(1), TimeSpan.FromSeconds(10));
        Assert.False(reply.Success);
        Assert.Equal("the service failed (InvalidOperationException)", reply.Error);
        Assert.DoesNotContain("hunter2", reply.Error);
        Assert.Equal("calc/add", reply.PluginId);

        // A plugin failure's reason is meant for the caller.
        var plugin = await (await a.CreateClientAsync(new InterfaceAddress("calc", null, "denied"))).RequestAsync(AddRequest(1), TimeSpan.FromSeconds(10));
        Assert.Equal("permission denied: no", plugin.Error);
    }

    [Fact]
    public async Task Unsigned_forged_oversized_garbage_and_replayed_messages_are_dropped_and_counted()
    {
        await using var bench = Create(redis);
        var a = await FactoryAsync(bench, "host-a");
        var b = await FactoryAsync(bench, "host-b");
        var events = new ConcurrentQueue<PluginEvent>();
        var ran = new ConcurrentBag<long>();
        await using var subscription = await b.CreateSubscriberAsync(Temperature, (e, _) => { events.Enqueue(e); return ValueTask.CompletedTask; });
        await using var server = await b.CreateServerAsync(Add, Adder("math-kit", ran));
        var client = await a.CreateClientAsync(Add);

        var attacker = await bench.ConnectAsync();
        var pub = attacker.GetSubscriber();
        var db = attacker.GetDatabase();
        var stranger = RedisWireSecurity.Signed("host-a", new RedisWireKey(bench.Key.Id, RandomNumberGenerator.GetBytes(32))).CreateSigner("attacker");
        var genuine = bench.Security("host-a").CreateSigner("attacker");
        var topic = bench.Keys.TopicChannelName(Temperature);
        var queue = bench.Keys.ServiceQueueName(Add);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var eventJson = RedisEventBus.Serialize(new PluginEvent("temperature", "thermo", Json("1")), "host-a", now);
        string Request(WireSigner signer, long n, string? id = null, string scope = "") =>
            signer.Wrap(WireSigner.KindBusRequest, bench.Keys.Prefix, scope.Length > 0 ? scope : queue, BusWire.SerializeRequest(AddRequest(n), id ?? WireProbe.NewRequestId(), "host-a", now + 20_000));

        // Events: bare VYRA JSON, a forged MAC, garbage, a broken envelope, oversized, a valid event of another topic replayed here, too deep.
        var hostileEvents = new RedisValue[]
        {
            eventJson,
            stranger.Wrap(WireSigner.KindBusEvent, bench.Keys.Prefix, topic, eventJson),
            "\u0000\u0001 not json",
            "vyra1:k1:only-one-colon",
            new string('x', (1 << 20) + 1000),
            genuine.Wrap(WireSigner.KindBusEvent, bench.Keys.Prefix, bench.Keys.TopicChannelName(Add), eventJson),
            genuine.Wrap(WireSigner.KindBusEvent, bench.Keys.Prefix, topic, new string('[', 100) + new string(']', 100)),
        };
        foreach (var message in hostileEvents) await pub.PublishAsync(bench.Keys.TopicChannel(Temperature), message);

        // Requests: unsigned, forged, garbage, signed for another service's list, and one genuine request pushed twice (a replay).
        var replayed = Request(genuine, 7);
        var hostileRequests = new RedisValue[]
        {
            BusWire.SerializeRequest(AddRequest(100), WireProbe.NewRequestId(), "host-a", now + 20_000),
            Request(stranger, 101),
            "garbage",
            Request(genuine, 102, scope: bench.Keys.Prefix + ":bus:svc:calc/other"),
            Request(genuine, 103, id: "../../etc"),
            replayed,
            replayed,
        };
        foreach (var message in hostileRequests) await db.ListLeftPushAsync(queue, message);
        await db.PublishAsync(bench.Keys.ServiceWakeChannel(Add), "");

        // A forged reply to host A: it must not answer anything.
        await pub.PublishAsync(bench.Keys.BusReplyChannel("host-a"), BusWire.SerializeReply(new ServiceResponse("evil", true, Json("1")), WireProbe.NewRequestId(), "host-b"));

        // The genuine traffic still flows, after the hostile messages on the same channels.
        await using var publisher = await a.CreatePublisherAsync(Temperature);
        await publisher.PublishAsync(new PluginEvent("temperature", "thermo", Json("""{"genuine":true}""")));
        Assert.Equal(1042, (await client.RequestAsync(AddRequest(42), TimeSpan.FromSeconds(10))).Data.GetProperty("sum").GetInt64());
        await EventuallyAsync(() => !events.IsEmpty, what: "the genuine event");

        var only = Assert.Single(events);
        Assert.True(only.Data.GetProperty("genuine").GetBoolean());
        await EventuallyAsync(() => b.DroppedCount == hostileEvents.Length + hostileRequests.Length - 1, what: $"every hostile message dropped (so far {b.DroppedCount})");
        Assert.Equal([7L, 42L], ran.Order());
        await EventuallyAsync(() => a.DroppedCount == 1, what: "the forged reply dropped");
    }

    [Fact]
    public async Task A_full_service_queue_answers_overloaded_at_once_and_servers_trim_a_list_pushed_past_the_cap()
    {
        await using var bench = Create(redis);
        var a = await FactoryAsync(bench, "host-a", o => o with { MaxQueueLength = 3 });
        await using var client = await a.CreateClientAsync(Add);
        var waiting = Enumerable.Range(0, 3).Select(n => client.RequestAsync(AddRequest(n), TimeSpan.FromSeconds(10)).AsTask()).ToArray();
        var db = (await bench.ConnectAsync()).GetDatabase();
        await EventuallyAsync(async () => await db.ListLengthAsync(bench.Keys.ServiceQueue(Add)) == 3, what: "three requests queued");

        var refused = await client.RequestAsync(AddRequest(99), TimeSpan.FromSeconds(10));
        Assert.False(refused.Success);
        Assert.StartsWith("overloaded: the queue of 'calc/add' holds 3 requests", refused.Error);

        // A client without the check pushes more; a server keeps only the oldest MaxQueueLength and serves them.
        for (var i = 0; i < 5; i++) await db.ListLeftPushAsync(bench.Keys.ServiceQueue(Add), "junk");
        var b = await FactoryAsync(bench, "host-b", o => o with { MaxQueueLength = 3 });
        await using var server = await b.CreateServerAsync(Add, Adder("math-kit"));
        var replies = await Task.WhenAll(waiting);
        Assert.All(replies, r => Assert.True(r.Success));
        Assert.Equal(0, await db.ListLengthAsync(bench.Keys.ServiceQueue(Add)));
        Assert.Equal(0, b.DroppedCount);
    }

    [Fact]
    public async Task Disposing_a_subscription_a_server_or_the_factory_stops_delivery()
    {
        await using var bench = Create(redis);
        var a = await FactoryAsync(bench, "host-a");
        var b = await FactoryAsync(bench, "host-b");
        var first = new ConcurrentQueue<PluginEvent>();
        var second = new ConcurrentQueue<PluginEvent>();
        var s1 = await b.CreateSubscriberAsync(Temperature, (e, _) => { first.Enqueue(e); return ValueTask.CompletedTask; });
        await using var s2 = await b.CreateSubscriberAsync(Temperature, (e, _) => { second.Enqueue(e); return ValueTask.CompletedTask; });
        var publisher = await a.CreatePublisherAsync(Temperature);
        await publisher.PublishAsync(new PluginEvent("temperature", "thermo", Json("1")));
        await EventuallyAsync(() => first.Count == 1 && second.Count == 1, what: "both subscribers got the first event");

        await s1.DisposeAsync();
        await publisher.PublishAsync(new PluginEvent("temperature", "thermo", Json("2")));
        await EventuallyAsync(() => second.Count == 2, what: "the remaining subscriber got the second event");
        Assert.Single(first);

        var ran = new ConcurrentBag<long>();
        var server = await b.CreateServerAsync(Add, Adder("math-kit", ran));
        var client = await a.CreateClientAsync(Add);
        Assert.True((await client.RequestAsync(AddRequest(1), TimeSpan.FromSeconds(10))).Success);
        await server.DisposeAsync();
        Assert.Equal("timeout", (await client.RequestAsync(AddRequest(2), TimeSpan.FromMilliseconds(300))).Error);
        Assert.Equal([1L], ran);

        // The factory disposes what it created, and refuses to create more.
        await b.DisposeAsync();
        await publisher.PublishAsync(new PluginEvent("temperature", "thermo", Json("3")));
        await a.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await a.CreatePublisherAsync(Temperature));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await publisher.PublishAsync(new PluginEvent("temperature", "thermo", Json("4"))));
        Assert.Equal(2, second.Count);
    }

    [Fact]
    public async Task A_slow_subscriber_delays_only_itself_and_drops_what_overflows_its_inbox()
    {
        await using var bench = Create(redis);
        var a = await FactoryAsync(bench, "host-a");
        var b = await FactoryAsync(bench, "host-b", o => o with { MaxPendingEvents = 4 });
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = 0;
        var fast = new ConcurrentQueue<PluginEvent>();
        await using var stuck = await b.CreateSubscriberAsync(Temperature, async (_, _) => { Interlocked.Increment(ref slow); await gate.Task; });
        await using var quick = await b.CreateSubscriberAsync(Temperature, (e, _) => { fast.Enqueue(e); return ValueTask.CompletedTask; });
        await using var publisher = await a.CreatePublisherAsync(Temperature);

        await publisher.PublishAsync(new PluginEvent("temperature", "thermo", Json("0")));
        await EventuallyAsync(() => Volatile.Read(ref slow) == 1, what: "the slow subscriber is in its first event");
        // The fast subscriber gets each event while the slow one is stuck in its first: the connection is never blocked.
        // Each is awaited before the next is sent, so the fast one's own inbox (4 too) cannot overflow on a machine too
        // busy to run its worker between two publishes; the slow one's inbox fills all the same.
        await EventuallyAsync(() => fast.Count == 1, what: "the fast subscriber got event 0");
        for (var i = 1; i < 20; i++)
        {
            await publisher.PublishAsync(new PluginEvent("temperature", "thermo", Json(i.ToString())));
            var expected = i + 1;
            await EventuallyAsync(() => fast.Count == expected, what: $"the fast subscriber got event {i}");
        }
        // The stuck one holds 1 in its handler and 4 in its inbox; 15 were dropped.
        await EventuallyAsync(() => b.DroppedCount == 15, what: "the overflow dropped");
        gate.SetResult();
        await EventuallyAsync(() => Volatile.Read(ref slow) == 5, what: "the stuck subscriber caught up with what it kept");
    }

    [Fact]
    public void Options_are_checked_when_the_factory_is_made()
    {
        var connection = ConnectionMultiplexer.Connect(VyraRedis.Configure(redis.Configuration));
        try
        {
            Assert.Throws<ArgumentException>(() => new RedisInterfaceFactory(connection, new RedisInterfaceFactoryOptions()));
            Assert.Throws<InvalidOperationException>(() => new RedisInterfaceFactory(connection, new RedisInterfaceFactoryOptions { Security = new RedisWireSecurity { SenderId = "x" } }));
            Assert.Throws<ArgumentOutOfRangeException>(() => new RedisInterfaceFactory(connection, new RedisInterfaceFactoryOptions { Security = RedisWireSecurity.Unauthenticated(), MaxQueueLength = 0 }));
        }
        finally
        {
            connection.Dispose();
        }
    }
}
