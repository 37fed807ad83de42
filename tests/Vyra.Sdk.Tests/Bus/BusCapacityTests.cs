using System.Text.Json;
using Vyra.Sdk;
using Xunit;

namespace Vyra.Sdk.Tests.Bus;

/// <summary>A capacity the host set on the in-process bus reaches a plugin as Overloaded, not as a host fault.</summary>
public class BusCapacityTests
{
    private static readonly PluginPermissions Everything = new([new InterfacePermission(null, "local")]);

    [Fact]
    public async Task A_full_topic_or_service_is_Overloaded_and_frees_the_plugins_own_slot()
    {
        var bus = new InProcessBus(new InProcessBusOptions { MaxSubscribersPerAddress = 1, MaxServersPerAddress = 1 });
        var host = new BusHost(bus);
        await using var first = new PluginFacade("first", Everything, host);
        await using var second = new PluginFacade("second", Everything, host);
        await using var _ = await first.SubscribeAsync("news", (_, _) => ValueTask.CompletedTask);
        await using var __ = await first.ServeAsync("help", (r, _) => ValueTask.FromResult(new ServiceResponse("first", true, r.Data)));

        var subscribe = await Assert.ThrowsAsync<PluginCallException>(async () => await second.SubscribeAsync("news", (_, _) => ValueTask.CompletedTask));
        Assert.Equal(PluginErrorKind.Overloaded, subscribe.Kind);
        Assert.Contains("MaxSubscribersPerAddress", subscribe.Message);
        var serve = await Assert.ThrowsAsync<PluginCallException>(async () => await second.ServeAsync("help", (r, _) => ValueTask.FromResult(new ServiceResponse("second", true, r.Data))));
        Assert.Equal(PluginErrorKind.Overloaded, serve.Kind);
        Assert.Contains("MaxServersPerAddress", serve.Message);

        // The refused attempts did not use up the plugin's own caps: another topic and service still work.
        await using var other = await second.SubscribeAsync("weather", (_, _) => ValueTask.CompletedTask);
        await using var served = await second.ServeAsync("time", (r, _) => ValueTask.FromResult(new ServiceResponse("second", true, r.Data)));
        Assert.True((await first.RequestAsync("time", JsonSerializer.SerializeToElement(1))).Success);
    }
}
