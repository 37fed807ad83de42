using System.Collections.Concurrent;
using Vyra.Sdk;
using Vyra.Sdk.Redis;
using Xunit;
using static Vyra.Sdk.Redis.Tests.Bench;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>host_emit_event on one host reaches the matching subscribers on others as plugin/logic_event.</summary>
public sealed class EventTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static async Task<int> EventCount(PluginRuntime runtime) => (int)(await runtime.CallAsync("event_count"))["result"]!;

    [Fact]
    public async Task Emitted_events_fan_out_to_every_matching_subscription()
    {
        await using var bench = Create(redis);
        var emitterBus = new RedisEventBus(await bench.ConnectAsync(), bench.Security("events"), bench.Keys);
        bench.Defer(() => emitterBus.DisposeAsync());
        var emitter = await bench.StartLocalAsync("text-tools", new RedisHostFunctions(emitterBus));
        await bench.ServeAsync(null, emitter);
        var remote = await bench.RemoteAsync("text-tools");

        // Two other machines' text-tools (manifest globs "text.*", "system.ping") and two plain handlers.
        var bus = new RedisEventBus(await bench.ConnectAsync(), bench.Security("events"), bench.Keys);
        bench.Defer(() => bus.DisposeAsync());
        var first = await bench.StartLocalAsync("text-tools");
        var second = await bench.StartLocalAsync("text-tools");
        await using var s1 = await bus.SubscribeAsync(first);
        await using var s2 = await bus.SubscribeAsync(second);
        var all = new ConcurrentQueue<PluginEvent>();
        var mathOnly = new ConcurrentQueue<PluginEvent>();
        await using var s3 = await bus.SubscribeAsync((e, _) => { all.Enqueue(e); return ValueTask.CompletedTask; });
        await using var s4 = await bus.SubscribeAsync((e, _) => { mathOnly.Enqueue(e); return ValueTask.CompletedTask; }, ["math.*"]);

        Assert.Equal(3, (await remote.CallAsync("shout", Args(("text", "hey"))))["result"]);
        await EventuallyAsync(async () => await EventCount(first) == 1 && await EventCount(second) == 1 && all.Count == 1, what: "text.shout delivered");
        var shout = Assert.Single(all);
        Assert.Equal("text.shout", shout.EventName);
        Assert.Equal("text-tools", shout.PluginId);
        Assert.Equal("hey", shout.Data.GetString());
        Assert.Null(shout.Error);

        // Filtering by glob happens on the subscriber's side: unrelated events reach only the catch-all.
        await emitterBus.PublishAsync("math-kit", "math.done", new Dictionary<string, object?> { ["n"] = 5 });
        await emitterBus.PublishAsync("other", "system.ping", null);
        await emitterBus.PublishAsync("other", "system.pong", null);
        await EventuallyAsync(() => all.Count == 4, what: "the catch-all saw every event");
        await EventuallyAsync(async () => await EventCount(first) == 2 && await EventCount(second) == 2, what: "system.ping delivered");
        var math = Assert.Single(mathOnly);
        Assert.Equal("math.done", math.EventName);
        Assert.Equal("""{"n":5}""", math.Data.GetRawText());

        // A disposed subscription gets nothing more.
        await s2.DisposeAsync();
        await emitterBus.PublishAsync("other", "text.later", "x");
        await EventuallyAsync(async () => await EventCount(first) == 3, what: "text.later delivered");
        Assert.Equal(2, await EventCount(second));
    }

    [Fact]
    public async Task A_remote_runtime_delivers_events_to_the_served_plugin()
    {
        await using var bench = Create(redis);
        var served = await bench.StartLocalAsync("text-tools");
        await bench.ServeAsync(null, served);
        var remote = await bench.RemoteAsync("text-tools");

        await remote.OnEventAsync("text.hello", new Dictionary<string, object?> { ["who"] = "me" });
        await remote.OnEventAsync("not.subscribed");
        Assert.Equal(1, await EventCount(served));
    }
}
