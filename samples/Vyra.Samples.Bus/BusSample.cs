using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Vyra.Sdk;

namespace Vyra.Samples.Bus;

/// <summary>
/// thermo-sensor publishes readings on "readings" and serves "calibration"; thermo-display subscribes to the readings
/// (each reaches its <c>on_event</c>), requests the calibration, and tries to publish an alert, which its manifest
/// denies. Both run in this process on one <see cref="InProcessBus"/>; with <c>--redis</c> the same pair runs as two
/// processes on a Redis bus (<see cref="RedisBusSample"/>).
/// </summary>
public static class BusSample
{
    /// <summary>
    /// Runs the sample, writing to <paramref name="output"/>; returns the exit code (0: every step behaved as shown).
    /// <paramref name="input"/> (standard input by default) drives the <c>--redis ... sensor</c> process only.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, string? pluginsRoot = null, TextReader? input = null)
    {
        var plugins = pluginsRoot ?? Path.Combine(AppContext.BaseDirectory, "plugins");

        if (args.Contains("--redis")) return await RedisBusSample.RunAsync(args, output, plugins, input ?? Console.In);

        var bus = new InProcessBus();
        var sensorHost = new SampleBusHost("thermo-sensor", bus, output);
        var displayHost = new SampleBusHost("thermo-display", bus, output);
        await using var sensor = PluginRuntime.Create("thermo-sensor", ModulePath(plugins, "thermo-sensor"), sensorHost);
        await using var display = PluginRuntime.Create("thermo-display", ModulePath(plugins, "thermo-display"), displayHost);
        await sensor.StartAsync();
        await display.StartAsync();
        output.WriteLine($"thermo-sensor  may {sensor.Facade.Allowed}");
        output.WriteLine($"thermo-display may {display.Facade.Allowed}");

        await sensor.CallAsync("start");   // serve("calibration")
        await display.CallAsync("start");  // subscribe("readings")

        const int Readings = 3;
        for (var i = 0; i < Readings; i++)
        {
            await sensor.CallAsync("publish_reading", new Dictionary<string, object?> { ["index"] = i });
            output.WriteLine($"thermo-sensor  published reading {i} on 'readings'");
        }
        // Deliveries are asynchronous: wait (bounded) until the display's on_event logged each reading.
        for (var i = 0; i < Readings; i++)
        {
            if (await displayHost.NextLogAsync(TimeSpan.FromSeconds(10)) is null)
            {
                output.WriteLine("thermo-display did not receive every reading in time");
                return 1;
            }
        }
        output.WriteLine($"thermo-display on_event ran {(await display.CallAsync("shown"))["result"]} times");

        await display.CallAsync("calibrate"); // the guest logs the reply it got
        var reply = JsonNode.Parse(await displayHost.NextLogAsync(TimeSpan.FromSeconds(10)) ?? "null");
        output.WriteLine($"thermo-display request 'calibration' -> {reply?.ToJsonString()}");
        if (reply?["success"]?.GetValue<bool>() != true) return 1;

        return await AlertIsDeniedAsync(display, output) ? 0 : 1;
    }

    /// <summary>The module file of the sample plugin <paramref name="id"/> (its manifest.yaml lies next to it).</summary>
    internal static string ModulePath(string plugins, string id) => Path.Combine(plugins, id, "1.0.0", "logic.wat");

    /// <summary>thermo-display's alert publish, which its manifest does not allow: true when it was denied, as it must be.</summary>
    internal static async Task<bool> AlertIsDeniedAsync(PluginRuntime display, TextWriter output)
    {
        try
        {
            await display.CallAsync("publish_alert");
            output.WriteLine("thermo-display published an alert: the manifest should have denied it");
            return false;
        }
        catch (PluginCallException ex) when (ex.Kind == PluginErrorKind.PermissionDenied)
        {
            output.WriteLine($"thermo-display publish 'alerts' denied ({ex.Kind}): {ex.Reason}");
            return true;
        }
    }
}

internal sealed class SampleBusHost(string pluginId, IInterfaceFactory bus, TextWriter output) : BaseHostFunctions(null, bus)
{
    private readonly Channel<string> _logs = Channel.CreateUnbounded<string>();

    public override ValueTask LogAsync(LogLevel level, string message, CancellationToken cancellationToken = default)
    {
        output.WriteLine($"{pluginId} log: {message}");
        _logs.Writer.TryWrite(message);
        return ValueTask.CompletedTask;
    }

    /// <summary>The next line the guest logs, or null when none comes within <paramref name="bound"/>.</summary>
    public async Task<string?> NextLogAsync(TimeSpan bound)
    {
        using var timeout = new CancellationTokenSource(bound);
        return await NextLogAsync(_ => true, timeout.Token);
    }

    /// <summary>
    /// The next line the guest logs that <paramref name="match"/> accepts (others are skipped), or null once
    /// <paramref name="cancellationToken"/> fires. Across processes other lines may come between (a reading
    /// published while the display waits for its calibration reply).
    /// </summary>
    public async Task<string?> NextLogAsync(Func<string, bool> match, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var line = await _logs.Reader.ReadAsync(cancellationToken);
                if (match(line)) return line;
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}
