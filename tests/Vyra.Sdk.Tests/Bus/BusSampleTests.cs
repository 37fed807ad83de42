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
    // The Redis bus branch implements --redis (a second process over Redis) and replaces this test with a real one.
    public async Task The_redis_mode_is_a_seam_that_says_it_is_not_here_yet()
    {
        using var output = new StringWriter();
        Assert.Equal(2, await BusSample.RunAsync(["--redis"], output));
        Assert.Contains("--redis", output.ToString());
    }
}
