using StackExchange.Redis;
using Vyra.Sdk;
using Vyra.Sdk.Redis;
using Xunit;
using static Vyra.Sdk.Redis.Tests.Bench;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>
/// A host that takes requests with a blocking read on a connection of its own (<see cref="PluginServerOptions.ReadConfiguration"/>).
/// The reads block up to a minute here (no poll, a long client timeout), so whatever the tests see within their
/// 15 s waits was delivered by the read itself, and a stop that returns within them did not wait for a read to end.
/// </summary>
public sealed class BlockingReadTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    /// <summary>
    /// Options whose reads block for 60 s (half the client timeout; the claim timeout is long enough not to cut them) on a
    /// connection named <paramref name="readerName"/>.
    /// </summary>
    internal static PluginServerOptions LongBlockOptions(Bench bench, string readerName)
    {
        var read = VyraRedis.Configure(bench.Redis.Configuration);
        read.AsyncTimeout = 120_000;
        read.SyncTimeout = 120_000;
        read.ClientName = readerName;
        var options = bench.ServerOptions();
        return new PluginServerOptions
        {
            Keyspace = options.Keyspace,
            Security = options.Security,
            PollInterval = TimeSpan.FromHours(1),
            ClaimTimeout = TimeSpan.FromMinutes(10), // a read blocks at most half of it
            ReadConfiguration = read,
        };
    }

    /// <summary>Redis's ids of the clients named <paramref name="name"/> that are blocked in XREADGROUP now.</summary>
    internal static async Task<List<long>> BlockedReadersAsync(IConnectionMultiplexer admin, string name)
    {
        var list = (string?)await admin.GetDatabase().ExecuteAsync("CLIENT", "LIST") ?? "";
        var ids = new List<long>();
        foreach (var line in list.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Trim().Split(' ').Select(f => f.Split('=', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1]);
            if (fields.GetValueOrDefault("name") == name && fields.GetValueOrDefault("cmd") == "xreadgroup" && fields.GetValueOrDefault("flags", "").Contains('b'))
            {
                ids.Add(long.Parse(fields["id"]));
            }
        }
        return ids;
    }

    private static async Task<StubRuntime> EchoAsync(Bench bench, string id)
    {
        var stub = await bench.StartStubAsync(id);
        stub.RegisterHandler("echo", (data, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(new Dictionary<string, object?> { ["result"] = data["text"] }));
        return stub;
    }

    /// <summary>Adds a signed request without the wake-up message and returns its reply: only a read can deliver it.</summary>
    private static async Task<string?> CallWithoutWakeAsync(Bench bench, WireProbe probe, string pluginId, string text)
    {
        var entry = probe.Entry(pluginId, "echo", Args(("text", text)));
        await probe.Db.StreamAddAsync(bench.Keys.RequestStream(pluginId), entry);
        var reply = await probe.ReplyAsync(WireProbe.RequestId(entry));
        Assert.True(reply.Success, reply.Error);
        return reply.Data!.Value.GetProperty("result").GetString();
    }

    [Fact]
    public async Task A_blocking_read_takes_a_request_without_a_wake_up_message()
    {
        await using var bench = Create(redis);
        var name = "reader-" + bench.Keys.Prefix;
        var server = await bench.ServeAsync(LongBlockOptions(bench, name), await EchoAsync(bench, "echo"));
        var admin = await bench.ConnectAsync("allowAdmin=true");
        await EventuallyAsync(async () => (await BlockedReadersAsync(admin, name)).Count == 1, what: "the host blocked in XREADGROUP on its own connection");
        // The host does not listen for wake-ups: the read is its only way in.
        var subscribers = (RedisResult[])(await admin.GetDatabase().ExecuteAsync("PUBSUB", "NUMSUB", $"{bench.Keys.Prefix}:wake:echo"))!;
        Assert.Equal(0, (long)subscribers[1]);

        var probe = await WireProbe.CreateAsync(bench, bench.Security("caller"));
        Assert.Equal("hi", await CallWithoutWakeAsync(bench, probe, "echo", "hi"));
        // An ordinary caller (which still publishes the wake-up, for hosts of earlier versions) is served the same way.
        var remote = await bench.RemoteAsync("echo");
        for (var i = 0; i < 5; i++) Assert.Equal($"call {i}", (await remote.CallAsync("echo", Args(("text", $"call {i}"))))["result"]);
        Assert.Equal(6, server.HandledCount);
        Assert.Equal(0, server.ReadFailureCount);
        Assert.Equal(0, await probe.StreamLengthAsync("echo"));
    }

    [Fact]
    public async Task Stopping_while_the_read_is_blocked_returns_without_waiting_for_the_read()
    {
        await using var bench = Create(redis);
        var name = "reader-" + bench.Keys.Prefix;
        var server = await bench.ServeAsync(LongBlockOptions(bench, name), await EchoAsync(bench, "echo"));
        var admin = await bench.ConnectAsync("allowAdmin=true");
        await EventuallyAsync(async () => (await BlockedReadersAsync(admin, name)).Count == 1, what: "the host blocked in XREADGROUP");

        // The read would block for a minute: the stop closes its connection instead of waiting.
        await server.StopAsync().WaitAsync(TimeSpan.FromSeconds(15));
        await EventuallyAsync(async () => (await BlockedReadersAsync(admin, name)).Count == 0, what: "the read's connection closed");

        // Nothing was taken by the abandoned read: a request added now waits for a host, and the next one serves it.
        var probe = await WireProbe.CreateAsync(bench, bench.Security("caller"));
        var entry = probe.Entry("echo", "echo", Args(("text", "later")));
        await probe.Db.StreamAddAsync(bench.Keys.RequestStream("echo"), entry);
        await bench.ServeAsync(LongBlockOptions(bench, name + "-2"), await EchoAsync(bench, "echo"));
        Assert.True((await probe.ReplyAsync(WireProbe.RequestId(entry))).Success);
    }

    [Fact]
    public async Task A_stop_that_lands_while_the_start_is_connecting_cancels_it_and_leaves_no_read_behind()
    {
        await using var bench = Create(redis);
        var name = "reader-" + bench.Keys.Prefix;
        var server = new PluginServer(await bench.ConnectAsync(), LongBlockOptions(bench, name));
        for (var i = 0; i < 4; i++) server.Serve(await EchoAsync(bench, $"echo-{i}"));

        // The start returns at its first Redis round trip (the first plugin's consumer group): the stop lands mid-start.
        var starting = server.StartAsync();
        Assert.False(starting.IsCompleted);
        await server.StopAsync().WaitAsync(TimeSpan.FromSeconds(15));

        // The start gave up, and closed the read connections it had opened: nothing serves, nothing is left blocked.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => starting.WaitAsync(TimeSpan.FromSeconds(15)));
        var admin = await bench.ConnectAsync("allowAdmin=true");
        Assert.Empty(await BlockedReadersAsync(admin, name));

        // The server can be started again, and then serves.
        await server.StartAsync().WaitAsync(TimeSpan.FromSeconds(15));
        var probe = await WireProbe.CreateAsync(bench, bench.Security("caller"));
        Assert.Equal("served", await CallWithoutWakeAsync(bench, probe, "echo-3", "served"));
        await server.DisposeAsync();
    }

    [Fact]
    public async Task The_read_comes_back_when_its_connection_is_dropped()
    {
        await using var bench = Create(redis);
        var name = "reader-" + bench.Keys.Prefix;
        var server = await bench.ServeAsync(LongBlockOptions(bench, name), await EchoAsync(bench, "echo"));
        var admin = await bench.ConnectAsync("allowAdmin=true");
        var probe = await WireProbe.CreateAsync(bench, bench.Security("caller"));
        Assert.Equal("before", await CallWithoutWakeAsync(bench, probe, "echo", "before"));

        for (var round = 1; round <= 2; round++)
        {
            await EventuallyAsync(async () => (await BlockedReadersAsync(admin, name)).Count == 1, what: "the host blocked in XREADGROUP");
            var id = (await BlockedReadersAsync(admin, name)).Single();
            await admin.GetDatabase().ExecuteAsync("CLIENT", "KILL", "ID", id);
            await EventuallyAsync(() => server.ReadFailureCount >= round, what: "the failed read counted");
            // Reconnected and blocked again on a new connection: a request without a wake-up is taken at once.
            await EventuallyAsync(async () => (await BlockedReadersAsync(admin, name)).Any(other => other != id), what: "the read back on a new connection");
            Assert.Equal($"after {round}", await CallWithoutWakeAsync(bench, probe, "echo", $"after {round}"));
        }
        Assert.Equal(3, server.HandledCount);
    }

    [Fact]
    public async Task A_host_whose_only_slot_is_held_by_a_blocking_read_still_claims_a_dead_hosts_request()
    {
        await using var bench = Create(redis);
        var name = "reader-" + bench.Keys.Prefix;
        var probe = await WireProbe.CreateAsync(bench, bench.Security("caller"));
        var stream = bench.Keys.RequestStream("echo");
        // A host that took a request and died: the entry is pending for its consumer and nobody refreshes it.
        await probe.Db.StreamCreateConsumerGroupAsync(stream, bench.Keys.Group, "0-0", createStream: true);
        var entry = probe.Entry("echo", "echo", Args(("text", "orphan")));
        await probe.Db.StreamAddAsync(stream, entry);
        Assert.Single(await probe.Db.StreamReadGroupAsync(stream, bench.Keys.Group, "dead-host", ">", count: 1));

        // One slot, one plugin: the read holds the slot while it blocks (a minute, were it not bounded by the claim
        // period), so a claim loop that only looks for a free slot would never find one.
        var options = LongBlockOptions(bench, name);
        var server = await bench.ServeAsync(new PluginServerOptions
        {
            Keyspace = options.Keyspace,
            Security = options.Security,
            PollInterval = options.PollInterval,
            ReadConfiguration = options.ReadConfiguration,
            MaxConcurrentCalls = 1,
            ClaimTimeout = TimeSpan.FromSeconds(1),
        }, await EchoAsync(bench, "echo"));

        var reply = await probe.ReplyAsync(WireProbe.RequestId(entry));
        Assert.True(reply.Success, reply.Error);
        Assert.Equal(1, server.ClaimedCount);
        // The read still serves new requests afterwards.
        Assert.Equal("next", await CallWithoutWakeAsync(bench, probe, "echo", "next"));
    }

    [Theory]
    [InlineData(RedisProtocol.Resp2)]
    [InlineData(RedisProtocol.Resp3)]
    public async Task A_blocking_read_takes_requests_under_either_protocol(RedisProtocol protocol)
    {
        await using var bench = Create(redis);
        var options = LongBlockOptions(bench, "reader-" + bench.Keys.Prefix);
        options.ReadConfiguration!.Protocol = protocol;
        var server = await bench.ServeAsync(options, await EchoAsync(bench, "echo"));
        var probe = await WireProbe.CreateAsync(bench, bench.Security("caller"));
        Assert.Equal("hi", await CallWithoutWakeAsync(bench, probe, "echo", "hi"));
        Assert.Equal(0, server.ReadFailureCount);
    }

    [Fact]
    public async Task Without_a_read_configuration_the_host_takes_requests_after_wake_ups()
    {
        await using var bench = Create(redis);
        var name = "reader-" + bench.Keys.Prefix;
        var server = await bench.ServeAsync(bench.ServerOptions(), await EchoAsync(bench, "echo"));
        var admin = await bench.ConnectAsync("allowAdmin=true");
        var subscribers = (RedisResult[])(await admin.GetDatabase().ExecuteAsync("PUBSUB", "NUMSUB", $"{bench.Keys.Prefix}:wake:echo"))!;
        Assert.Equal(1, (long)subscribers[1]);
        var remote = await bench.RemoteAsync("echo");
        Assert.Equal("woken", (await remote.CallAsync("echo", Args(("text", "woken"))))["result"]);
        Assert.Equal(1, server.HandledCount);
        Assert.Equal(0, server.ReadFailureCount);
    }
}

/// <summary>redis-server restarted under a host that reads blocking (its own server: it is restarted).</summary>
public sealed class BlockingReadRestartTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public async Task Blocking_reads_resume_after_Redis_restarts()
    {
        await using var bench = Create(redis);
        var stub = await bench.StartStubAsync("echo");
        stub.RegisterHandler("echo", (data, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(new Dictionary<string, object?> { ["result"] = data["text"] }));
        var server = await bench.ServeAsync(bench.ServerOptions(blockingRead: true), stub);
        var remote = await bench.RemoteAsync("echo");
        Assert.Equal("before", (await remote.CallAsync("echo", Args(("text", "before"))))["result"]);

        await redis.StopAsync();
        await EventuallyAsync(() => server.ReadFailureCount > 0, what: "the read failed while Redis was down");
        // Back and empty (no persistence): the read reconnects, the host recreates its group, calls work again.
        await redis.StartAsync();
        IReadOnlyDictionary<string, object?>? after = null;
        await EventuallyAsync(async () =>
        {
            try
            {
                after = await remote.CallAsync("echo", Args(("text", "after")), new RemoteCallOptions { Timeout = TimeSpan.FromSeconds(5) });
                return true;
            }
            catch (PluginCallException ex) when (ex is PluginUnavailableException || ex.Kind == PluginErrorKind.Timeout)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(40), "a call succeeds after the restart");
        Assert.Equal("after", after!["result"]);
        for (var i = 0; i < 5; i++) Assert.Equal($"again {i}", (await remote.CallAsync("echo", Args(("text", $"again {i}"))))["result"]);
    }
}
