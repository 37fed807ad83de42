using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Serving;

/// <summary>
/// CallAsync of a runtime without guest threads (GuestThreads = false): the guest runs on the caller's thread, straight
/// through when the instance is free, and through the asynchronous lease when it is not; every guard still holds.
/// </summary>
[Collection(ProcessWideCollection.Name)] // the allocation count is read alone, never beside a listener or other load
public class CallHereTests
{
    private static PluginRuntimeOptions NoGuestThreads(TimeSpan? timeout = null, TimeSpan? maxQueueWait = null) =>
        new() { GuestThreads = false, Timeout = timeout ?? Timeout.InfiniteTimeSpan, MaxQueueWait = maxQueueWait };

    [Fact]
    public async Task Concurrent_callers_each_have_the_instance_alone()
    {
        await using var runtime = new WasmRuntime("counter-widget", SamplePlugins.Counter, options: NoGuestThreads());
        await runtime.StartAsync();
        const int Threads = 4, Calls = 2_000;
        var step = SamplePlugins.Args(("step", 1));
        var failures = 0;
        var callers = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
        {
            try
            {
                for (var i = 0; i < Calls; i++) runtime.CallAsync("increment", step).AsTask().GetAwaiter().GetResult();
            }
            catch
            {
                Interlocked.Increment(ref failures);
            }
        })).ToList();
        callers.ForEach(t => t.Start());
        Assert.All(callers, t => Assert.True(t.Join(TimeSpan.FromSeconds(15))));
        Assert.Equal(0, failures);
        Assert.Equal(Threads * Calls, (await runtime.CallAsync("get_count"))["result"]);
    }

    /// <summary>A call holding the instance inside its host function until <c>release</c> is set (on its own thread).</summary>
    private static (Thread Holder, ManualResetEventSlim Entered, ManualResetEventSlim Release) Hold(WasmRuntime runtime, HookHost host)
    {
        var entered = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        host.OnHook = n =>
        {
            if (n != 1) return n;
            entered.Set();
            release.Wait(TimeSpan.FromSeconds(15));
            return n;
        };
        var holder = new Thread(() =>
        {
            try
            {
                runtime.CallAsync("hook", HookPlugin.N(1)).AsTask().GetAwaiter().GetResult();
            }
            catch (PluginCallException)
            {
                // a stop under the held call ends it; what the test asserts is the waiter
            }
        });
        holder.Start();
        Assert.True(entered.Wait(TimeSpan.FromSeconds(15)));
        return (holder, entered, release);
    }

    [Fact]
    public async Task A_caller_that_finds_the_instance_busy_waits_then_runs()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: NoGuestThreads());
        await runtime.StartAsync();
        var (holder, _, release) = Hold(runtime, host);
        var waiting = runtime.CallAsync("double", SamplePlugins.Args(("x", 21)));
        Assert.False(waiting.IsCompleted); // the instance is held: the call waits, without blocking this thread
        release.Set();
        Assert.Equal(42, (await waiting)["result"]);
        Assert.True(holder.Join(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task A_wait_past_its_bound_is_overloaded()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: NoGuestThreads(maxQueueWait: TimeSpan.FromMilliseconds(50)));
        await runtime.StartAsync();
        var (holder, _, release) = Hold(runtime, host);
        var refused = await Assert.ThrowsAsync<PluginCallException>(() => runtime.CallAsync("double", SamplePlugins.Args(("x", 1))).AsTask());
        Assert.Equal(PluginErrorKind.Overloaded, refused.Kind);
        release.Set();
        Assert.True(holder.Join(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task A_stop_fails_a_waiting_caller()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: NoGuestThreads());
        await runtime.StartAsync();
        var (holder, _, release) = Hold(runtime, host);
        var waiting = runtime.CallAsync("double", SamplePlugins.Args(("x", 1))).AsTask();
        Assert.False(waiting.IsCompleted);
        var stopping = runtime.StopAsync().AsTask();
        var failed = await Assert.ThrowsAsync<PluginCallException>(() => waiting);
        Assert.Equal(PluginErrorKind.NotStarted, failed.Kind);
        release.Set(); // the stop waits for the held call to give its lease back
        await stopping;
        Assert.True(holder.Join(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task A_hot_swap_drains_the_held_call_and_its_waiter_runs()
    {
        using var plugin = HookPlugin.Create();
        using var next = TempPlugin.FromWat(HookPlugin.Wat.Replace("(i32.const 2)", "(i32.const 3)"), HookPlugin.Manifest);
        var host = new HookHost();
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: NoGuestThreads());
        await runtime.StartAsync();
        var (holder, _, release) = Hold(runtime, host);
        var waiting = runtime.CallAsync("double", SamplePlugins.Args(("x", 5))).AsTask();
        var swapping = runtime.SwapAsync(next.ModulePath).AsTask();
        Assert.False(waiting.IsCompleted);
        // The swap lets the held call finish on the old version. The waiter runs on the version it finds: the old one
        // when the held call is done before the new version is published, else the new one (moved by the swap's close).
        release.Set();
        Assert.True((await swapping).Succeeded);
        Assert.Contains((await waiting)["result"], new object?[] { 10, 15 });
        Assert.Equal(15, (await runtime.CallAsync("double", SamplePlugins.Args(("x", 5))))["result"]);
        Assert.True(holder.Join(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task A_call_from_work_a_host_function_moved_to_another_thread_is_refused_as_reentrant()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: NoGuestThreads());
        await runtime.StartAsync();
        PluginCallException? refused = null;
        host.OnHook = n =>
        {
            // Not the calling thread: only the marker that flows with the execution context can tell.
            try
            {
                Task.Run(() => runtime.CallAsync("double", SamplePlugins.Args(("x", 1))).AsTask()).GetAwaiter().GetResult();
            }
            catch (PluginCallException ex)
            {
                refused = ex;
            }
            return n;
        };
        Assert.Equal(5, (await runtime.CallAsync("hook", HookPlugin.N(5)))["result"]);
        Assert.Equal(PluginErrorKind.Reentrant, refused?.Kind);
    }

    [Fact]
    public async Task Cancellation_and_the_timeout_are_reported()
    {
        using var plugin = HookPlugin.Create();
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, new HookHost(), options: NoGuestThreads(timeout: TimeSpan.FromMilliseconds(200)));
        await runtime.StartAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var notRun = await Assert.ThrowsAsync<PluginCallException>(() => runtime.CallAsync("double", SamplePlugins.Args(("x", 1)), cancelled.Token).AsTask());
        Assert.Equal(PluginErrorKind.Cancelled, notRun.Kind);
        var spun = await Assert.ThrowsAsync<PluginCallException>(() => runtime.CallAsync("spin").AsTask());
        Assert.Equal(PluginErrorKind.Timeout, spun.Kind);
        Assert.Equal(4, (await runtime.CallAsync("double", SamplePlugins.Args(("x", 2))))["result"]);
    }

    [Fact]
    public async Task The_host_is_told_each_result_before_the_call_completes()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: NoGuestThreads());
        await runtime.StartAsync();
        Assert.Equal(6, (await runtime.CallAsync("double", SamplePlugins.Args(("x", 3))))["result"]);
        Assert.Single(host.Notifications);
        host.FailNotifications = true; // a failed notification is the host's; the call's result stands
        Assert.Equal(8, (await runtime.CallAsync("double", SamplePlugins.Args(("x", 4))))["result"]);
    }

    [Fact]
    public async Task A_warm_call_allocates_only_its_arguments_flow_marker_and_result()
    {
        // Measured per call on this path: the ValueBox array (32 B), the flowing re-entrancy marker with its two
        // execution contexts (136 B), Wasmtime's boxed result (88 B, as a raw Function.Invoke), the result dictionary and
        // its boxed int (~210 B): 480 B in a Release build, 616 B in the Debug build the tests run by default. Handed
        // through the guest-work machinery it was 848 B in Release and 1,264 B in Debug.
        await using var runtime = new WasmRuntime("counter-widget", SamplePlugins.Counter, options: NoGuestThreads());
        await runtime.StartAsync();
        var step = SamplePlugins.Args(("step", 1));
        for (var i = 0; i < 1_000; i++) CallNow(runtime, step);
        const int Calls = 2_000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++) CallNow(runtime, step);
        var perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / Calls;
        Assert.InRange(perCall, 1, 640);
    }

    /// <summary>A call the way a synchronous caller makes it (the path completes on this thread, so nothing blocks).</summary>
    private static object? CallNow(WasmRuntime runtime, Dictionary<string, object?> data) =>
        runtime.CallAsync("increment", data).GetAwaiter().GetResult()["result"];
}
