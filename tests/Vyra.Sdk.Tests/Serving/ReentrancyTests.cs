using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Serving;

/// <summary>
/// Host code running inside a call of a runtime that calls back into that runtime: calls are refused at once as
/// Reentrant, a stop or dispose takes effect when the call ends, and nothing waits for itself.
/// </summary>
public class ReentrancyTests
{
    private static PluginCallException? Refusal(Action call)
    {
        try
        {
            call();
            return null;
        }
        catch (PluginCallException ex)
        {
            return ex;
        }
    }

    private static int TypedDouble(TypedExport<Func<int, int>> export, int x)
    {
        using var call = export.Enter();
        return call.Function(x);
    }

    private static async Task<int> Outer(WasmRuntime runtime, bool typed, int n)
    {
        if (!typed) return (int)(await runtime.CallAsync("hook", HookPlugin.N(n)))["result"]!;
        var hook = runtime.GetTypedExport("hook", static f => f.WrapFunc<int, int>());
        using var call = hook.Enter();
        return call.Function(n);
    }

    [Theory]
    [InlineData(false, false, 1)]
    [InlineData(false, true, 1)]
    [InlineData(true, false, 1)]
    [InlineData(true, true, 1)]
    [InlineData(false, false, 2)]
    [InlineData(true, true, 2)]
    public async Task A_host_function_calling_its_own_runtime_is_refused_at_once(bool outerTyped, bool innerTyped, int instances)
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: new PluginRuntimeOptions { Instances = instances, Timeout = Timeout.InfiniteTimeSpan });
        await runtime.StartAsync();
        var @double = runtime.GetTypedExport("double", static f => f.WrapFunc<int, int>());
        PluginCallException? refused = null;
        host.OnHook = n =>
        {
            refused = Refusal(() =>
            {
                if (innerTyped) TypedDouble(@double, 1);
                else runtime.CallAsync("double", SamplePlugins.Args(("x", 1))).AsTask().GetAwaiter().GetResult();
            });
            return n + 100;
        };

        Assert.Equal(107, await Outer(runtime, outerTyped, 7));
        Assert.NotNull(refused);
        Assert.Equal(PluginErrorKind.Reentrant, refused.Kind);
        Assert.Equal("double", refused.FunctionName);

        host.OnHook = null;
        Assert.Equal(6, (await runtime.CallAsync("double", SamplePlugins.Args(("x", 3))))["result"]); // outside a call, fine again
        Assert.Equal(8, TypedDouble(@double, 4));
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(1, true)]
    [InlineData(2, false)]
    public async Task Work_a_host_function_moves_to_the_thread_pool_and_waits_for_is_refused_too(int instances, bool typedAsync)
    {
        // Task.Run, or the continuation of an async host method after an await: the marker flows with the context.
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: new PluginRuntimeOptions { Instances = instances, Timeout = Timeout.InfiniteTimeSpan });
        await runtime.StartAsync();
        var @double = runtime.GetTypedExport("double", static f => f.WrapFunc<int, int>());
        PluginCallException? refused = null;
        host.OnHook = n =>
        {
            refused = Refusal(() => Task.Run(async () =>
            {
                await Task.Yield();
                if (typedAsync) await @double.RunAsync(1, static (call, x) => call.Function(x));
                else await runtime.CallAsync("double", SamplePlugins.Args(("x", 1)));
            }).GetAwaiter().GetResult());
            return n;
        };
        var outer = runtime.CallAsync("hook", HookPlugin.N(9)).AsTask();
        Assert.Equal(9, (await outer.WaitAsync(TimeSpan.FromSeconds(15)))["result"]);
        Assert.Equal(PluginErrorKind.Reentrant, refused?.Kind);

        // A stop moved to the pool the same way is deferred, not waited for.
        host.OnHook = n =>
        {
            Task.Run(async () => await runtime.StopAsync()).GetAwaiter().GetResult();
            return n;
        };
        try
        {
            await runtime.CallAsync("hook", HookPlugin.N(1)).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (PluginCallException ex)
        {
            Assert.Equal(PluginErrorKind.Cancelled, ex.Kind);
        }
        await runtime.StopAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.False(runtime.IsRunning);
    }

    [Fact]
    public async Task A_fire_and_forget_task_of_a_finished_call_is_not_mistaken_for_re_entry()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host);
        await runtime.StartAsync();
        using var callEnded = new ManualResetEventSlim();
        Task<IReadOnlyDictionary<string, object?>>? later = null;
        host.OnHook = n =>
        {
            later = Task.Run(async () =>
            {
                callEnded.Wait();
                return await runtime.CallAsync("double", SamplePlugins.Args(("x", 21)));
            });
            return n;
        };
        Assert.Equal(1, (await runtime.CallAsync("hook", HookPlugin.N(1)))["result"]);
        callEnded.Set();
        Assert.Equal(42, (await later!.WaitAsync(TimeSpan.FromSeconds(15)))["result"]);
    }

    [Fact]
    public async Task A_pool_of_two_with_a_guest_recursing_through_the_host_to_depth_three_does_not_deadlock()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: new PluginRuntimeOptions { Instances = 2, Timeout = Timeout.InfiniteTimeSpan });
        await runtime.StartAsync();
        var kinds = new List<PluginErrorKind>();
        host.OnHook = n =>
        {
            if (n == 0) return 0;
            try
            {
                return 1 + (int)runtime.CallAsync("hook", HookPlugin.N(n - 1)).AsTask().GetAwaiter().GetResult()["result"]!;
            }
            catch (PluginCallException ex)
            {
                kinds.Add(ex.Kind);
                return -100;
            }
        };
        var result = await runtime.CallAsync("hook", HookPlugin.N(3)).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(-100, result["result"]); // the first nested call was refused
        Assert.Equal([PluginErrorKind.Reentrant], kinds);
    }

    [Fact]
    public async Task A_cycle_through_another_runtime_is_refused()
    {
        using var plugin = HookPlugin.Create();
        var hostA = new HookHost();
        var hostB = new HookHost();
        await using var a = new WasmRuntime("a", plugin.ModulePath, hostA, options: new PluginRuntimeOptions { Timeout = Timeout.InfiniteTimeSpan });
        await using var b = new WasmRuntime("b", plugin.ModulePath, hostB, options: new PluginRuntimeOptions { Timeout = Timeout.InfiniteTimeSpan });
        await a.StartAsync();
        await b.StartAsync();
        PluginCallException? refused = null;
        hostA.OnHook = n => (int)b.CallAsync("hook", HookPlugin.N(n)).AsTask().GetAwaiter().GetResult()["result"]!; // A -> B is fine
        hostB.OnHook = n =>
        {
            refused = Refusal(() => a.CallAsync("double", SamplePlugins.Args(("x", 1))).AsTask().GetAwaiter().GetResult()); // B -> A closes the cycle
            return n * 10;
        };
        var result = await a.CallAsync("hook", HookPlugin.N(4)).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(40, result["result"]);
        Assert.Equal(PluginErrorKind.Reentrant, refused?.Kind);
        Assert.Equal("a", refused?.PluginId);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task Stop_or_dispose_from_inside_a_call_takes_effect_when_the_call_ends(bool dispose, bool outerTyped)
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: new PluginRuntimeOptions { Timeout = Timeout.InfiniteTimeSpan });
        await runtime.StartAsync();
        var returnedAtOnce = false;
        var runningAfter = true;
        host.OnHook = n =>
        {
            var stop = dispose ? runtime.DisposeAsync() : runtime.StopAsync();
            returnedAtOnce = stop.IsCompleted;
            stop.AsTask().GetAwaiter().GetResult(); // a host may wait for it: it must not wait for this very call
            runningAfter = runtime.IsRunning;
            return n;
        };

        var outcome = Outer(runtime, outerTyped, 5);
        try
        {
            Assert.Equal(5, await outcome.WaitAsync(TimeSpan.FromSeconds(15)));
        }
        catch (PluginCallException ex)
        {
            Assert.Equal(PluginErrorKind.Cancelled, ex.Kind); // or the stop's interrupt reached the guest first
        }
        Assert.True(returnedAtOnce);
        Assert.False(runningAfter);

        await runtime.StopAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15)); // the deferred stop finishes
        Assert.False(runtime.IsRunning);
        var ex2 = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("double", SamplePlugins.Args(("x", 1))));
        Assert.Equal(PluginErrorKind.NotStarted, ex2.Kind);
        await runtime.StartAsync(); // and the runtime can be started again
        Assert.Equal(2, (await runtime.CallAsync("double", SamplePlugins.Args(("x", 1))))["result"]);
        await runtime.DisposeAsync();
    }

    [Fact]
    public async Task A_stop_from_an_event_handler_inside_on_event_takes_effect_when_it_ends()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host);
        await runtime.StartAsync();
        host.OnHook = n =>
        {
            runtime.StopAsync().AsTask().GetAwaiter().GetResult();
            return n;
        };
        try
        {
            await runtime.OnEventAsync("shutdown.requested").AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (PluginCallException ex)
        {
            Assert.Equal(PluginErrorKind.Cancelled, ex.Kind);
        }
        await runtime.StopAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.False(runtime.IsRunning);
    }

    /// <summary>A host whose UI notifications run a callback: inside a call (host_emit_event) or after it (the result).</summary>
    private sealed class NotifyingHost : RecordingHost
    {
        public Action<string>? OnNotify { get; set; }

        public override ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default)
        {
            OnNotify?.Invoke(eventName);
            return base.NotifyUiAsync(eventName, data, cancellationToken);
        }
    }

    private const string EmitWat = """
        (module
          (import "vyra" "host_emit_event" (func $emit (param i32 i32 i32 i32)))
          (memory (export "memory") 1)
          (data (i32.const 16) "ping")
          (func (export "emit") (result i32) (call $emit (i32.const 16) (i32.const 4) (i32.const 16) (i32.const 4)) (i32.const 1))
          (func (export "one") (result i32) (i32.const 1)))
        """;

    [Fact]
    public async Task NotifyUiAsync_inside_a_call_is_refused_calls_and_may_stop_the_runtime_but_after_the_result_it_may_call()
    {
        using var plugin = TempPlugin.FromWat(EmitWat);
        var host = new NotifyingHost();
        await using var runtime = new WasmRuntime("emit", plugin.ModulePath, host, options: new PluginRuntimeOptions { AllowUndeclaredExports = true }); // no manifest: a development plugin
        await runtime.StartAsync();

        // After the call (plugin.one.result): the lease is returned, so calling the runtime again is fine.
        int? nested = null;
        var once = 0;
        host.OnNotify = name =>
        {
            if (name == "plugin.one.result" && Interlocked.Exchange(ref once, 1) == 0) nested = (int)runtime.CallAsync("one").AsTask().GetAwaiter().GetResult()["result"]!;
        };
        await runtime.CallAsync("one").AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(1, nested);

        // Inside the call (host_emit_event): a call is refused, a stop is deferred to the call's end.
        PluginCallException? refused = null;
        host.OnNotify = name =>
        {
            if (name != "ping") return;
            refused = Refusal(() => runtime.CallAsync("one").AsTask().GetAwaiter().GetResult());
            runtime.StopAsync().AsTask().GetAwaiter().GetResult();
        };
        try
        {
            await runtime.CallAsync("emit").AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (PluginCallException ex)
        {
            Assert.Equal(PluginErrorKind.Cancelled, ex.Kind);
        }
        Assert.Equal(PluginErrorKind.Reentrant, refused?.Kind);
        await runtime.StopAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.False(runtime.IsRunning);
    }

    [Fact]
    public async Task A_start_from_inside_a_call_of_a_running_runtime_is_a_no_op()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host);
        await runtime.StartAsync();
        host.OnHook = n =>
        {
            runtime.StartAsync().AsTask().GetAwaiter().GetResult();
            return n;
        };
        Assert.Equal(3, (await runtime.CallAsync("hook", HookPlugin.N(3)))["result"]);
    }
}
