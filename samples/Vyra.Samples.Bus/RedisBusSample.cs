using System.Text.Json.Nodes;
using Vyra.Samples.Shared;
using Vyra.Sdk;

namespace Vyra.Samples.Bus;

/// <summary>
/// The same pair across two processes over Redis: the same plugin folders and guest code as the in-process run, with
/// a <see cref="Vyra.Sdk.Redis.RedisInterfaceFactory"/> (own connection, signed with the key in VYRA_WIRE_KEY) in
/// place of the <see cref="InProcessBus"/>. Nothing else changes for the plugins or their facades.
/// <list type="bullet">
/// <item><c>sensor</c>: thermo-sensor serves "calibration", prints <c>thermo-sensor ready</c>, then publishes the
/// next reading for each line read from its input until the input ends.</item>
/// <item><c>display</c>: thermo-display subscribes to "readings", prints <c>thermo-display subscribed</c>, waits
/// (bounded) for <see cref="Readings"/> readings, requests the calibration from the sensor process and is denied its
/// alert publish; exits 0 when every step behaved.</item>
/// </list>
/// Both hosts are the default module <c>local</c>, the one the manifests' permissions name, so the bare names
/// "readings" and "calibration" are <c>local/readings</c> and <c>local/calibration</c> in both processes and meet on
/// Redis. Redis pub/sub reaches only the subscribers connected at the time: readings published before the display
/// subscribed are not delivered, hence the display's "subscribed" line before the sensor is told to publish.
/// </summary>
internal static class RedisBusSample
{
    /// <summary>The readings the display waits for.</summary>
    public const int Readings = 3;

    /// <summary>How long the display waits for its readings: long enough for a person typing them into the sensor.</summary>
    public static readonly TimeSpan ReadingsWait = TimeSpan.FromSeconds(60);

    internal static async Task<int> RunAsync(string[] args, TextWriter output, string plugins, TextReader input)
    {
        if (args is not ["--redis", var address, ("sensor" or "display") and var role, ..] || args.Length > 4)
        {
            output.WriteLine($"usage: Vyra.Samples.Bus --redis HOST:PORT sensor|display [PREFIX]   ({SampleRedisBus.KeyVariable}: the shared base64 wire key)");
            return 2;
        }
        // Each process signs as its own sender: requests are answered on the requesting sender's reply channel.
        await using var redis = await SampleRedisBus.ConnectAsync(address, $"thermo-{role}-host", args.Length > 3 ? args[3] : "vyra", output);
        if (redis is null) return 2;
        return role == "sensor"
            ? await SensorAsync(new SampleBusHost("thermo-sensor", redis.Interfaces, output), output, plugins, input)
            : await DisplayAsync(new SampleBusHost("thermo-display", redis.Interfaces, output), output, plugins);
    }

    private static async Task<int> SensorAsync(SampleBusHost host, TextWriter output, string plugins, TextReader input)
    {
        await using var sensor = PluginRuntime.Create("thermo-sensor", BusSample.ModulePath(plugins, "thermo-sensor"), host);
        await sensor.StartAsync();
        output.WriteLine($"thermo-sensor  may {sensor.Facade.Allowed}");
        await sensor.CallAsync("start"); // serve("calibration"): from here on the display's requests are answered
        output.WriteLine("thermo-sensor ready: serving 'calibration'; each line of input publishes a reading, the end of input stops");

        var published = 0;
        while (await input.ReadLineAsync() is not null)
        {
            var index = published % Readings; // the guest holds three readings and publishes them in turn
            try
            {
                await sensor.CallAsync("publish_reading", new Dictionary<string, object?> { ["index"] = index });
                published++;
                output.WriteLine($"thermo-sensor  published reading {index} on 'readings'");
            }
            catch (PluginCallException ex)
            {
                // Typing faster than the manifest's rate limit allows throttles and then blocks the plugin: shown, not fatal.
                output.WriteLine($"thermo-sensor  publish 'readings' failed ({ex.Kind}): {ex.Reason}");
            }
        }
        output.WriteLine($"thermo-sensor  stopped: published {published} readings");
        return 0;
    }

    private static async Task<int> DisplayAsync(SampleBusHost host, TextWriter output, string plugins)
    {
        await using var display = PluginRuntime.Create("thermo-display", BusSample.ModulePath(plugins, "thermo-display"), host);
        await display.StartAsync();
        output.WriteLine($"thermo-display may {display.Facade.Allowed}");
        await display.CallAsync("start"); // subscribe("readings"): the Redis subscription is live when this returns
        output.WriteLine($"thermo-display subscribed to 'readings': waiting up to {ReadingsWait.TotalSeconds:0} s for {Readings} readings (a line typed into the sensor publishes one)");

        using (var wait = new CancellationTokenSource(ReadingsWait))
        {
            for (var i = 0; i < Readings; i++)
            {
                if (await host.NextLogAsync(IsReading, wait.Token) is null)
                {
                    output.WriteLine($"thermo-display received {i} of {Readings} readings in {ReadingsWait.TotalSeconds:0} s: is the sensor publishing on the same Redis and prefix?");
                    return 1;
                }
            }
        }
        output.WriteLine($"thermo-display on_event ran {(await display.CallAsync("shown"))["result"]} times");

        try
        {
            await display.CallAsync("calibrate"); // the guest logs the reply it got from the sensor process
        }
        catch (PluginCallException ex)
        {
            output.WriteLine($"thermo-display request 'calibration' failed ({ex.Kind}): {ex.Reason}");
            return 1;
        }
        // The reply was logged inside the call: it is queued already, possibly behind readings that came meanwhile.
        using var replyWait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var reply = JsonNode.Parse(await host.NextLogAsync(IsReply, replyWait.Token) ?? "null");
        output.WriteLine($"thermo-display request 'calibration' -> {reply?.ToJsonString()}");
        if (reply?["success"]?.GetValue<bool>() != true) return 1;

        return await BusSample.AlertIsDeniedAsync(display, output) ? 0 : 1;
    }

    // The display logs each reading's data and the request's reply (a ServiceResponse as JSON).
    private static bool IsReading(string line) => line.StartsWith("{\"celsius\"", StringComparison.Ordinal);

    private static bool IsReply(string line) => line.StartsWith("{\"plugin_id\"", StringComparison.Ordinal);
}
