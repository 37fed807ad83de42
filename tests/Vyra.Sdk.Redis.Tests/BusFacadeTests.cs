using System.Text.Json;
using Vyra.Sdk;
using Vyra.Sdk.Redis;
using Xunit;
using static Vyra.Sdk.Redis.Tests.Bench;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>
/// Real wasm plugins on two hosts talking through their <see cref="PluginFacade"/>s over the Redis interface factory:
/// permission, then throttle, then Redis, as the guest imports will do it.
/// </summary>
public sealed class BusFacadeTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static async Task<RedisHostFunctions> HostAsync(Bench bench, string sender)
    {
        var connection = await bench.ConnectAsync();
        var events = new RedisEventBus(connection, bench.Security(sender), bench.Keys);
        var interfaces = new RedisInterfaceFactory(connection, new RedisInterfaceFactoryOptions { Security = bench.Security(sender), Keyspace = bench.Keys });
        bench.Defer(() => events.DisposeAsync());
        bench.Defer(() => interfaces.DisposeAsync());
        return new RedisHostFunctions(events, interfaces);
    }

    [Fact]
    public async Task Plugins_on_two_hosts_publish_subscribe_request_and_serve_through_their_facades()
    {
        await using var bench = Create(redis);
        var options = new PluginBusOptions { Module = new BusModule("lab") };

        // Host B runs math-kit, serving calc/add with its add_i64 export, and text-tools, whose on_event counts text.* events.
        var hostB = await HostAsync(bench, "host-b");
        Assert.IsType<RedisInterfaceFactory>(hostB.Interfaces);
        var math = await bench.StartLocalAsync("math-kit", hostB);
        var text = await bench.StartLocalAsync("text-tools", hostB);
        var mathFacade = new PluginFacade("math-kit", new PluginPermissions([new("server", "calc")]), hostB, options);
        await using var textFacade = new PluginFacade("text-tools", new PluginPermissions([new("subscribe", "sensors")]), hostB, options);
        await mathFacade.ServeAsync("calc/add", async (request, ct) =>
        {
            var result = await math.CallAsync("add_i64", Args(("a", request.Data.GetProperty("a").GetInt64()), ("b", request.Data.GetProperty("b").GetInt64())), ct);
            return new ServiceResponse("math-kit", true, JsonSerializer.SerializeToElement(new { sum = (long)result["result"]! }));
        });
        await textFacade.SubscribeAsync("sensors/text.reading", (e, ct) => text.OnEventAsync(e.EventName, RedisEventBus.EventData(e), ct));

        // Host A: a sensor plugin that may publish on sensors and call calc.
        var hostA = await HostAsync(bench, "host-a");
        await using var sensor = new PluginFacade("sensor", new PluginPermissions([new("publish", "sensors"), new("client", "calc")]), hostA, options);

        await sensor.PublishAsync("sensors/text.reading", Json("""{"value":7}"""));
        await EventuallyAsync(async () => (int)(await text.CallAsync("event_count"))["result"]! == 1, what: "text-tools' on_event ran on host B");

        var reply = await sensor.RequestAsync("calc/add", Json("""{"a":4000000000000,"b":2}"""));
        Assert.True(reply.Success, reply.Error);
        Assert.Equal("math-kit", reply.PluginId);
        Assert.Equal(4000000000002, reply.Data.GetProperty("sum").GetInt64());

        // The facade refuses before Redis sees anything.
        var denied = await Assert.ThrowsAsync<PluginCallException>(async () => await sensor.ServeAsync("calc/add", (_, _) => throw new InvalidOperationException()));
        Assert.Equal(PluginErrorKind.PermissionDenied, denied.Kind);

        // Once math-kit's facade is gone (its plugin stopped), nobody serves calc/add: VYRA's timeout reply.
        await mathFacade.DisposeAsync();
        var timedOut = await sensor.RequestAsync("calc/add", Json("""{"a":1,"b":2}"""), TimeSpan.FromMilliseconds(300));
        Assert.Equal((false, "timeout"), (timedOut.Success, timedOut.Error));
    }
}
