using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Serving;

/// <summary>Waiting for a busy runtime is bounded in length and time, cancellable, and counts against the call's timeout.</summary>
public class BackpressureTests
{
    /// <summary>A started runtime whose every instance is held inside <c>host_hook</c> until the returned gate is set.</summary>
    internal sealed class Held : IAsyncDisposable
    {
        private readonly ManualResetEventSlim _release = new();
        private readonly Task[] _holders;

        private Held(WasmRuntime runtime, Task[] holders)
        {
            Runtime = runtime;
            _holders = holders;
        }

        public WasmRuntime Runtime { get; }

        public static async Task<Held> Start(string modulePath, PluginRuntimeOptions options)
        {
            var host = new HookHost();
            using var allHeld = new CountdownEvent(options.Instances);
            var runtime = new WasmRuntime("hook", modulePath, host, options: options);
            await runtime.StartAsync();
            Held? held = null;
            host.OnHook = n =>
            {
                if (n < 0) return n;
                allHeld.Signal();
                held!._release.Wait();
                return n;
            };
            var holders = new Task[options.Instances];
            held = new Held(runtime, holders);
            for (var i = 0; i < holders.Length; i++) holders[i] = runtime.CallAsync("hook", HookPlugin.N(i)).AsTask();
            Assert.True(allHeld.Wait(TimeSpan.FromSeconds(15)), "the holding calls never started");
            return held;
        }

        public async Task ReleaseAsync()
        {
            _release.Set();
            await Task.WhenAll(_holders);
        }

        public async ValueTask DisposeAsync()
        {
            _release.Set();
            await Runtime.DisposeAsync();
            _release.Dispose();
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_full_queue_answers_Overloaded_at_once(int instances)
    {
        using var plugin = HookPlugin.Create();
        await using var held = await Held.Start(plugin.ModulePath, new PluginRuntimeOptions { Instances = instances, MaxQueueLength = 2, Timeout = Timeout.InfiniteTimeSpan });
        var runtime = held.Runtime;
        var waiting = new[] { runtime.CallAsync("double", SamplePlugins.Args(("x", 1))), runtime.CallAsync("double", SamplePlugins.Args(("x", 2))) };

        var refused = runtime.CallAsync("double", SamplePlugins.Args(("x", 3)));
        Assert.True(refused.IsCompleted, "a call beyond the queue bound must be answered without waiting");
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await refused);
        Assert.Equal(PluginErrorKind.Overloaded, ex.Kind);
        Assert.Contains("MaxQueueLength", ex.Reason);

        await held.ReleaseAsync();
        Assert.Equal(2, (await waiting[0])["result"]);
        Assert.Equal(4, (await waiting[1])["result"]);
        Assert.Equal(6, (await runtime.CallAsync("double", SamplePlugins.Args(("x", 3))))["result"]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_wait_longer_than_MaxQueueWait_ends_as_Overloaded_on_both_paths(int instances)
    {
        using var plugin = HookPlugin.Create();
        await using var held = await Held.Start(plugin.ModulePath, new PluginRuntimeOptions { Instances = instances, MaxQueueWait = TimeSpan.FromMilliseconds(50), Timeout = Timeout.InfiniteTimeSpan });
        var runtime = held.Runtime;

        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("double", SamplePlugins.Args(("x", 1))));
        Assert.Equal(PluginErrorKind.Overloaded, ex.Kind);
        Assert.Contains("MaxQueueWait", ex.Reason);

        var typed = runtime.GetTypedExport("double", static f => f.WrapFunc<int, int>());
        var typedEx = Assert.Throws<PluginCallException>(() => typed.Enter());
        Assert.Equal(PluginErrorKind.Overloaded, typedEx.Kind);

        await held.ReleaseAsync();
        Assert.Equal(8, (await runtime.CallAsync("double", SamplePlugins.Args(("x", 4))))["result"]); // no turn was lost
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_waiting_call_is_cancellable_and_hands_no_turn_away(int instances)
    {
        using var plugin = HookPlugin.Create();
        await using var held = await Held.Start(plugin.ModulePath, new PluginRuntimeOptions { Instances = instances, Timeout = Timeout.InfiniteTimeSpan });
        var runtime = held.Runtime;
        using var cts = new CancellationTokenSource();
        var cancelled = runtime.CallAsync("double", SamplePlugins.Args(("x", 1)), cts.Token);
        var after = runtime.CallAsync("double", SamplePlugins.Args(("x", 5)));
        Assert.False(cancelled.IsCompleted);

        cts.Cancel();
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await cancelled);
        Assert.Equal(PluginErrorKind.Cancelled, ex.Kind);
        Assert.False(after.IsCompleted);

        await held.ReleaseAsync();
        Assert.Equal(10, (await after)["result"]);
        Assert.Equal(4, (await runtime.CallAsync("double", SamplePlugins.Args(("x", 2))))["result"]);
    }

    [Fact]
    public async Task A_typed_call_waiting_on_another_thread_is_cancellable()
    {
        using var plugin = HookPlugin.Create();
        await using var held = await Held.Start(plugin.ModulePath, new PluginRuntimeOptions { Timeout = Timeout.InfiniteTimeSpan });
        var typed = held.Runtime.GetTypedExport("double", static f => f.WrapFunc<int, int>());
        using var cts = new CancellationTokenSource();
        var waiter = Task.Factory.StartNew(() =>
        {
            using var call = typed.Enter(cts.Token);
            return call.Function(1);
        }, TaskCreationOptions.LongRunning);
        cts.Cancel();
        var ex = await Assert.ThrowsAsync<PluginCallException>(() => waiter);
        Assert.Equal(PluginErrorKind.Cancelled, ex.Kind);
        await held.ReleaseAsync();
        using (var call = typed.Enter())
        {
            Assert.Equal(6, call.Function(3));
        }
    }

    [Fact]
    public void A_negative_queue_length_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WasmRuntime("p", "x.wasm", options: new PluginRuntimeOptions { MaxQueueLength = -1 }));
    }
}
