using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Vyra.Sdk;
using Vyra.Sdk.Redis;
using Xunit;
using static Vyra.Sdk.Redis.Tests.Bench;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>Every request ends: bounded deadlines, timeouts checked before sending, size and nesting caps, dead letters.</summary>
public sealed class WireBoundsTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static async Task<StubRuntime> EchoAsync(Bench bench, string id)
    {
        var stub = await bench.StartStubAsync(id);
        stub.RegisterHandler("echo", (data, _) => ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(
            new Dictionary<string, object?> { ["result"] = data.TryGetValue("text", out var t) ? t : null }));
        return stub;
    }

    [Fact]
    public async Task A_deadline_beyond_the_maximum_is_refused_with_a_reply_and_not_kept()
    {
        await using var bench = Create(redis);
        var server = await bench.ServeAsync(null, await EchoAsync(bench, "echo"));
        var probe = await WireProbe.CreateAsync(bench, bench.Security("caller"));

        foreach (var deadline in new[] { long.MaxValue, 0L, DateTimeOffset.UtcNow.AddDays(3).ToUnixTimeMilliseconds() })
        {
            var entry = probe.Entry("echo", "echo", deadline: deadline);
            await probe.AddAsync("echo", entry);
            var reply = await probe.ReplyAsync(WireProbe.RequestId(entry));
            Assert.False(reply.Success);
            Assert.Equal(PluginErrorKind.InvalidArgument, reply.ErrorKind);
            Assert.Contains("deadline", reply.Error);
        }
        // A deadline already past is answered Timeout without running.
        var late = probe.Entry("echo", "echo", deadline: DateTimeOffset.UtcNow.AddSeconds(-5).ToUnixTimeMilliseconds());
        await probe.AddAsync("echo", late);
        Assert.Equal(PluginErrorKind.Timeout, (await probe.ReplyAsync(WireProbe.RequestId(late))).ErrorKind);

        Assert.Equal(0, await probe.StreamLengthAsync("echo"));
        Assert.Equal(0, server.HandledCount);
    }

    [Fact]
    public async Task Call_timeouts_and_keys_are_checked_when_the_options_are_made()
    {
        await using var bench = Create(redis);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RemotePluginRuntimeOptions { CallTimeout = TimeSpan.FromDays(60) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new RemotePluginRuntimeOptions { CallTimeout = TimeSpan.Zero });
        Assert.Throws<ArgumentOutOfRangeException>(() => new RemotePluginRuntimeOptions { CallTimeout = Timeout.InfiniteTimeSpan });
        Assert.Throws<ArgumentOutOfRangeException>(() => new RemoteCallOptions { Timeout = TimeSpan.FromDays(60) });
        Assert.Throws<ArgumentOutOfRangeException>(() => new RemotePluginRuntimeOptions { MaxRequestBytes = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new RemoteCallOptions { IdempotencyKey = new string('k', 300) });

        // The largest accepted timeout is sent and answered normally.
        await bench.ServeAsync(null, await EchoAsync(bench, "echo"));
        var remote = await bench.RemoteAsync("echo", RemotePluginRuntimeOptions.MaxCallTimeout);
        Assert.Equal("hi", (await remote.CallAsync("echo", Args(("text", "hi"))))["result"]);
    }

    [Fact]
    public async Task An_oversized_request_is_refused_before_sending_or_answered_InvalidArgument_unparsed()
    {
        await using var bench = Create(redis);
        var server = await bench.ServeAsync(null, await EchoAsync(bench, "echo"));
        var big = new string('a', 2 << 20);

        var careful = await bench.RemoteAsync("echo");
        var local = await Assert.ThrowsAsync<PluginCallException>(async () => await careful.CallAsync("echo", Args(("text", big))));
        Assert.Equal(PluginErrorKind.InvalidArgument, local.Kind);
        Assert.Contains("MaxRequestBytes", local.Message);

        // A caller that allows more still meets the host's cap: a typed reply, no run.
        var generous = await bench.RemoteAsync("echo", maxRequestBytes: 8 << 20);
        var watch = Stopwatch.StartNew();
        var remote = await Assert.ThrowsAsync<PluginCallException>(async () => await generous.CallAsync("echo", Args(("text", big))));
        Assert.Equal(PluginErrorKind.InvalidArgument, remote.Kind);
        Assert.Contains("at most 1048576", remote.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.Equal(0, server.HandledCount);
        Assert.Equal("ok", (await careful.CallAsync("echo", Args(("text", "ok"))))["result"]);
    }

    [Fact]
    public async Task Deeply_nested_or_malformed_arguments_get_an_InvalidArgument_reply()
    {
        await using var bench = Create(redis);
        await bench.ServeAsync(null, await EchoAsync(bench, "echo"));
        var remote = await bench.RemoteAsync("echo", TimeSpan.FromSeconds(20));

        JsonNode deep = new JsonArray();
        for (var i = 0; i < 100; i++) deep = new JsonArray(deep);
        var watch = Stopwatch.StartNew();
        var nested = await Assert.ThrowsAsync<PluginCallException>(async () => await remote.CallAsync("echo", Args(("text", deep))));
        Assert.Equal(PluginErrorKind.InvalidArgument, nested.Kind);
        Assert.Contains("nesting", nested.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"answered after {watch.Elapsed}, not at once");

        var probe = await WireProbe.CreateAsync(bench, bench.Security("caller"));
        foreach (var body in new[] { "{not json", "[1,2]", """{"plugin_id":"echo"}""", """{"plugin_id":"echo","function_name":"echo","data":[1]}""" })
        {
            var entry = probe.Entry("echo", "echo", body: Encoding.UTF8.GetBytes(body));
            await probe.AddAsync("echo", entry);
            var reply = await probe.ReplyAsync(WireProbe.RequestId(entry));
            Assert.Equal(PluginErrorKind.InvalidArgument, reply.ErrorKind);
        }
    }

    [Fact]
    public async Task A_request_delivered_too_often_is_dead_lettered_with_an_error_reply()
    {
        await using var bench = Create(redis);
        var claim = TimeSpan.FromSeconds(1);
        var hanging = await bench.StartStubAsync("fragile");
        var taken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hanging.RegisterHandler("work", async (_, ct) =>
        {
            taken.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return new Dictionary<string, object?>();
        });
        var doomed = await bench.ServeAsync(bench.ServerOptions(claimTimeout: claim, shutdownGrace: TimeSpan.Zero, hostName: "doomed", maxDeliveries: 1), hanging);
        var remote = await bench.RemoteAsync("fragile");
        var call = remote.CallAsync("work").AsTask();
        await taken.Task.WaitAsync(TimeSpan.FromSeconds(15));
        await doomed.DisposeAsync();

        var runs = 0;
        var healthy = await bench.StartStubAsync("fragile");
        healthy.RegisterHandler("work", (_, _) =>
        {
            Interlocked.Increment(ref runs);
            return ValueTask.FromResult<IReadOnlyDictionary<string, object?>>(new Dictionary<string, object?>());
        });
        var survivor = await bench.ServeAsync(bench.ServerOptions(claimTimeout: claim, hostName: "survivor", maxDeliveries: 1), healthy);

        var failure = await Assert.ThrowsAsync<PluginCallException>(() => call.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal(PluginErrorKind.Trap, failure.Kind);
        Assert.Contains("dead-lettered", failure.Message);
        Assert.Equal(1, survivor.DeadLetteredCount);
        Assert.Equal(0, runs);
        var probe = await WireProbe.CreateAsync(bench, bench.Security("caller"));
        var dead = Assert.Single(await probe.Db.StreamRangeAsync(bench.Keys.DeadLetterStream("fragile")));
        Assert.Equal("caller", (string?)dead["sender"]);
        Assert.Equal(0, await probe.StreamLengthAsync("fragile"));
    }
}
