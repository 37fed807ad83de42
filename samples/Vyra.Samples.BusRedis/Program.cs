// The plugin bus across processes: two .NET processes, each with its own Redis connection and RedisInterfaceFactory.
//
//   serve    the math-kit plugin serves calc/add (its add_i64 export) and a sensor-log plugin subscribes to
//            sensors/reading, printing each event; runs until its standard input closes.
//   publish  a sensor plugin publishes three readings and asks calc/add five sums, then asks a service nobody serves
//            (VYRA's "timeout" reply); exits 0 when every answer is right.
//
// Both go through each plugin's PluginFacade (permission, then throttle, then Redis), as a guest's vyra imports do.
// Messages are signed with the key in VYRA_WIRE_KEY (base64, at least 16 bytes; never on a command line):
//
//   export VYRA_WIRE_KEY=$(openssl rand -base64 32)
//   dotnet run --project samples/Vyra.Samples.BusRedis -- serve 127.0.0.1:6379      (in one terminal)
//   dotnet run --project samples/Vyra.Samples.BusRedis -- publish 127.0.0.1:6379    (in another)
//
// An optional third argument is the keyspace prefix (default vyra).
using System.Text.Json;
using Vyra.Sdk;
using Vyra.Sdk.Redis;
using Vyra.Samples.Shared;

if (args is not [("serve" or "publish") and var mode, var redisAddress, ..])
{
    Console.Error.WriteLine($"usage: Vyra.Samples.BusRedis serve|publish HOST:PORT [PREFIX]   ({SampleRedisBus.KeyVariable}: the shared base64 wire key)");
    return 2;
}
await using var redis = await SampleRedisBus.ConnectAsync(redisAddress, mode == "serve" ? "bus-server" : "bus-publisher", args.Length > 2 ? args[2] : "vyra", Console.Error);
if (redis is null) return 2;
await using var events = new RedisEventBus(redis.Connection, redis.Security, redis.Keyspace);
var host = new RedisHostFunctions(events, redis.Interfaces);
var bus = new PluginBusOptions { Module = new BusModule("lab") };
return mode == "serve" ? await ServeAsync(host, bus) : await PublishAsync(host, bus);

static async Task<int> ServeAsync(RedisHostFunctions host, PluginBusOptions bus)
{
    var path = Path.Combine(AppContext.BaseDirectory, "plugins", "math-kit", "1.0.0", "logic.wasm");
    await using var math = PluginRuntime.Create("math-kit", path, host);
    await math.StartAsync();
    await using var mathFacade = new PluginFacade("math-kit", new PluginPermissions([new("server", "calc")]), host, bus);
    await using var logFacade = new PluginFacade("sensor-log", new PluginPermissions([new("subscribe", "sensors")]), host, bus);
    var served = 0;
    await mathFacade.ServeAsync("calc/add", async (request, ct) =>
    {
        if (request.Data.ValueKind != JsonValueKind.Object
            || !request.Data.TryGetProperty("a", out var a) || !a.TryGetInt64(out var x)
            || !request.Data.TryGetProperty("b", out var b) || !b.TryGetInt64(out var y))
        {
            return new ServiceResponse("math-kit", false, default, "calc/add takes {\"a\": integer, \"b\": integer}");
        }
        var result = await math.CallAsync("add_i64", new Dictionary<string, object?> { ["a"] = x, ["b"] = y }, ct);
        Interlocked.Increment(ref served);
        return new ServiceResponse("math-kit", true, JsonSerializer.SerializeToElement(new { sum = (long)result["result"]! }));
    });
    await logFacade.SubscribeAsync("sensors/reading", (e, _) =>
    {
        Console.WriteLine($"event {e.EventName} from {e.PluginId}: {e.Data.GetRawText()}");
        return ValueTask.CompletedTask;
    });
    Console.WriteLine("ready");
    await Console.In.ReadToEndAsync(); // until the parent (or the terminal) closes standard input
    Console.WriteLine($"served {Volatile.Read(ref served)} requests");
    return 0;
}

static async Task<int> PublishAsync(RedisHostFunctions host, PluginBusOptions bus)
{
    await using var sensor = new PluginFacade("sensor", new PluginPermissions([new("publish", "sensors"), new("client", "calc")]), host, bus);
    for (var i = 1; i <= 3; i++)
    {
        await sensor.PublishAsync("sensors/reading", JsonSerializer.SerializeToElement(new { reading = i, celsius = 20 + i / 2.0 }));
        Console.WriteLine($"published reading {i}");
    }
    var failures = 0;
    for (long n = 1; n <= 5; n++)
    {
        var reply = await sensor.RequestAsync("calc/add", JsonSerializer.SerializeToElement(new { a = n, b = 1_000_000_000_000 }), TimeSpan.FromSeconds(10));
        var sum = reply.Success ? reply.Data.GetProperty("sum").GetInt64() : -1;
        Console.WriteLine($"calc/add {n} + 1000000000000 = {(reply.Success ? sum : reply.Error)} (answered by {reply.PluginId})");
        if (sum != n + 1_000_000_000_000) failures++;
    }
    var nobody = await sensor.RequestAsync("calc/nobody", JsonSerializer.SerializeToElement(new { }), TimeSpan.FromMilliseconds(500));
    Console.WriteLine($"calc/nobody: success={nobody.Success} error={nobody.Error}");
    if (nobody.Error != "timeout") failures++;
    return failures == 0 ? 0 : 1;
}
