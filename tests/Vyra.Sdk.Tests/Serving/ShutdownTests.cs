using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Serving;

/// <summary>A stop interrupts guest code and fails waiting callers at once: a shutdown never waits out call timeouts.</summary>
public class ShutdownTests
{
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    public async Task Stop_interrupts_endless_guest_code_and_fails_every_queued_caller(int instances, bool dispose)
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        using var allSpinning = new CountdownEvent(instances);
        host.OnHook = n =>
        {
            allSpinning.Signal();
            return n;
        };
        // No timeout at all: only the stop can end these calls.
        var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: new PluginRuntimeOptions { Instances = instances, Timeout = Timeout.InfiniteTimeSpan });
        await runtime.StartAsync();
        var running = Enumerable.Range(0, instances).Select(i => runtime.CallAsync("hook_then_spin", HookPlugin.N(i)).AsTask()).ToArray();
        Assert.True(allSpinning.Wait(TimeSpan.FromSeconds(15)), "the endless calls never started");
        var queued = Enumerable.Range(0, 5).Select(i => runtime.CallAsync("double", SamplePlugins.Args(("x", i))).AsTask()).ToArray();
        var typed = runtime.GetTypedExport("double", static f => f.WrapFunc<int, int>());
        var typedCaller = Task.Factory.StartNew(() =>
        {
            using var call = typed.Enter();
            return call.Function(1);
        }, TaskCreationOptions.LongRunning);

        var stopping = dispose ? runtime.DisposeAsync().AsTask() : runtime.StopAsync().AsTask();
        await stopping.WaitAsync(TimeSpan.FromSeconds(15));

        foreach (var call in running)
        {
            var ex = await Assert.ThrowsAsync<PluginCallException>(() => call);
            Assert.Equal(PluginErrorKind.Cancelled, ex.Kind);
            Assert.Contains("stopped", ex.Reason);
        }
        foreach (var call in queued)
        {
            var ex = await Assert.ThrowsAsync<PluginCallException>(() => call);
            Assert.Equal(PluginErrorKind.NotStarted, ex.Kind);
        }
        var typedEx = await Assert.ThrowsAsync<PluginCallException>(() => typedCaller.WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.Equal(PluginErrorKind.NotStarted, typedEx.Kind);
        Assert.False(runtime.IsRunning);
    }

    [Fact]
    public async Task A_stopped_runtime_starts_again_and_serves_calls()
    {
        using var plugin = HookPlugin.Create();
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, new HookHost());
        await runtime.StartAsync();
        Assert.Equal(2, (await runtime.CallAsync("double", SamplePlugins.Args(("x", 1))))["result"]);
        await runtime.StopAsync();
        await runtime.StartAsync();
        Assert.Equal(4, (await runtime.CallAsync("double", SamplePlugins.Args(("x", 2))))["result"]);
    }
}
