using System.Diagnostics;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Sandbox;
using Xunit;
using Xunit.Abstractions;

namespace Vyra.Sdk.Tests.Serving;

/// <summary>The one timing-sensitive backpressure test, run with the heavy tests (alone) so other tests' spinning guests do not skew it.</summary>
[Collection(HeavySandboxCollection.Name)]
public class WaitTimeoutTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_timeout_covers_waiting_and_running()
    {
        // A call that waited most of its timeout gets only the rest to run: a spin queued for ~60% of the timeout ends
        // well before 1.6 timeouts (waiting plus a full timeout, the old behaviour), measured as a ratio.
        using var plugin = HookPlugin.Create();
        var timeout = TimeSpan.FromSeconds(2);
        await using var held = await BackpressureTests.Held.Start(plugin.ModulePath, new PluginRuntimeOptions { Timeout = timeout });
        var watch = Stopwatch.StartNew();
        var spin = held.Runtime.CallAsync("spin").AsTask();
        await Task.Delay(timeout * 0.6); // the quantity under test: how long the spin waits, not a synchronization
        await held.ReleaseAsync();
        var ex = await Assert.ThrowsAsync<PluginCallException>(() => spin);
        var total = watch.Elapsed;
        output.WriteLine($"{ex.Kind} after {total.TotalMilliseconds:F0} ms: {ex.Message}");
        Assert.True(ex.Kind is PluginErrorKind.Timeout or PluginErrorKind.Overloaded, $"unexpected {ex.Kind}: {ex.Message}");
        Assert.True(total < timeout * 1.4, $"waiting plus running took {total.TotalMilliseconds:F0} ms for a {timeout.TotalMilliseconds} ms timeout");
    }
}
