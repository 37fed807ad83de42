using Microsoft.Extensions.DependencyInjection;
using Vyra.Sdk;
using Vyra.Sdk.Hosting;
using Xunit;

namespace Vyra.Sdk.Hosting.Tests;

/// <summary>
/// Vyra:Plugins:WatchPools: a version dropped into a pool replaces the running plugin behind the host's registration.
/// The test awaits the watcher's event (a generous bound only a broken watcher reaches), never a delay.
/// </summary>
public sealed class HotSwapHostingTests
{
    private const string Manifest = """{"id":"swapper","version":"VERSION","exports":[{"name":"answer","args":[]},{"name":"get_count","args":[]},{"name":"increment","args":[{"name":"step","type":"i32"}]}]}""";

    private static string Wat(int answer) => $$"""
        (module
          (memory (export "memory") 1)
          (global $count (mut i32) (i32.const 0))
          (func (export "vyra_alloc") (param i32) (result i32) i32.const 1024)
          (func (export "answer") (result i32) i32.const {{answer}})
          (func (export "increment") (param $step i32) (result i32)
            global.get $count local.get $step i32.add global.set $count global.get $count)
          (func (export "get_count") (result i32) global.get $count)
          (func (export "vyra_snapshot") (result i64) i32.const 16 global.get $count i32.store i64.const 68719476740)
          (func (export "vyra_restore") (param $p i32) (param i32) local.get $p i32.load global.set $count))
        """;

    [Fact]
    public async Task With_WatchPools_a_version_dropped_into_a_pool_replaces_the_running_plugin()
    {
        using var pool = new TempPool().Add("swapper", Manifest.Replace("VERSION", "1.0.0"), Wat(1));
        var builder = Fixtures.NewHost(new Dictionary<string, string?>
        {
            ["Vyra:Plugins:Pools:0"] = pool.Root,
            ["Vyra:Plugins:WatchPools"] = "true",
            ["Vyra:Plugins:ById:swapper:AutoStart"] = "true",
        });
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();
        await host.StartAsync();
        var registry = host.Services.GetRequiredService<PluginRuntimeRegistry>();
        var runtime = registry.Get("swapper");
        await runtime.CallAsync("increment", new Dictionary<string, object?> { ["step"] = 3 });
        var swapped = new TaskCompletionSource<PluginSwapAttemptedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.NotNull(registry.Watcher);
        registry.Watcher!.SwapAttempted += (_, e) => swapped.TrySetResult(e);

        pool.Add("swapper", Manifest.Replace("VERSION", "1.1.0"), Wat(2), version: "1.1.0");

        var attempt = await swapped.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(attempt.Result.Succeeded, attempt.Result.Message);
        Assert.Same(runtime, registry.Get("swapper")); // the registration is the same runtime, now serving 1.1.0
        Assert.Equal(2, (await runtime.CallAsync("answer"))["result"]);
        Assert.Equal(3, (await runtime.CallAsync("get_count"))["result"]);

        await host.StopAsync();
        Assert.Null(registry.Watcher);
    }

    [Fact]
    public async Task The_registry_swaps_a_plugin_by_id_to_a_version_added_after_the_start()
    {
        using var pool = new TempPool().Add("swapper", Manifest.Replace("VERSION", "1.0.0"), Wat(1));
        var builder = Fixtures.NewHost(new Dictionary<string, string?> { ["Vyra:Plugins:Pools:0"] = pool.Root });
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();
        await host.StartAsync();
        var registry = host.Services.GetRequiredService<PluginRuntimeRegistry>();
        await Assert.ThrowsAsync<InvalidOperationException>(() => registry.SwapAsync("swapper")); // nothing to swap yet
        var runtime = await registry.GetStartedAsync("swapper");
        pool.Add("swapper", Manifest.Replace("VERSION", "2.0.0"), Wat(2), version: "2.0.0");

        var result = await registry.SwapAsync("swapper");

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("2.0.0", result.ToVersion);
        Assert.Equal(2, (await runtime.CallAsync("answer"))["result"]);
        var back = await registry.SwapAsync("swapper", "1.0.0"); // an older version, when asked for by name
        Assert.Equal(("2.0.0", "1.0.0"), (back.FromVersion, back.ToVersion));
        Assert.Equal(1, (await runtime.CallAsync("answer"))["result"]);
        await Assert.ThrowsAsync<PluginLoadException>(() => registry.SwapAsync("swapper", "9.9.9"));
        await host.StopAsync();
    }

    [Fact]
    public async Task Without_WatchPools_there_is_no_watcher()
    {
        using var pool = new TempPool().Add("swapper", Manifest.Replace("VERSION", "1.0.0"), Wat(1));
        var builder = Fixtures.NewHost(new Dictionary<string, string?> { ["Vyra:Plugins:Pools:0"] = pool.Root });
        builder.Services.AddVyraPlugins();
        using var host = builder.Build();
        await host.StartAsync();
        Assert.Null(host.Services.GetRequiredService<PluginRuntimeRegistry>().Watcher);
        await host.StopAsync();
    }
}
