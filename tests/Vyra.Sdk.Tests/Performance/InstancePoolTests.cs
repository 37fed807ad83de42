using System.Collections.Concurrent;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Performance;

/// <summary>A pool of instances for stateless plugins (<see cref="PluginRuntimeOptions.Instances"/>).</summary>
public class InstancePoolTests
{
    // "work" spins for a while and reports whether another call was inside the same instance meanwhile:
    // a global flag set on entry and cleared on exit; seeing it set on entry means two callers shared the instance.
    private const string Wat = """
        (module
          (global $busy (mut i32) (i32.const 0))
          (func (export "work") (param $n i32) (result i32)
            (local $shared i32)
            (local.set $shared (global.get $busy))
            (global.set $busy (i32.const 1))
            (block $done (loop $spin
              (br_if $done (i32.eqz (local.get $n)))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br $spin)))
            (global.set $busy (i32.const 0))
            (local.get $shared))
          (func (export "double") (param $x i32) (result i32) (i32.mul (local.get $x) (i32.const 2)))
          (func (export "boom") (result i32) unreachable))
        """;

    private const string Manifest = """
        {"id":"pooled","exports":[
          {"name":"work","args":[{"name":"n","type":"i32"}]},
          {"name":"double","args":[{"name":"x","type":"i32"}]},
          {"name":"boom","args":[]}]}
        """;

    private static async Task<WasmRuntime> StartPool(TempPlugin plugin, int instances)
    {
        var runtime = new WasmRuntime("pooled", plugin.ModulePath, options: new PluginRuntimeOptions { Instances = instances });
        await runtime.StartAsync();
        return runtime;
    }

    [Fact]
    public async Task Concurrent_callers_get_correct_results_and_never_share_an_instance()
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        await using var runtime = await StartPool(plugin, 3);
        var results = new ConcurrentBag<object?>();
        await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(async () =>
        {
            for (var j = 0; j < 20; j++)
            {
                results.Add((await runtime.CallAsync("work", SamplePlugins.Args(("n", 20_000))))["result"]);
                Assert.Equal(2 * (i + j), (await runtime.CallAsync("double", SamplePlugins.Args(("x", i + j))))["result"]);
            }
        })));
        Assert.Equal(240, results.Count);
        Assert.All(results, shared => Assert.Equal(0, shared));
    }

    [Fact]
    public async Task The_typed_path_leases_instances_too()
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        await using var runtime = await StartPool(plugin, 2);
        var work = runtime.GetTypedExport("work", static f => f.WrapFunc<int, int>());
        var shared = 0;
        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            using var call = work.Enter();
            shared += call.Function(5_000);
        });
        Assert.Equal(0, shared);
    }

    [Fact]
    public async Task An_instance_whose_call_trapped_is_replaced()
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        await using var runtime = await StartPool(plugin, 2);
        for (var i = 0; i < 5; i++)
        {
            var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("boom"));
            Assert.Equal(PluginErrorKind.Trap, ex.Kind);
        }
        Assert.True(runtime.IsRunning);
        Assert.Equal(8, (await runtime.CallAsync("double", SamplePlugins.Args(("x", 4))))["result"]);
    }

    [Fact]
    public async Task Stopping_interrupts_running_calls_and_fails_waiting_callers_with_NotStarted()
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        var runtime = await StartPool(plugin, 2);
        using var issued = new CountdownEvent(16);
        var calls = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            try
            {
                var call = runtime.CallAsync("work", SamplePlugins.Args(("n", 2_000_000)));
                issued.Signal();
                await call;
                return "done";
            }
            catch (PluginCallException ex) when (ex.Kind == PluginErrorKind.NotStarted)
            {
                return "not started";
            }
            catch (PluginCallException ex) when (ex.Kind == PluginErrorKind.Cancelled)
            {
                return "interrupted by the stop";
            }
        })).ToArray();
        // Stop once every caller has made its call (running on an instance or waiting for one), instead of after a sleep.
        Assert.True(issued.Wait(TimeSpan.FromSeconds(15)), "the callers never called");
        await runtime.DisposeAsync();
        var outcomes = await Task.WhenAll(calls);
        Assert.All(outcomes, o => Assert.True(o is "done" or "not started" or "interrupted by the stop"));
        Assert.False(runtime.IsRunning);
    }

    [Fact]
    public async Task Waiting_for_a_busy_pool_honours_cancellation()
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        await using var runtime = await StartPool(plugin, 2);
        var work = runtime.GetTypedExport("work", static f => f.WrapFunc<int, int>());
        // Both instances are held by two other threads (a thread holding a lease that calls the same runtime again is
        // refused as re-entrant).
        using var held = new CountdownEvent(2);
        using var release = new ManualResetEventSlim();
        var holders = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            using var lease = work.Enter();
            held.Signal();
            release.Wait();
        })).ToArray();
        foreach (var holder in holders) holder.Start();
        held.Wait();
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
            var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("double", SamplePlugins.Args(("x", 1)), cts.Token));
            Assert.Equal(PluginErrorKind.Cancelled, ex.Kind);
        }
        finally
        {
            release.Set();
            foreach (var holder in holders) holder.Join();
        }
    }

    [Fact]
    public void Instances_below_one_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WasmRuntime("p", "x.wasm", options: new PluginRuntimeOptions { Instances = 0 }));
    }
}
