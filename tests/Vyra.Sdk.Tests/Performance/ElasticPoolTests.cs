using Microsoft.Extensions.Time.Testing;
using Vyra.Sdk.Tests.Serving;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Performance;

/// <summary>
/// An elastic pool (<see cref="PluginRuntimeOptions.MinInstances"/> … <see cref="PluginRuntimeOptions.MaxInstances"/>):
/// it grows while callers wait, never beyond its maximum, and gives back instances idle for
/// <see cref="PluginRuntimeOptions.InstanceIdleTimeout"/> (on a clock the test advances), never a leased one.
/// </summary>
public class ElasticPoolTests
{
    /// <summary>
    /// A host whose <c>host_hook</c> blocks until released, counting the calls inside it (one per instance: a call holds
    /// its instance while its host function runs).
    /// </summary>
    internal sealed class Gate : IDisposable
    {
        private readonly ManualResetEventSlim _open = new();
        private readonly SemaphoreSlim _entered = new(0);
        private int _inside;
        private int _peak;

        public Gate(HookHost host) => host.OnHook = n =>
        {
            var inside = Interlocked.Increment(ref _inside);
            lock (_open)
            {
                _peak = Math.Max(_peak, inside);
            }
            _entered.Release();
            _open.Wait(TimeSpan.FromSeconds(15));
            Interlocked.Decrement(ref _inside);
            return n;
        };

        /// <summary>The most calls that were inside the hook at once.</summary>
        public int Peak
        {
            get
            {
                lock (_open) return _peak;
            }
        }

        /// <summary>Waits until <paramref name="calls"/> more calls have entered the hook (each on its own instance).</summary>
        public async Task Entered(int calls)
        {
            for (var i = 0; i < calls; i++) Assert.True(await _entered.WaitAsync(TimeSpan.FromSeconds(15)), $"only {i} of {calls} calls entered the hook");
        }

        public void Open() => _open.Set();

        public void Close() => _open.Reset();

        public void Dispose()
        {
            _open.Set();
            _open.Dispose();
            _entered.Dispose();
        }
    }

    internal static PluginRuntimeOptions Elastic(int min, int max, TimeProvider? time = null, int queue = PluginRuntimeOptions.DefaultMaxQueueLength) => new()
    {
        MinInstances = min,
        MaxInstances = max,
        InstanceIdleTimeout = TimeSpan.FromMinutes(1),
        TimeProvider = time ?? TimeProvider.System,
        MaxQueueLength = queue,
    };

    internal static InstancePool Pool(WasmRuntime runtime) => Assert.IsType<InstancePool>(runtime.Slots);

    private static Task<IReadOnlyDictionary<string, object?>>[] Hooks(WasmRuntime runtime, int calls) =>
        [.. Enumerable.Range(0, calls).Select(i => runtime.CallAsync("hook", HookPlugin.N(i)).AsTask())];

    private static async Task AssertAnswered(Task<IReadOnlyDictionary<string, object?>>[] calls)
    {
        var results = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(15));
        for (var i = 0; i < results.Length; i++) Assert.Equal(i, results[i]["result"]);
    }

    [Fact]
    public async Task It_grows_to_the_maximum_while_callers_wait_and_never_beyond()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        using var gate = new Gate(host);
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: Elastic(1, 3));
        await runtime.StartAsync();
        var pool = Pool(runtime);
        Assert.Equal(1, pool.Count);

        // Six callers for three instances: the pool grows to three and the other three wait.
        var calls = Hooks(runtime, 6);
        await gate.Entered(3);
        Assert.Equal(3, pool.Count);
        Assert.Equal(2, pool.Grown);

        gate.Open();
        await AssertAnswered(calls);
        Assert.Equal(3, gate.Peak);
        Assert.Equal(3, pool.Peak);
        Assert.Equal(3, pool.Count);
    }

    [Fact]
    public async Task The_typed_path_grows_the_pool_too()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        using var gate = new Gate(host);
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: Elastic(1, 2));
        await runtime.StartAsync();
        var hook = runtime.GetTypedExport("hook", static f => f.WrapFunc<int, int>());
        var callers = Enumerable.Range(0, 2).Select(i => Task.Factory.StartNew(() =>
        {
            using var call = hook.Enter();
            return call.Function(i);
        }, TaskCreationOptions.LongRunning)).ToArray();
        await gate.Entered(2);
        Assert.Equal(2, Pool(runtime).Count);
        gate.Open();
        var results = await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(new[] { 0, 1 }, results);
    }

    [Fact]
    public async Task A_fixed_pool_does_not_grow()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        using var gate = new Gate(host);
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: new PluginRuntimeOptions { Instances = 2 });
        await runtime.StartAsync();
        var calls = Hooks(runtime, 4);
        await gate.Entered(2);
        gate.Open();
        await AssertAnswered(calls);
        Assert.Equal(2, gate.Peak);
        Assert.Equal((2, 0, 2), (Pool(runtime).Count, Pool(runtime).Grown, Pool(runtime).Peak));
    }

    [Fact]
    public async Task A_caller_refused_by_a_full_queue_still_makes_the_pool_grow_for_the_next()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        using var gate = new Gate(host);
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: Elastic(1, 2, queue: 0));
        await runtime.StartAsync();
        var pool = Pool(runtime);
        var grown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pool.Resized += p =>
        {
            if (p.Count == 2) grown.TrySetResult();
        };
        var first = Hooks(runtime, 1);
        await gate.Entered(1);

        var refused = await Assert.ThrowsAsync<PluginCallException>(() => runtime.CallAsync("double", SamplePlugins.Args(("x", 1))).AsTask());
        Assert.Equal(PluginErrorKind.Overloaded, refused.Kind);
        await grown.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(4, (await runtime.CallAsync("double", SamplePlugins.Args(("x", 2))))["result"]);
        gate.Open();
        await AssertAnswered(first);
    }

    [Fact]
    public async Task Idle_instances_above_the_minimum_are_reclaimed_after_the_idle_time()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        using var gate = new Gate(host);
        var time = new FakeTimeProvider();
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: Elastic(1, 3, time));
        await runtime.StartAsync();
        var pool = Pool(runtime);
        var calls = Hooks(runtime, 3);
        await gate.Entered(3);
        gate.Open();
        await AssertAnswered(calls);
        Assert.Equal(3, pool.Count);

        time.Advance(TimeSpan.FromSeconds(30)); // the timer looks every half idle time: idle for 30 s is not enough
        Assert.Equal(3, pool.Count);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(1, pool.Count);
        Assert.Equal(2, pool.Reclaimed);
        time.Advance(TimeSpan.FromMinutes(5)); // never below the minimum
        Assert.Equal(1, pool.Count);

        // The pool still serves, and grows again under load.
        gate.Close();
        calls = Hooks(runtime, 2);
        await gate.Entered(2);
        Assert.Equal(2, pool.Count);
        gate.Open();
        await AssertAnswered(calls);
    }

    [Fact]
    public async Task A_leased_instance_is_never_reclaimed()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        using var gate = new Gate(host);
        var time = new FakeTimeProvider();
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: Elastic(1, 2, time));
        await runtime.StartAsync();
        var pool = Pool(runtime);

        // Both instances leased for longer than the idle time: neither goes.
        var calls = Hooks(runtime, 2);
        await gate.Entered(2);
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal((2, 0), (pool.Count, pool.Reclaimed));
        gate.Open();
        await AssertAnswered(calls);

        // One leased again, the other idle: only the idle one goes, and the leased call ends well.
        gate.Close();
        var held = Hooks(runtime, 1);
        await gate.Entered(1);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal((1, 1), (pool.Count, pool.Reclaimed));
        gate.Open();
        await AssertAnswered(held);
        Assert.Equal(6, (await runtime.CallAsync("double", SamplePlugins.Args(("x", 3))))["result"]);
    }

    [Fact]
    public async Task A_swap_drains_a_grown_pool_and_the_new_version_starts_at_the_minimum()
    {
        using var plugin = HookPlugin.Create();
        using var tripled = TempPlugin.FromWat(HookPlugin.Wat.Replace("(i32.const 2)", "(i32.const 3)", StringComparison.Ordinal), HookPlugin.Manifest);
        var host = new HookHost();
        using var gate = new Gate(host);
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: Elastic(1, 3));
        await runtime.StartAsync();
        var old = Pool(runtime);
        var calls = Hooks(runtime, 3);
        await gate.Entered(3);
        Assert.Equal(3, old.Count);

        // The swap waits for the three calls in flight on the old pool, which finish there.
        var swap = runtime.SwapAsync(tripled.ModulePath).AsTask();
        Assert.False(swap.IsCompleted);
        gate.Open();
        Assert.Equal(PluginSwapStatus.Swapped, (await swap.WaitAsync(TimeSpan.FromSeconds(15))).Status);
        await AssertAnswered(calls);
        Assert.False(old.IsOpen);

        var fresh = Pool(runtime);
        Assert.NotSame(old, fresh);
        Assert.Equal(1, fresh.Count);
        Assert.Equal(9, (await runtime.CallAsync("double", SamplePlugins.Args(("x", 3))))["result"]);
        gate.Close();
        calls = Hooks(runtime, 3);
        await gate.Entered(3);
        Assert.Equal(3, fresh.Count);
        gate.Open();
        await AssertAnswered(calls);
    }

    [Fact]
    public async Task A_stop_interrupts_every_grown_instance_and_fails_the_waiters()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        // Awaited, not waited for: a test blocking a pool thread for seconds starves the thread pool this pool grows on.
        var started = 0;
        var allSpinning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.OnHook = n =>
        {
            if (Interlocked.Increment(ref started) == 3) allSpinning.TrySetResult();
            return n;
        };
        var options = new PluginRuntimeOptions { MinInstances = 1, MaxInstances = 3, Timeout = Timeout.InfiniteTimeSpan };
        var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: options);
        await runtime.StartAsync();
        var pool = Pool(runtime);
        var running = Enumerable.Range(0, 3).Select(i => runtime.CallAsync("hook_then_spin", HookPlugin.N(i)).AsTask()).ToArray();
        Assert.True(await Task.WhenAny(allSpinning.Task, Task.Delay(TimeSpan.FromSeconds(15))) == allSpinning.Task, "the endless calls never started on three instances");
        Assert.Equal(3, pool.Count);
        var queued = Enumerable.Range(0, 4).Select(i => runtime.CallAsync("double", SamplePlugins.Args(("x", i))).AsTask()).ToArray();

        await runtime.StopAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));

        foreach (var call in running) Assert.Equal(PluginErrorKind.Cancelled, (await Assert.ThrowsAsync<PluginCallException>(() => call)).Kind);
        foreach (var call in queued) Assert.Equal(PluginErrorKind.NotStarted, (await Assert.ThrowsAsync<PluginCallException>(() => call)).Kind);
        Assert.False(runtime.IsRunning);
        Assert.False(pool.IsOpen);

        // Started again: a fresh pool at the minimum.
        await runtime.StartAsync();
        Assert.Equal(1, Pool(runtime).Count);
        Assert.Equal(4, (await runtime.CallAsync("double", SamplePlugins.Args(("x", 2))))["result"]);
        await runtime.DisposeAsync();
    }

    [Fact]
    public async Task A_restore_does_not_make_the_pool_grow()
    {
        // A plugin with state exports: restore gathers every instance of the pool, which must not read as load.
        const string wat = """
            (module
              (memory (export "memory") 1)
              (global $value (mut i32) (i32.const 0))
              (func (export "vyra_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "vyra_snapshot") (result i64) (i64.const 0))
              (func (export "vyra_restore") (param i32 i32) (global.set $value (local.get 1)))
              (func (export "get") (result i32) (global.get $value)))
            """;
        using var plugin = TempPlugin.FromWat(wat, """{"id":"restored","exports":[{"name":"get","args":[],"returns":"i32"}]}""");
        await using var runtime = new WasmRuntime("restored", plugin.ModulePath, options: Elastic(2, 4));
        await runtime.StartAsync();
        await runtime.RestoreAsync(new byte[3]);
        Assert.Equal((2, 0), (Pool(runtime).Count, Pool(runtime).Grown));
        Assert.Equal(3, (await runtime.CallAsync("get"))["result"]);
    }

    [Fact]
    public async Task A_growth_that_fails_is_logged_and_the_waiting_caller_is_served_by_the_instance_there_is()
    {
        // init calls the hook with -7: the first init (the start) passes, every later one (a growth) throws in the host.
        var wat = HookPlugin.Wat.Replace("""(func (export "double")""", """(func (export "init") (param $n i32) (drop (call $hook (i32.const -7)))) (func (export "double")""", StringComparison.Ordinal);
        var manifest = HookPlugin.Manifest.Replace("""{"name":"spin","args":[]},""", """{"name":"spin","args":[]},{"name":"init","args":[{"name":"n","type":"i32"}]},""", StringComparison.Ordinal);
        using var plugin = TempPlugin.FromWat(wat, manifest);
        var host = new HookHost();
        using var gate = new Gate(host);
        var blocking = host.OnHook!;
        var inits = 0;
        using var initFailed = new SemaphoreSlim(0);
        host.OnHook = n =>
        {
            if (n != -7) return blocking(n);
            if (Interlocked.Increment(ref inits) == 1) return n;
            initFailed.Release();
            throw new InvalidOperationException("no second instance today");
        };
        using var logs = new ListLoggerFactory();
        // A clock that stands still: the second after the failure, in which no growth is retried, never passes.
        var options = new PluginRuntimeOptions { MinInstances = 1, MaxInstances = 2, LoggerFactory = logs, TimeProvider = new FakeTimeProvider() };
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, new Dictionary<string, object?> { ["n"] = 1 }, options);
        await runtime.StartAsync();
        var pool = Pool(runtime);

        var first = Hooks(runtime, 1);
        await gate.Entered(1);
        var second = runtime.CallAsync("double", SamplePlugins.Args(("x", 5))).AsTask();
        // The second caller waits, so the pool tries to grow: that init fails; the caller keeps waiting for the one instance.
        Assert.True(await initFailed.WaitAsync(TimeSpan.FromSeconds(15)), "the pool never tried to grow");
        // The hook's throw reaches the growth's handler a moment later; a failure seen only once the stop has begun is
        // not reported (the stop cancels growth), so wait for the report before stopping.
        Assert.True(SpinWait.SpinUntil(() => logs.Lines.Any(l => l.Message.Contains("could not grow", StringComparison.Ordinal)), TimeSpan.FromSeconds(15)),
            "the failed growth was not logged");
        Assert.False(second.IsCompleted);
        gate.Open();
        await AssertAnswered(first);
        Assert.Equal(10, (await second.WaitAsync(TimeSpan.FromSeconds(15)))["result"]);
        Assert.Equal((1, 0), (pool.Count, pool.Grown));
        Assert.True(runtime.IsRunning);
        await runtime.StopAsync();
        // One attempt, not one per turn of the growth loop: the next is a second away.
        Assert.Equal(2, Volatile.Read(ref inits));
        Assert.Contains(logs.Lines, l => l.Level == Microsoft.Extensions.Logging.LogLevel.Error && l.Message.Contains("could not grow", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Growth_and_reclaim_racing_with_many_callers_keep_every_answer_right_and_the_bounds()
    {
        // A 1 ms idle time on the real clock: the timer reclaims while callers lease and the pool grows again, over and over.
        using var plugin = HookPlugin.Create();
        var options = new PluginRuntimeOptions { MinInstances = 1, MaxInstances = 3, InstanceIdleTimeout = TimeSpan.FromMilliseconds(1) };
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, new HookHost(), options: options);
        await runtime.StartAsync();
        var pool = Pool(runtime);
        var work = runtime.GetTypedExport("double", static f => f.WrapFunc<int, int>());
        var callers = Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
        {
            for (var k = 0; k < 150; k++)
            {
                if ((c + k) % 2 == 0)
                {
                    Assert.Equal(2 * k, (await runtime.CallAsync("double", SamplePlugins.Args(("x", k))))["result"]);
                }
                else
                {
                    using var call = work.Enter();
                    Assert.Equal(2 * k, call.Function(k));
                }
                if (k % 16 == 0) await Task.Yield();
            }
        }));
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.InRange(pool.Peak, 1, 3);
        Assert.InRange(pool.Count, 1, 3);
        Assert.Equal(pool.Count, 1 + pool.Grown - pool.Reclaimed);
        Assert.Equal(6, (await runtime.CallAsync("double", SamplePlugins.Args(("x", 3))))["result"]);
    }

    public static TheoryData<PluginRuntimeOptions, string> InvalidOptions => new()
    {
        { new PluginRuntimeOptions { MinInstances = 0, MaxInstances = 2 }, "MinInstances" },
        { new PluginRuntimeOptions { MinInstances = -1 }, "MinInstances" },
        { new PluginRuntimeOptions { MinInstances = 3, MaxInstances = 2 }, "MaxInstances" },
        { new PluginRuntimeOptions { Instances = 4, MaxInstances = 2 }, "MaxInstances" },
        { new PluginRuntimeOptions { MaxInstances = PluginRuntimeOptions.MaxInstancesCap + 1 }, "MaxInstances" },
        { new PluginRuntimeOptions { Instances = PluginRuntimeOptions.MaxInstancesCap + 1 }, "Instances" },
        { new PluginRuntimeOptions { MaxInstances = 2, InstanceIdleTimeout = TimeSpan.Zero }, "InstanceIdleTimeout" },
        { new PluginRuntimeOptions { MaxInstances = 2, InstanceIdleTimeout = TimeSpan.FromSeconds(-5) }, "InstanceIdleTimeout" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Invalid_pool_options_are_refused_naming_the_option(PluginRuntimeOptions options, string option)
    {
        var ex = Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new WasmRuntime("x", "logic.wasm", options: options));
        Assert.Equal(option, ex.ParamName);
        Assert.Contains("PluginRuntimeOptions." + option, ex.Message);
    }

    [Fact]
    public async Task Valid_bounds_are_accepted_and_an_infinite_idle_time_keeps_grown_instances()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        using var gate = new Gate(host);
        var time = new FakeTimeProvider();
        var options = new PluginRuntimeOptions { Instances = 1, MaxInstances = PluginRuntimeOptions.MaxInstancesCap, InstanceIdleTimeout = Timeout.InfiniteTimeSpan, TimeProvider = time };
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: options);
        await runtime.StartAsync();
        var calls = Hooks(runtime, 2);
        await gate.Entered(2);
        gate.Open();
        await AssertAnswered(calls);
        time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(2, Pool(runtime).Count);
    }
}
