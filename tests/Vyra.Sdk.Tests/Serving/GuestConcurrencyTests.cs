using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Serving;

/// <summary>
/// The host-wide cap on running guest code (<see cref="GuestConcurrency"/>): each test owns its cap, so tests running
/// in parallel do not share one. A host function that blocks on an event holds the only slot deterministically.
/// </summary>
public class GuestConcurrencyTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private static PluginRuntimeOptions Options(GuestConcurrency cap, int instances = 1, TimeSpan? timeout = null, TimeSpan? maxQueueWait = null) => new()
    {
        GuestConcurrency = cap,
        Instances = instances,
        Timeout = timeout ?? Timeout.InfiniteTimeSpan,
        MaxQueueWait = maxQueueWait,
    };

    /// <summary>Starts a call on <paramref name="runtime"/> whose host function holds the slot until <paramref name="release"/> is set.</summary>
    private static async Task<Task<IReadOnlyDictionary<string, object?>>> HoldSlotAsync(WasmRuntime runtime, HookHost host, ManualResetEventSlim release)
    {
        using var entered = new ManualResetEventSlim();
        host.OnHook = n =>
        {
            entered.Set();
            release.Wait(Bound);
            return n;
        };
        var call = runtime.CallAsync("hook", HookPlugin.N(1)).AsTask();
        await Task.Run(() => Assert.True(entered.Wait(Bound)));
        return call;
    }

    private static async Task<PluginCallException> FailsAsync(Task call)
    {
        return await Assert.ThrowsAsync<PluginCallException>(() => call.WaitAsync(Bound));
    }

    [Fact]
    public async Task With_a_limit_of_one_busy_calls_of_two_runtimes_never_run_at_the_same_time()
    {
        using var plugin = HookPlugin.Create();
        var cap = new GuestConcurrency(1);
        var running = 0;
        var most = 0;
        var entries = 0;
        int Record(int n)
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref most, now);
            Interlocked.Increment(ref entries);
            // Stay inside long enough for an overlap to show, busy rather than yielding: on a loaded machine each yield
            // can give the core away for milliseconds, and 90 serialized calls then outlast the test's bound.
            Thread.SpinWait(20_000);
            Interlocked.Decrement(ref running);
            return n;
        }
        var hostA = new HookHost { OnHook = Record };
        var hostB = new HookHost { OnHook = Record };
        await using var a = new WasmRuntime("a", plugin.ModulePath, hostA, options: Options(cap, instances: 3));
        await using var b = new WasmRuntime("b", plugin.ModulePath, hostB, options: Options(cap, instances: 3));
        await a.StartAsync();
        await b.StartAsync();

        var callers = Enumerable.Range(0, 6).Select(i => Task.Run(async () =>
        {
            var runtime = i % 2 == 0 ? a : b;
            for (var k = 0; k < 15; k++) Assert.Equal(k, (await runtime.CallAsync("hook", HookPlugin.N(k)))["result"]);
        }));
        await Task.WhenAll(callers).WaitAsync(Bound);

        Assert.Equal(90, entries);
        Assert.Equal(1, most);
        Assert.Equal(0, cap.Running);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var before = Interlocked.CompareExchange(ref target, value, seen);
            if (before == seen) return;
            seen = before;
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_wait_for_a_slot_counts_toward_the_call_s_bound_and_fails_as_overloaded(bool typedAsync)
    {
        using var plugin = HookPlugin.Create();
        var cap = new GuestConcurrency(1);
        var hostA = new HookHost();
        var hostB = new HookHost();
        await using var a = new WasmRuntime("a", plugin.ModulePath, hostA, options: Options(cap));
        await using var queued = new WasmRuntime("b", plugin.ModulePath, hostB, options: Options(cap, maxQueueWait: TimeSpan.FromMilliseconds(100)));
        await using var timed = new WasmRuntime("c", plugin.ModulePath, hostB, options: Options(cap, timeout: TimeSpan.FromMilliseconds(150)));
        await a.StartAsync();
        await queued.StartAsync();
        await timed.StartAsync();
        using var release = new ManualResetEventSlim();
        var holder = await HoldSlotAsync(a, hostA, release);
        var bEntered = false;
        hostB.OnHook = n =>
        {
            bEntered = true;
            return n;
        };

        foreach (var runtime in new[] { queued, timed })
        {
            Task call = typedAsync
                ? runtime.GetTypedExport("double", static f => f.WrapFunc<int, int>()).RunAsync(2, static (c, x) => c.Function(x)).AsTask()
                : runtime.CallAsync("hook", HookPlugin.N(2)).AsTask();
            var refused = await FailsAsync(call);
            Assert.Equal(PluginErrorKind.Overloaded, refused.Kind);
            Assert.Contains("guest slot", refused.Message);
        }
        Assert.False(bEntered); // the refused calls never ran
        Assert.Equal(1, cap.Running);

        // The sync typed path is the caller's thread: it takes no slot and runs while the slot is held.
        var @double = queued.GetTypedExport("double", static f => f.WrapFunc<int, int>());
        using (var call = @double.Enter())
        {
            Assert.Equal(42, call.Function(21));
        }

        release.Set();
        Assert.Equal(1, (await holder.WaitAsync(Bound))["result"]);
        Assert.Equal(6, (await queued.CallAsync("double", SamplePlugins.Args(("x", 3))))["result"]); // the slot is free again
        Assert.Equal(0, cap.Running);
    }

    [Fact]
    public async Task Cancelling_a_call_that_waits_for_a_slot_fails_it_as_cancelled()
    {
        using var plugin = HookPlugin.Create();
        var cap = new GuestConcurrency(1);
        var hostA = new HookHost();
        await using var a = new WasmRuntime("a", plugin.ModulePath, hostA, options: Options(cap));
        await using var b = new WasmRuntime("b", plugin.ModulePath, new HookHost(), options: Options(cap));
        await a.StartAsync();
        await b.StartAsync();
        using var release = new ManualResetEventSlim();
        var holder = await HoldSlotAsync(a, hostA, release);

        using var cts = new CancellationTokenSource();
        var waiting = b.CallAsync("double", SamplePlugins.Args(("x", 1)), cts.Token).AsTask();
        Assert.False(waiting.IsCompleted);
        await cts.CancelAsync();
        Assert.Equal(PluginErrorKind.Cancelled, (await FailsAsync(waiting)).Kind);

        release.Set();
        await holder.WaitAsync(Bound);
        Assert.Equal(4, (await b.CallAsync("double", SamplePlugins.Args(("x", 2))))["result"]); // its instance was given back
        Assert.Equal(0, cap.Running);
    }

    [Fact]
    public async Task Stopping_a_runtime_fails_its_call_waiting_for_a_slot_at_once()
    {
        using var plugin = HookPlugin.Create();
        var cap = new GuestConcurrency(1);
        var hostA = new HookHost();
        await using var a = new WasmRuntime("a", plugin.ModulePath, hostA, options: Options(cap));
        await using var b = new WasmRuntime("b", plugin.ModulePath, new HookHost(), options: Options(cap));
        await a.StartAsync();
        await b.StartAsync();
        using var release = new ManualResetEventSlim();
        var holder = await HoldSlotAsync(a, hostA, release);

        var waiting = b.CallAsync("double", SamplePlugins.Args(("x", 1))).AsTask();
        await b.StopAsync().AsTask().WaitAsync(Bound); // completes while A still holds the slot
        Assert.Equal(PluginErrorKind.NotStarted, (await FailsAsync(waiting)).Kind);
        Assert.False(holder.IsCompleted);

        await b.StartAsync(); // a restarted runtime waits for slots again
        release.Set();
        await holder.WaitAsync(Bound);
        Assert.Equal(2, (await b.CallAsync("double", SamplePlugins.Args(("x", 1))))["result"]);
        Assert.Equal(0, cap.Running);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_call_into_another_runtime_from_inside_a_call_runs_on_its_caller_s_slot(bool viaThreadPool)
    {
        using var plugin = HookPlugin.Create();
        var cap = new GuestConcurrency(1);
        var hostA = new HookHost();
        var hostB = new HookHost { OnHook = n => n * 10 };
        await using var a = new WasmRuntime("a", plugin.ModulePath, hostA, options: Options(cap));
        await using var b = new WasmRuntime("b", plugin.ModulePath, hostB, options: Options(cap));
        await a.StartAsync();
        await b.StartAsync();
        var @double = b.GetTypedExport("double", static f => f.WrapFunc<int, int>());
        hostA.OnHook = n =>
        {
            if (!viaThreadPool) return (int)b.CallAsync("hook", HookPlugin.N(n)).AsTask().GetAwaiter().GetResult()["result"]!;
            return Task.Run(async () =>
            {
                await Task.Yield();
                return await @double.RunAsync(n, static (c, x) => c.Function(x));
            }).GetAwaiter().GetResult();
        };

        var result = await a.CallAsync("hook", HookPlugin.N(4)).AsTask().WaitAsync(Bound);
        Assert.Equal(viaThreadPool ? 8 : 40, result["result"]);
        Assert.Equal(0, cap.Running);
    }

    [Fact]
    public async Task Raising_the_limit_lets_waiting_calls_run_and_a_limit_below_one_is_refused()
    {
        using var plugin = HookPlugin.Create();
        var cap = new GuestConcurrency(1);
        var hostA = new HookHost();
        await using var a = new WasmRuntime("a", plugin.ModulePath, hostA, options: Options(cap));
        await using var b = new WasmRuntime("b", plugin.ModulePath, new HookHost(), options: Options(cap));
        await a.StartAsync();
        await b.StartAsync();
        using var release = new ManualResetEventSlim();
        var holder = await HoldSlotAsync(a, hostA, release);

        var waiting = b.CallAsync("double", SamplePlugins.Args(("x", 5))).AsTask();
        cap.Limit = 2;
        Assert.Equal(10, (await waiting.WaitAsync(Bound))["result"]);
        release.Set();
        await holder.WaitAsync(Bound);
        Assert.Throws<ArgumentOutOfRangeException>(() => cap.Limit = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => new GuestConcurrency(-1));
        Assert.Equal(Math.Max(1, Environment.ProcessorCount - 1), GuestConcurrency.DefaultLimit);
        Assert.Null(new PluginRuntimeOptions().GuestConcurrency); // a runtime made directly is uncapped; Hosting opts in
    }
}
