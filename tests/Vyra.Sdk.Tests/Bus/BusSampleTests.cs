using Vyra.Samples.Bus;
using Xunit;

namespace Vyra.Sdk.Tests.Bus;

/// <summary>samples/Vyra.Samples.Bus, run in this process on its own copied plugins (WAT + manifest.yaml).</summary>
public class BusSampleTests
{
    [Fact]
    public async Task The_bus_sample_talks_requests_and_prints_the_denied_publish()
    {
        using var output = new StringWriter();

        var exit = await BusSample.RunAsync([], output).WaitAsync(TimeSpan.FromSeconds(20));

        var text = output.ToString();
        Assert.True(exit == 0, text);
        Assert.Contains("thermo-display on_event ran 3 times", text);
        Assert.Contains("""thermo-display request 'calibration' -> {"plugin_id":"thermo-sensor","success":true,"data":{"offset":-0.5},"error":null}""", text);
        Assert.Contains("thermo-display publish 'alerts' denied (PermissionDenied)", text);
    }

    [Fact]
    // The --redis mode itself runs as two processes on a real redis-server in Vyra.Sdk.Redis.Tests (BusSampleCrossProcessTests).
    public async Task The_redis_mode_with_an_unknown_role_prints_its_usage()
    {
        using var output = new StringWriter();

        Assert.Equal(2, await BusSample.RunAsync(["--redis", "127.0.0.1:6379", "thermostat"], output));

        Assert.StartsWith("usage: Vyra.Samples.Bus --redis HOST:PORT sensor|display [PREFIX]", output.ToString());
    }
}
