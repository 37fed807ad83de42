using Vyra.Sdk.Tests.Bus;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Lifecycle;

/// <summary>
/// A hot swap runs the new version's <c>init</c> before it knows whether the swap will succeed; what that <c>init</c>
/// does on the bus must not outlive a swap that fails. Real Wasmtime, an in-process bus.
/// </summary>
public class SwapBusFailureTests
{
    private static readonly InterfaceAddress News = new("local", null, "news");

    private const string SubscribeLocal = """[{"transport":"subscribe","module_name":"local","module_id":null}]""";

    private const string PublishLocal = """[{"transport":"publish","module_name":"local","module_id":null}]""";

    /// <summary>Version 1: receives events, gives a (4-byte) state, subscribes to nothing by itself.</summary>
    private const string V1Wat = """
        (module
          (memory (export "memory") 1)
          (func (export "vyra_alloc") (param i32) (result i32) i32.const 1024)
          (func (export "on_event") (param i32 i32 i32 i32))
          (func (export "vyra_snapshot") (result i64) i64.const 4))
        """;

    /// <summary>Version 2: its init subscribes to <c>news</c>; its restore (when exported) traps, so the swap fails after init ran.</summary>
    private static string V2Wat(bool trappingRestore = true) => $$"""
        (module
          (import "vyra" "subscribe" (func $subscribe (param i32 i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "news")
          (func (export "vyra_alloc") (param i32) (result i32) i32.const 1024)
          (func (export "on_event") (param i32 i32 i32 i32))
          (func (export "init") (param i32) (call $subscribe (i32.const 0) (i32.const 4)))
          {{(trappingRestore ? """(func (export "vyra_restore") (param i32 i32) unreachable)""" : "")}})
        """;

    private static string Manifest(string version, string permissions, bool init)
    {
        var exports = init
            ? """ "initial_state":{"start":{"type":"i32","default":1}}, "exports":[{"name":"init","args":[{"name":"start","type":"i32"}]}] """
            : """ "exports":[] """;
        return "{\"id\":\"listener\",\"version\":\"" + version + "\"," + exports + ",\"permissions\":{\"interfaces\":" + permissions + "}}";
    }

    private static PluginRuntimeOptions Options() => new() { Bus = PluginBusOptions.Default, Timeout = TimeSpan.FromSeconds(15) };

    [Fact]
    public async Task A_swap_that_fails_after_the_new_init_subscribed_ends_that_subscription()
    {
        var bus = new InProcessBus();
        using var v1 = TempPlugin.FromWat(V1Wat, Manifest("1.0.0", SubscribeLocal, init: false), "listener");
        using var v2 = TempPlugin.FromWat(V2Wat(), Manifest("2.0.0", SubscribeLocal, init: true), "listener");
        await using var runtime = new WasmRuntime("listener", v1.ModulePath, new BusHost(bus), null, Options());
        await runtime.StartAsync();
        Assert.Equal(0, bus.SubscriberCount(News));

        var result = await runtime.SwapAsync(v2.ModulePath);

        Assert.Equal(PluginSwapStatus.Failed, result.Status);
        Assert.Contains("vyra_restore failed", result.Message);
        Assert.Equal("1.0.0", runtime.Manifest!.Version);
        // Version 1 never subscribed: the subscription version 2's init made must not deliver into it.
        Assert.Equal(0, bus.SubscriberCount(News));
    }

    [Fact]
    public async Task The_new_versions_init_subscribes_under_the_new_manifests_permissions()
    {
        var bus = new InProcessBus();
        using var v1 = TempPlugin.FromWat(V1Wat, Manifest("1.0.0", PublishLocal, init: false), "listener");
        using var v2 = TempPlugin.FromWat(V2Wat(trappingRestore: false), Manifest("2.0.0", SubscribeLocal, init: true), "listener");
        await using var runtime = new WasmRuntime("listener", v1.ModulePath, new BusHost(bus), null, Options());
        await runtime.StartAsync();
        // Version 1 may not subscribe (its manifest grants publish only).
        Assert.False(runtime.Facade.Allows(InterfaceTransport.Subscribe, News));

        var result = await runtime.SwapAsync(v2.ModulePath);

        // Version 2's manifest grants what its init uses: the swap goes through and the subscription is live.
        Assert.True(result.Status == PluginSwapStatus.Swapped, result.Message);
        Assert.Equal("2.0.0", runtime.Manifest!.Version);
        Assert.Equal(1, bus.SubscriberCount(News));
    }
}
