using Microsoft.Extensions.DependencyInjection;
using Vyra.Sdk;
using Vyra.Sdk.Hosting;
using Xunit;

namespace Vyra.Sdk.Hosting.Tests;

/// <summary>
/// A component plugin (docs/components.md) in a pool that Hosting serves: discovered by the catalog, started on demand
/// with the component backend, called through <c>CallAsync</c> with JSON-shaped values, stopped with the host.
/// </summary>
public sealed class ComponentHostingTests
{
    private static string ComponentPool => Path.Combine(AppContext.BaseDirectory, "component-plugins");

    [Fact]
    public async Task A_component_plugin_in_a_pool_is_served_like_any_other()
    {
        var builder = Fixtures.NewHost(new Dictionary<string, string?> { ["Vyra:Plugins:Pools:0"] = ComponentPool });
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();
        await host.StartAsync();
        var plugins = host.Services.GetRequiredService<IPluginRuntimes>();
        var entry = Assert.Single(plugins.Plugins, p => p.Id == "calc");
        Assert.True(entry.IsValid, string.Join("; ", entry.Problems));

        var calc = await plugins.GetStartedAsync("calc");
        Assert.Equal("component", calc.Backend);
        Assert.Equal("calc 1.0.0", (await calc.CallAsync("version"))["result"]);

        // compute logs its note through the world's `log` import, which this host never bound: the call fails with the
        // host-function kind and names the import; the runtime keeps serving.
        var request = new Dictionary<string, object?> { ["req"] = new Dictionary<string, object?> { ["op"] = "add", ["a"] = 1, ["b"] = 2, ["note"] = "n" } };
        var failed = await Assert.ThrowsAsync<PluginCallException>(async () => await calc.CallAsync("compute", request));
        Assert.Equal(PluginErrorKind.HostFunction, failed.Kind);
        Assert.Contains("the host provides no implementation of the import 'log'", failed.Reason);
        Assert.Equal("calc 1.0.0", (await calc.CallAsync("version"))["result"]);

        await host.StopAsync();
        Assert.False(calc.IsRunning);
    }
}
