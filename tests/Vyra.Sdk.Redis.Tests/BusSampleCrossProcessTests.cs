using System.Security.Cryptography;
using Xunit;

namespace Vyra.Sdk.Redis.Tests;

/// <summary>
/// samples/Vyra.Samples.Bus with --redis: the thermo-sensor / thermo-display pair (the same plugin folders and guest
/// code as the in-process run) as two .NET processes with their own connections, on the test's redis-server. The
/// processes are synchronised by their output and the sensor's input only.
/// </summary>
public sealed class BusSampleCrossProcessTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task The_thermo_pair_publishes_requests_and_is_denied_across_two_processes_over_Redis()
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var prefix = "x" + Guid.NewGuid().ToString("N")[..10];
        using var sensor = SampleProcess.Start("Vyra.Samples.Bus", key, "--redis", redis.Configuration, "sensor", prefix);
        Assert.True(await sensor.WaitForLineAsync(l => l.StartsWith("thermo-sensor ready", StringComparison.Ordinal), Bound), sensor.Output);

        using var display = SampleProcess.Start("Vyra.Samples.Bus", key, "--redis", redis.Configuration, "display", prefix);
        // Pub/sub reaches only subscribers connected at the time: the sensor is told to publish once the display says so.
        Assert.True(await display.WaitForLineAsync(l => l.StartsWith("thermo-display subscribed to 'readings'", StringComparison.Ordinal), Bound), display.Output);
        for (var i = 0; i < 3; i++) await sensor.Process.StandardInput.WriteLineAsync();
        await sensor.Process.StandardInput.FlushAsync();

        await display.Process.WaitForExitAsync().WaitAsync(Bound);
        Assert.True(display.Process.ExitCode == 0, display.Output + "\n--- sensor:\n" + sensor.Output);
        Assert.Contains("""thermo-display log: {"celsius":21.5}""", display.Lines);
        Assert.Contains("""thermo-display log: {"celsius":22.5}""", display.Lines);
        Assert.Contains("thermo-display on_event ran 3 times", display.Lines);
        Assert.Contains("""thermo-display request 'calibration' -> {"plugin_id":"thermo-sensor","success":true,"data":{"offset":-0.5},"error":null}""", display.Lines);
        Assert.Contains(display.Lines, l => l.StartsWith(
            "thermo-display publish 'alerts' denied (PermissionDenied): permission denied: plugin 'thermo-display' may not publish on 'local/alerts'", StringComparison.Ordinal));

        sensor.Process.StandardInput.Close(); // the end of its input stops the sensor
        await sensor.Process.WaitForExitAsync().WaitAsync(Bound);
        Assert.True(sensor.Process.ExitCode == 0, sensor.Output);
        Assert.Contains("thermo-sensor  published reading 2 on 'readings'", sensor.Lines);
        Assert.Contains("thermo-sensor  stopped: published 3 readings", sensor.Lines);
    }

    [Theory]
    [InlineData("", "VYRA_WIRE_KEY is not set")]
    [InlineData("c2hvcnQ=", "VYRA_WIRE_KEY is not a usable wire key: key 'sample': the secret has 5 bytes, at least 16 are needed")]
    public async Task A_process_without_a_usable_wire_key_says_so_and_exits_2(string key, string message)
    {
        using var display = SampleProcess.Start("Vyra.Samples.Bus", key, "--redis", redis.Configuration, "display");

        await display.Process.WaitForExitAsync().WaitAsync(Bound);
        Assert.True(display.Process.ExitCode == 2, display.Output);
        Assert.Contains(display.Lines, l => l.StartsWith(message, StringComparison.Ordinal));
    }
}
