using Vyra.Sdk;
using Xunit;

namespace Vyra.Sdk.Tests.Serving;

/// <summary>Where guest code runs: CallAsync on the runtime's own threads, the sync typed path on the caller's.</summary>
public class ThreadingTests
{
    [Fact]
    public async Task CallAsync_runs_guest_code_off_the_thread_pool_and_the_typed_path_on_the_callers_thread()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        var onPool = true;
        var hookThread = 0;
        host.OnHook = n =>
        {
            onPool = Thread.CurrentThread.IsThreadPoolThread;
            hookThread = Environment.CurrentManagedThreadId;
            return n;
        };
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host);
        await runtime.StartAsync();

        Assert.Equal(1, (await Task.Run(async () => await runtime.CallAsync("hook", HookPlugin.N(1))))["result"]);
        Assert.False(onPool, "guest code of CallAsync ran on a thread-pool thread");
        var worker = hookThread;
        await runtime.OnEventAsync("tick");
        Assert.Equal(worker, hookThread);

        var hook = runtime.GetTypedExport("hook", static f => f.WrapFunc<int, int>());
        using (var call = hook.Enter())
        {
            Assert.Equal(2, call.Function(2));
        }
        Assert.Equal(Environment.CurrentManagedThreadId, hookThread);
    }

    [Fact]
    public async Task Without_guest_threads_the_async_paths_run_guest_code_on_the_callers_thread()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        var hookThread = 0;
        host.OnHook = n =>
        {
            hookThread = Environment.CurrentManagedThreadId;
            return n;
        };
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: new PluginRuntimeOptions { GuestThreads = false });
        await runtime.StartAsync();
        var hook = runtime.GetTypedExport("hook", static f => f.WrapFunc<int, int>());
        int callerThread = 0, viaCallAsync = 0, viaRunAsync = 0;
        var caller = new Thread(() =>
        {
            callerThread = Environment.CurrentManagedThreadId;
            runtime.CallAsync("hook", HookPlugin.N(1)).AsTask().GetAwaiter().GetResult();
            viaCallAsync = hookThread;
            hook.RunAsync(2, static (call, n) => call.Function(n)).AsTask().GetAwaiter().GetResult();
            viaRunAsync = hookThread;
        });
        caller.Start();
        Assert.True(caller.Join(TimeSpan.FromSeconds(15)));
        Assert.Equal(callerThread, viaCallAsync);
        Assert.Equal(callerThread, viaRunAsync);

        // Re-entrancy is still refused.
        PluginCallException? refused = null;
        host.OnHook = n =>
        {
            try
            {
                runtime.CallAsync("double", new Dictionary<string, object?> { ["x"] = 1 }).AsTask().GetAwaiter().GetResult();
            }
            catch (PluginCallException ex)
            {
                refused = ex;
            }
            return n;
        };
        Assert.Equal(3, (await runtime.CallAsync("hook", HookPlugin.N(3)))["result"]);
        Assert.Equal(PluginErrorKind.Reentrant, refused?.Kind);
    }

    [Fact]
    public async Task Callers_saturating_a_busy_plugin_do_not_hold_back_unrelated_thread_pool_work()
    {
        // Two instances, sixteen callers, every guest call busy until released: the thread pool keeps its default
        // minimum, and a work item unrelated to the plugin still runs while all of them are held.
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        using var release = new ManualResetEventSlim();
        using var bothBusy = new ManualResetEventSlim();
        var inside = 0;
        host.OnHook = n =>
        {
            if (Interlocked.Increment(ref inside) == 2) bothBusy.Set();
            release.Wait();
            return n;
        };
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: new PluginRuntimeOptions { Instances = 2, Timeout = Timeout.InfiniteTimeSpan });
        await runtime.StartAsync();
        Task<IReadOnlyDictionary<string, object?>>[] callers = [];
        try
        {
            callers = Enumerable.Range(0, 16).Select(i => Task.Run(async () => await runtime.CallAsync("hook", HookPlugin.N(i)))).ToArray();
            Assert.True(bothBusy.Wait(TimeSpan.FromSeconds(15)), "the guest calls never started");

            var unrelated = Task.Run(() => 42);
            Assert.Equal(42, await unrelated.WaitAsync(TimeSpan.FromSeconds(15)));
            Assert.All(callers, c => Assert.False(c.IsCompleted)); // it ran while every guest call was still held
            Assert.Equal(2, Volatile.Read(ref inside));
        }
        finally
        {
            release.Set();
        }
        var results = await Task.WhenAll(callers);
        Assert.Equal(Enumerable.Range(0, 16), results.Select(r => (int)r["result"]!).Order());
    }
}
