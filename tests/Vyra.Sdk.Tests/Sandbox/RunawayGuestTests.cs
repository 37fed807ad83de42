using Vyra.Sdk;
using Vyra.Sdk.Tests.Serving;
using Xunit;
using static Vyra.Sdk.Tests.Sandbox.SandboxChecks;

namespace Vyra.Sdk.Tests.Sandbox;

/// <summary>Guests that never return on their own: endless loops, loops through the host, recursion, fuel.</summary>
public class RunawayGuestTests
{
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>Timeout plus a generous margin for a loaded 2-core CI machine.</summary>
    // A hang guard, not a timing check (see SandboxChecks.FailsWithin): 2 s was missed once in a full CI run (a
    // cancelled call answered after 3.3 s while the suite's other classes held the thread pool).
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(10);

    private const string SpinWat = """
        (module
          (global $before (mut i32) (i32.const 0))
          ;; Counts itself, then spins forever.
          (func (export "spin")
            (global.set $before (i32.add (global.get $before) (i32.const 1)))
            (loop $forever (br $forever)))
          (func (export "calls") (result i32) (global.get $before)))
        """;

    [Fact]
    public async Task Infinite_loop_times_out_within_timeout_plus_margin_and_the_runtime_stays_usable()
    {
        using var plugin = TestPlugin.FromWat(SpinWat);
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { Timeout = ShortTimeout });
        await runtime.StartAsync();

        var ex = await FailsWithin(PluginErrorKind.Timeout, ShortTimeout + Margin, async () => await runtime.CallAsync("spin"));
        Assert.Equal("spin", ex.FunctionName);

        // Default policy: the instance is kept, so the global set before the loop is still there.
        Assert.True(runtime.IsRunning);
        Assert.Equal(1, await CallInt(runtime, "calls"));
        // A second timeout on the same runtime is just as prompt.
        await FailsWithin(PluginErrorKind.Timeout, ShortTimeout + Margin, async () => await runtime.CallAsync("spin"));
        Assert.Equal(2, await CallInt(runtime, "calls"));
        await AssertHostHealthy();
    }

    [Fact]
    public async Task An_infinite_loop_times_out_after_the_manifests_timeout()
    {
        using var plugin = TestPlugin.FromWat(SpinWat, TestPlugin.Manifest(
            exports: """[{ "name": "spin", "args": [] }, { "name": "calls", "args": [] }]""",
            limits: """{ "timeout_ms": 200 }"""));
        await using var runtime = plugin.Create();
        await runtime.StartAsync();

        await FailsWithin(PluginErrorKind.Timeout, ShortTimeout + Margin, async () => await runtime.CallAsync("spin"));
        Assert.Equal(1, await CallInt(runtime, "calls"));
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Infinite_loop_with_recycle_policy_rebuilds_the_instance()
    {
        using var plugin = TestPlugin.FromWat(SpinWat);
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { Timeout = ShortTimeout, RecycleInstanceAfterTrap = true });
        await runtime.StartAsync();

        await FailsWithin(PluginErrorKind.Timeout, ShortTimeout + Margin, async () => await runtime.CallAsync("spin"));
        Assert.True(runtime.IsRunning);
        Assert.Equal(0, await CallInt(runtime, "calls")); // fresh globals
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Other_runtimes_and_ping_answer_while_an_infinite_loop_spins()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.OnHook = n =>
        {
            entered.TrySetResult();
            return n;
        };
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: new PluginRuntimeOptions { Timeout = TimeSpan.FromSeconds(3) });
        await runtime.StartAsync();
        using var healthy = TestPlugin.FromWat(CounterWat, CounterManifest, "healthy-counter");
        await using var other = healthy.Create();
        await other.StartAsync();

        var spinning = runtime.CallAsync("hook_then_spin", HookPlugin.N(1)).AsTask();
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(15)); // the guest called the hook: it is spinning now
        for (var i = 1; i <= 100; i++) Assert.Equal(i, await CallInt(other, "increment", Args(("step", 1))));
        Assert.Equal("ok", (await runtime.CallAsync("ping"))["status"]); // ping is answered without entering the guest
        // The order is the assertion: everything above was answered while the spinning call had not yet timed out.
        Assert.False(spinning.IsCompleted);

        await FailsWith(PluginErrorKind.Timeout, () => spinning);
    }

    [Fact]
    public async Task Stop_while_a_call_spins_returns_promptly()
    {
        // The host must be able to shut a runaway plugin down without waiting out its timeout (or forever). There is no
        // timeout at all here, so a stop that completes is one that interrupted the guest.
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        host.OnHook = n =>
        {
            entered.TrySetResult();
            return n;
        };
        var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: new PluginRuntimeOptions { Timeout = Timeout.InfiniteTimeSpan });
        await runtime.StartAsync();

        var spinning = runtime.CallAsync("hook_then_spin", HookPlugin.N(1)).AsTask();
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(15));
        await runtime.StopAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15)); // a hang guard, not a timing check
        Assert.False(runtime.IsRunning);
        var ex = await Assert.ThrowsAsync<PluginCallException>(() => spinning.WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.True(ex.Kind is PluginErrorKind.Cancelled or PluginErrorKind.NotStarted, ex.Kind.ToString());
        await runtime.DisposeAsync();
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Infinite_loop_in_on_event_times_out()
    {
        using var plugin = TestPlugin.FromWat("""
            (module
              (memory (export "memory") 1)
              (global $events (mut i32) (i32.const 0))
              (func (export "vyra_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "on_event") (param i32 i32 i32 i32)
                (global.set $events (i32.add (global.get $events) (i32.const 1)))
                (loop $forever (br $forever)))
              (func (export "events") (result i32) (global.get $events)))
            """, TestPlugin.Manifest(exports: """[{ "name": "events", "args": [], "returns": "i32" }]"""));
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { Timeout = ShortTimeout });
        await runtime.StartAsync();

        var ex = await FailsWithin(PluginErrorKind.Timeout, ShortTimeout + Margin,
            async () => await runtime.OnEventAsync("sensor.tick", Args(("value", 1))));
        Assert.Equal("on_event", ex.FunctionName);
        Assert.Equal(1, await CallInt(runtime, "events"));
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Infinite_loop_through_a_typed_export_times_out()
    {
        using var plugin = TestPlugin.FromWat(SpinWat);
        var runtime = Assert.IsType<WasmRuntime>(plugin.Create(options: new PluginRuntimeOptions { Timeout = ShortTimeout }));
        await using var _ = runtime;
        await runtime.StartAsync();
        var spin = runtime.GetTypedExport("spin", f => f.WrapAction());
        var calls = runtime.GetTypedExport("calls", f => f.WrapFunc<int>());

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var ex = Assert.Throws<PluginCallException>(() =>
        {
            using var call = spin.Enter();
            try
            {
                call.Function();
            }
            catch (Exception e)
            {
                throw call.Fail(e);
            }
        });
        watch.Stop();
        Assert.Equal(PluginErrorKind.Timeout, ex.Kind);
        Assert.True(watch.Elapsed < ShortTimeout + Margin, $"took {watch.ElapsedMilliseconds} ms"); // the timeout plus a hang guard's margin
        using (var call = calls.Enter()) Assert.Equal(1, call.Function());
    }

    [Fact]
    public async Task Infinite_loop_through_a_host_import_times_out()
    {
        var hostCalls = 0;
        var host = new TestHost(imports => imports.Add("tick", [], [PluginValueType.I32], call => call.ReturnInt32(Interlocked.Increment(ref hostCalls))));
        using var plugin = TestPlugin.FromWat("""
            (module
              (import "vyra" "tick" (func $tick (result i32)))
              (import "vyra" "host_log" (func $log (param i32 i32)))
              (memory (export "memory") 1)
              (data (i32.const 16) "tick")
              ;; Calls back into the host forever: the guest never spins without leaving wasm for long.
              (func (export "chatter")
                (loop $forever
                  (drop (call $tick))
                  (call $log (i32.const 16) (i32.const 4))
                  (br $forever)))
              (func (export "ok") (result i32) (call $tick)))
            """);
        await using var runtime = plugin.Create(host, new PluginRuntimeOptions { Timeout = ShortTimeout });
        await runtime.StartAsync();

        await FailsWithin(PluginErrorKind.Timeout, ShortTimeout + Margin, async () => await runtime.CallAsync("chatter"));
        var before = Volatile.Read(ref hostCalls);
        Assert.True(before > 1, "the guest reached the host before it was stopped");
        Assert.True(host.Logged.Count > 1);
        Assert.Equal(before + 1, await CallInt(runtime, "ok"));
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Busy_loop_is_interrupted_by_the_callers_token()
    {
        using var plugin = TestPlugin.FromWat(SpinWat);
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { Timeout = Timeout.InfiniteTimeSpan });
        await runtime.StartAsync();

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(150));
        var ex = await FailsWithin(PluginErrorKind.Cancelled, TimeSpan.FromMilliseconds(150) + Margin,
            async () => await runtime.CallAsync("spin", cancellationToken: cts.Token));
        Assert.IsAssignableFrom<OperationCanceledException>(ex.InnerException);

        Assert.True(runtime.IsRunning);
        Assert.Equal(1, await CallInt(runtime, "calls"));
        await AssertHostHealthy();
    }

    [Fact]
    public async Task An_already_cancelled_token_never_enters_the_guest()
    {
        using var plugin = TestPlugin.FromWat(SpinWat);
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { Timeout = Timeout.InfiniteTimeSpan });
        await runtime.StartAsync();

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var ex = await FailsWith(PluginErrorKind.Cancelled, async () => await runtime.CallAsync("spin", cancellationToken: cts.Token));
        var oce = Assert.IsAssignableFrom<OperationCanceledException>(ex.InnerException);
        Assert.Equal(cts.Token, oce.CancellationToken);
        Assert.Equal(0, await CallInt(runtime, "calls"));
    }

    [Fact]
    public async Task A_busy_loop_cancelled_mid_call_carries_the_callers_token_in_the_inner_exception()
    {
        // OperationCanceledException semantics: callers match the exception to their own token.
        using var plugin = TestPlugin.FromWat(SpinWat);
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { Timeout = Timeout.InfiniteTimeSpan });
        await runtime.StartAsync();

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var ex = await FailsWith(PluginErrorKind.Cancelled, async () => await runtime.CallAsync("spin", cancellationToken: cts.Token));
        var oce = Assert.IsAssignableFrom<OperationCanceledException>(ex.InnerException);
        Assert.Equal(cts.Token, oce.CancellationToken);
    }

    [Fact]
    public async Task Unbounded_recursion_is_a_stack_overflow_not_a_crash()
    {
        using var plugin = TestPlugin.FromWat("""
            (module
              (func $down (export "down") (param $n i32) (result i32)
                (i32.add (call $down (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
              (func (export "ok") (result i32) (i32.const 42)))
            """);
        await using var runtime = plugin.Create();
        await runtime.StartAsync();

        await FailsWithin(PluginErrorKind.StackOverflow, TimeSpan.FromSeconds(5), async () => await runtime.CallAsync("down", Args(("arg0", 0))));
        Assert.Equal(42, await CallInt(runtime, "ok"));
        // Twice, to show the stack is unwound cleanly.
        await FailsWith(PluginErrorKind.StackOverflow, async () => await runtime.CallAsync("down"));
        Assert.Equal(42, await CallInt(runtime, "ok"));
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Infinite_loop_under_a_fuel_budget_runs_out_of_fuel_and_fuel_is_re_armed_per_call()
    {
        using var plugin = TestPlugin.FromWat("""
            (module
              (func (export "spin") (loop $forever (br $forever)))
              ;; Sums 0..n-1: about 6 instructions per round.
              (func (export "work") (param $n i32) (result i32)
                (local $i i32) (local $sum i32)
                (block $done
                  (loop $next
                    (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
                    (local.set $sum (i32.add (local.get $sum) (local.get $i)))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $next)))
                (local.get $sum)))
            """, TestPlugin.Manifest(
                exports: """[{ "name": "spin", "args": [] }, { "name": "work", "args": [{ "name": "n", "type": "i32" }] }]""",
                limits: """{ "fuel": 100000 }"""));
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { Timeout = TimeSpan.FromSeconds(30) });
        await runtime.StartAsync();

        await FailsWithin(PluginErrorKind.OutOfFuel, TimeSpan.FromSeconds(5), async () => await runtime.CallAsync("spin"));
        // 20 calls of ~6 000 instructions each: more than one budget in total, so the budget must be re-armed per call.
        for (var i = 0; i < 20; i++) Assert.Equal(499500, await CallInt(runtime, "work", Args(("n", 1000))));
        await FailsWith(PluginErrorKind.OutOfFuel, async () => await runtime.CallAsync("work", Args(("n", 1_000_000))));
        Assert.Equal(45, await CallInt(runtime, "work", Args(("n", 10))));
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Allocator_that_never_returns_times_out()
    {
        using var plugin = TestPlugin.FromWat("""
            (module
              (memory (export "memory") 1)
              (func (export "vyra_alloc") (param i32) (result i32) (loop $forever (br $forever)) (i32.const 0))
              (func (export "len") (param i32 i32) (result i32) (local.get 1))
              (func (export "ok") (result i32) (i32.const 42)))
            """, TestPlugin.Manifest(exports: """
                [{ "name": "len", "args": [{ "name": "s", "type": "string" }], "returns": "i32" },
                 { "name": "ok", "args": [], "returns": "i32" }]
                """));
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { Timeout = ShortTimeout });
        await runtime.StartAsync();

        await FailsWithin(PluginErrorKind.Timeout, ShortTimeout + Margin, async () => await runtime.CallAsync("len", Args(("s", "hello"))));
        Assert.Equal(42, await CallInt(runtime, "ok"));
        await AssertHostHealthy();
    }
}
