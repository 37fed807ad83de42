using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Lifecycle;

/// <summary>Hot swap on a running Wasmtime runtime: compatibility, failures, state, typed exports.</summary>
public class HotSwapTests
{
    private static async Task<WasmRuntime> Started(string module, PluginRuntimeOptions? options = null)
    {
        var runtime = new WasmRuntime(SwapPool.Id, module, options: options);
        await runtime.StartAsync();
        return runtime;
    }

    private static async Task<int> Answer(PluginRuntime runtime) => (int)(await runtime.CallAsync("answer"))["result"]!;

    private static async Task<int> Count(PluginRuntime runtime) => (int)(await runtime.CallAsync("get_count"))["result"]!;

    [Fact]
    public async Task A_swap_moves_new_calls_to_the_new_version()
    {
        using var pool = new SwapPool();
        await using var runtime = await Started(pool.Write("1.0.0", answer: 1));
        var v2 = pool.Write("2.0.0", answer: 2);

        var result = await runtime.SwapAsync(v2);

        Assert.Equal(PluginSwapStatus.Swapped, result.Status);
        Assert.Equal(("1.0.0", "2.0.0"), (result.FromVersion, result.ToVersion));
        Assert.Equal(2, await Answer(runtime));
        Assert.Equal(v2, runtime.WasmPath);
        Assert.Equal("2.0.0", runtime.Manifest!.Version);
        Assert.True(runtime.IsRunning);
    }

    [Fact]
    public async Task A_swap_that_removes_an_export_is_refused_naming_it_and_the_old_version_keeps_serving()
    {
        using var pool = new SwapPool();
        await using var runtime = await Started(pool.Write("1.0.0", answer: 1));
        var v2 = pool.Write("2.0.0", answer: 2, exports: """[{"name":"answer","args":[]},{"name":"increment","args":[{"name":"step","type":"i32"}]}]""");

        var result = await runtime.SwapAsync(v2);

        Assert.Equal(PluginSwapStatus.Refused, result.Status);
        Assert.Contains("export 'get_count' () -> i32 is removed", result.Message);
        Assert.Equal(["export 'get_count' () -> i32 is removed"], result.BreakingChanges);
        Assert.Equal(1, await Answer(runtime));
        Assert.Equal("1.0.0", runtime.Manifest!.Version);
    }

    [Fact]
    public async Task A_swap_that_changes_a_signature_is_refused_naming_the_export()
    {
        using var pool = new SwapPool();
        await using var runtime = await Started(pool.Write("1.0.0", answer: 1));
        var v2 = pool.Write("2.0.0", answer: 2,
            exports: """[{"name":"answer","args":[]},{"name":"increment","args":[{"name":"by","type":"i32"}]},{"name":"get_count","args":[]}]""");

        var result = await runtime.SwapAsync(v2);

        Assert.Equal(PluginSwapStatus.Refused, result.Status);
        Assert.Contains("export 'increment' changes its signature from (step: i32) -> i32 to (by: i32) -> i32", result.Message);
        Assert.Contains("Force", result.Message);
        Assert.Equal(1, await Answer(runtime));
    }

    [Fact]
    public async Task A_forced_swap_goes_through_and_callers_of_the_removed_export_get_a_clear_error()
    {
        using var pool = new SwapPool();
        await using var runtime = await Started(pool.Write("1.0.0", answer: 1));
        var v2 = pool.Write("2.0.0", answer: 2, exports: """[{"name":"answer","args":[]}]""");

        var result = await runtime.SwapAsync(v2, new PluginSwapOptions { Force = true });

        Assert.Equal(PluginSwapStatus.Swapped, result.Status);
        Assert.Equal(2, result.BreakingChanges.Count);
        Assert.Contains("forced over", result.Message);
        Assert.Equal(2, await Answer(runtime));
        var failure = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("get_count"));
        Assert.Equal(PluginErrorKind.UnknownFunction, failure.Kind);
    }

    [Fact]
    public async Task A_version_whose_start_fails_is_reported_and_the_old_one_keeps_serving()
    {
        using var pool = new SwapPool();
        await using var runtime = await Started(pool.Write("1.0.0", answer: 1));
        await runtime.CallAsync("increment", SamplePlugins.Args(("step", 3)));
        // Its start function traps: instantiation fails after load and check passed.
        var broken = pool.Write("2.0.0", answer: 2, body: "(func $boom unreachable) (start $boom)");

        var result = await runtime.SwapAsync(broken);

        Assert.Equal(PluginSwapStatus.Failed, result.Status);
        Assert.Contains("1.0.0 keeps serving", result.Message);
        Assert.Contains("instantiation failed", result.Message);
        Assert.IsType<PluginLoadException>(result.Error);
        Assert.Equal(1, await Answer(runtime));
        Assert.Equal(3, await Count(runtime)); // the same instance, its state intact
        Assert.Equal("1.0.0", runtime.Manifest!.Version);
    }

    [Fact]
    public async Task A_version_that_cannot_be_loaded_is_reported_and_the_old_one_keeps_serving()
    {
        using var pool = new SwapPool();
        await using var runtime = await Started(pool.Write("1.0.0", answer: 1));
        var missing = Path.Combine(pool.Root, SwapPool.Id, "9.9.9", "logic.wasm");
        var garbage = pool.Write("2.0.0", answer: 2);
        File.WriteAllText(garbage, "(module (func");

        var none = await runtime.SwapAsync(missing);
        var bad = await runtime.SwapAsync(garbage);

        Assert.Equal(PluginSwapStatus.Failed, none.Status);
        Assert.Equal(PluginSwapStatus.Failed, bad.Status);
        Assert.Contains("keeps serving", bad.Message);
        Assert.Equal(1, await Answer(runtime));
    }

    [Fact]
    public async Task State_is_carried_when_both_versions_export_the_state_pair()
    {
        using var pool = new SwapPool();
        await using var runtime = await Started(pool.Write("1.0.0", answer: 1));
        for (var i = 0; i < 5; i++) await runtime.CallAsync("increment", SamplePlugins.Args(("step", 1)));

        var result = await runtime.SwapAsync(pool.Write("2.0.0", answer: 2));

        Assert.True(result.StateCarried, result.StateNote);
        Assert.Contains("4 bytes", result.StateNote);
        Assert.Equal(2, await Answer(runtime));
        Assert.Equal(5, await Count(runtime));
    }

    [Fact]
    public async Task Without_the_state_exports_the_swap_says_the_state_was_not_carried()
    {
        using var pool = new SwapPool();
        await using var runtime = await Started(pool.Write("1.0.0", answer: 1));
        await runtime.CallAsync("increment", SamplePlugins.Args(("step", 7)));

        var result = await runtime.SwapAsync(pool.Write("2.0.0", answer: 2, state: false));

        Assert.Equal(PluginSwapStatus.Swapped, result.Status);
        Assert.False(result.StateCarried);
        Assert.Contains("the new version exports no vyra_restore", result.StateNote);
        Assert.Contains("not carried", result.Message);
        Assert.Equal(0, await Count(runtime));

        var back = await runtime.SwapAsync(pool.Write("3.0.0", answer: 3));
        Assert.Contains("the old version exports no vyra_snapshot", back.StateNote);
    }

    [Fact]
    public async Task State_is_not_carried_when_the_caller_says_so()
    {
        using var pool = new SwapPool();
        await using var runtime = await Started(pool.Write("1.0.0", answer: 1));
        await runtime.CallAsync("increment", SamplePlugins.Args(("step", 7)));

        var result = await runtime.SwapAsync(pool.Write("2.0.0", answer: 2), new PluginSwapOptions { CarryState = false });

        Assert.False(result.StateCarried);
        Assert.Contains("CarryState", result.StateNote);
        Assert.Equal(0, await Count(runtime));
    }

    [Fact]
    public async Task A_restore_that_traps_fails_the_swap_and_the_old_version_keeps_its_state()
    {
        using var pool = new SwapPool();
        await using var runtime = await Started(pool.Write("1.0.0", answer: 1));
        await runtime.CallAsync("increment", SamplePlugins.Args(("step", 4)));
        var v2 = pool.Write("2.0.0", answer: 2, state: false, body: """
            (func (export "vyra_restore") (param i32 i32) unreachable)
            """);

        var result = await runtime.SwapAsync(v2);

        Assert.Equal(PluginSwapStatus.Failed, result.Status);
        Assert.Contains("vyra_restore failed", result.Message);
        Assert.Equal(1, await Answer(runtime));
        Assert.Equal(4, await Count(runtime));
        Assert.Equal(5, (await runtime.CallAsync("increment", SamplePlugins.Args(("step", 1))))["result"]); // the lease was given back
    }

    [Fact]
    public async Task A_snapshot_that_points_outside_memory_fails_the_swap_as_an_ABI_error()
    {
        using var pool = new SwapPool();
        // A hostile snapshot: (0 << 32) | 0x7fffffff, two gigabytes from a one-page memory.
        var hostile = pool.Write("1.0.0", answer: 1, state: false, body: """
            (func (export "vyra_snapshot") (result i64) i64.const 2147483647)
            """);
        await using var runtime = await Started(hostile);

        var result = await runtime.SwapAsync(pool.Write("2.0.0", answer: 2));

        Assert.Equal(PluginSwapStatus.Failed, result.Status);
        Assert.Contains("vyra_snapshot failed", result.Message);
        Assert.Equal(PluginErrorKind.Abi, Assert.IsType<PluginCallException>(result.Error).Kind);
        Assert.Equal(1, await Answer(runtime)); // the lease went back: version 1 still answers
    }

    [Fact]
    public async Task The_host_can_keep_state_across_a_restart_explicitly()
    {
        using var pool = new SwapPool();
        await using var runtime = await Started(pool.Write("1.0.0", answer: 1));
        await runtime.CallAsync("increment", SamplePlugins.Args(("step", 11)));

        var state = await runtime.SnapshotAsync();
        await runtime.StopAsync();
        await runtime.StartAsync();
        Assert.Equal(0, await Count(runtime));
        await runtime.RestoreAsync(state);

        Assert.Equal(11, await Count(runtime));
    }

    [Fact]
    public async Task Concurrent_restores_of_a_pool_take_turns_instead_of_holding_each_others_instances()
    {
        using var pool = new SwapPool();
        // No wait bound at all: two restores that each held one of the two instances would wait for each other forever.
        await using var runtime = await Started(pool.Write("1.0.0", answer: 1), new PluginRuntimeOptions { Instances = 4, Timeout = Timeout.InfiniteTimeSpan });

        for (var round = 0; round < 50; round++)
        {
            using var start = new Barrier(8);
            var restores = Enumerable.Range(0, 8).Select(i => Task.Factory.StartNew(() =>
            {
                start.SignalAndWait();
                runtime.RestoreAsync(BitConverter.GetBytes(i)).AsTask().GetAwaiter().GetResult();
            }, TaskCreationOptions.LongRunning)).ToArray();
            await Task.WhenAll(restores).WaitAsync(TimeSpan.FromSeconds(20));
        }
    }

    [Fact]
    public async Task Restore_reaches_every_instance_of_a_pool()
    {
        using var pool = new SwapPool();
        await using var runtime = await Started(pool.Write("1.0.0", answer: 1), new PluginRuntimeOptions { Instances = 3 });

        await runtime.RestoreAsync(BitConverter.GetBytes(21));

        // Three calls held at once on three threads hold the three instances: each answers from its own counter.
        var typed = runtime.GetTypedExport("get_count", static f => f.WrapFunc<int>());
        using var together = new Barrier(3);
        var counts = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Factory.StartNew(() =>
        {
            using var call = typed.Enter();
            Assert.True(together.SignalAndWait(TimeSpan.FromSeconds(10)), "three instances were not leased at once");
            return call.Function();
        }, TaskCreationOptions.LongRunning)));
        Assert.Equal([21, 21, 21], counts);
    }

    [Fact]
    public async Task Explicit_state_calls_without_the_exports_name_what_is_missing()
    {
        using var pool = new SwapPool();
        await using var runtime = await Started(pool.Write("1.0.0", answer: 1, state: false));

        var snapshot = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.SnapshotAsync());
        var restore = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.RestoreAsync(new byte[4]));

        Assert.Equal(PluginErrorKind.UnknownFunction, snapshot.Kind);
        Assert.Contains("exports no vyra_snapshot", snapshot.Message);
        Assert.Contains("exports no vyra_restore", restore.Message);
        await runtime.StopAsync();
        Assert.Equal(PluginErrorKind.NotStarted, (await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.SnapshotAsync())).Kind);
    }

    [Fact]
    public async Task A_typed_export_made_before_a_swap_calls_the_new_version_after_it()
    {
        using var pool = new SwapPool();
        await using var runtime = await Started(pool.Write("1.0.0", answer: 1));
        // What a generated proxy does in its constructor: the handle outlives any number of swaps.
        var answer = runtime.GetTypedExport("answer", static f => f.WrapFunc<int>());
        int Sync()
        {
            using var call = answer.Enter();
            return call.Function();
        }
        Task<int> Async() => answer.RunAsync(0, static (call, _) => call.Function()).AsTask();
        Assert.Equal((1, 1), (Sync(), await Async()));

        await runtime.SwapAsync(pool.Write("2.0.0", answer: 2));
        Assert.Equal((2, 2), (Sync(), await Async()));

        await runtime.SwapAsync(pool.Write("1.0.0", answer: 1));
        Assert.Equal((1, 1), (Sync(), await Async()));
    }

    [Fact]
    public async Task A_call_in_flight_finishes_on_the_old_version_while_new_calls_go_to_the_new_one()
    {
        using var pool = new SwapPool();
        await using var runtime = await Started(pool.Write("1.0.0", answer: 1), new PluginRuntimeOptions { Instances = 2 });
        var answer = runtime.GetTypedExport("answer", static f => f.WrapFunc<int>());
        var leased = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // A call leased from version 1 on its own thread, held across the swap.
        var inFlight = Task.Factory.StartNew(() =>
        {
            using var call = answer.Enter();
            leased.SetResult();
            finish.Task.Wait(TimeSpan.FromSeconds(10));
            return call.Function();
        }, TaskCreationOptions.LongRunning);
        await leased.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var swap = runtime.SwapAsync(pool.Write("2.0.0", answer: 2), new PluginSwapOptions { CarryState = false }).AsTask();
        // The swap publishes version 2, then waits for the old lease: new calls already see version 2.
        while (runtime.Manifest!.Version != "2.0.0" && !swap.IsCompleted) await Task.Yield();
        Assert.Equal(2, await Answer(runtime));
        Assert.False(swap.IsCompleted); // still draining: the old version waits for its call

        finish.SetResult();
        Assert.Equal(1, await inFlight.WaitAsync(TimeSpan.FromSeconds(10)));
        var result = await swap.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(result.Succeeded);
    }

    [Fact]
    public async Task A_call_queued_across_a_forced_swap_that_changed_its_export_runs_with_the_new_signature()
    {
        using var pool = new SwapPool();
        await using var runtime = await Started(pool.Write("1.0.0", answer: 1));
        var v2 = pool.Write("2.0.0", answer: 2,
            exports: """[{"name":"answer","args":[]},{"name":"increment","args":[{"name":"step","type":"i64"}]}]""",
            wat: """
                (module
                  (global $count (mut i64) (i64.const 100))
                  (func (export "answer") (result i32) i32.const 2)
                  (func (export "increment") (param $step i64) (result i64)
                    global.get $count local.get $step i64.add global.set $count global.get $count))
                """);
        var answer = runtime.GetTypedExport("answer", static f => f.WrapFunc<int>());
        var leased = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = Task.Factory.StartNew(() =>
        {
            using var call = answer.Enter();
            leased.SetResult();
            finish.Task.Wait(TimeSpan.FromSeconds(10));
            return call.Function();
        }, TaskCreationOptions.LongRunning);
        await leased.Task.WaitAsync(TimeSpan.FromSeconds(10));
        // Resolved against version 1 (step: i32) and queued behind the held call before the swap begins.
        var queued = runtime.CallAsync("increment", SamplePlugins.Args(("step", 5))).AsTask();
        Assert.False(queued.IsCompleted);

        var swap = runtime.SwapAsync(v2, new PluginSwapOptions { Force = true, CarryState = false }).AsTask();

        // The old slots' close moved the queued call to version 2, where it runs with that version's signature.
        Assert.Equal(105L, (await queued.WaitAsync(TimeSpan.FromSeconds(10)))["result"]);
        finish.SetResult();
        Assert.Equal(1, await holder.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True((await swap.WaitAsync(TimeSpan.FromSeconds(10))).Succeeded);
    }

    [Fact]
    public async Task A_stopped_runtime_is_swapped_for_its_next_start()
    {
        using var pool = new SwapPool();
        await using var runtime = new WasmRuntime(SwapPool.Id, pool.Write("1.0.0", answer: 1));

        var result = await runtime.SwapAsync(pool.Write("2.0.0", answer: 2));
        Assert.True(result.Succeeded);
        Assert.Contains("next start", result.Message);
        Assert.False(runtime.IsRunning);

        await runtime.StartAsync();
        Assert.Equal(2, await Answer(runtime));
    }

    [Fact]
    public async Task A_swap_from_inside_a_call_of_the_same_runtime_is_refused()
    {
        using var pool = new SwapPool();
        var v2 = pool.Write("2.0.0", answer: 2);
        var host = new SwappingHost(v2);
        var module = pool.Write("1.0.0", answer: 1,
            imports: """(import "vyra" "host_log" (func $log (param i32 i32)))""",
            body: """(func (export "poke") i32.const 0 i32.const 0 call $log)""", exports: """[{"name":"answer","args":[]},{"name":"increment","args":[{"name":"step","type":"i32"}]},{"name":"get_count","args":[]},{"name":"poke","args":[]}]""");
        await using var runtime = new WasmRuntime(SwapPool.Id, module, host);
        host.Runtime = runtime;
        await runtime.StartAsync();

        await runtime.CallAsync("poke");

        Assert.Equal(PluginErrorKind.Reentrant, host.Failure?.Kind);
        Assert.Equal(1, await Answer(runtime));
    }

    private sealed class SwappingHost(string target) : BaseHostFunctions
    {
        public WasmRuntime? Runtime { get; set; }

        public PluginCallException? Failure { get; private set; }

        public override async ValueTask LogAsync(Microsoft.Extensions.Logging.LogLevel level, string message, CancellationToken cancellationToken = default)
        {
            try
            {
                await Runtime!.SwapAsync(target, cancellationToken: cancellationToken);
            }
            catch (PluginCallException ex)
            {
                Failure = ex;
            }
        }
    }
}
