using Vyra.Sdk.Tests.Sandbox;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Performance;

/// <summary>
/// Closing a single-instance slot that no thread ever leased ends the lease's bias without the process-wide barrier (no
/// thread can hold a bias nobody owns). These tests hold the close to its promises on that path: every later lease is
/// refused, a restart serves again, and callers racing the close run alone, are interrupted, or are refused. The guest traps if two
/// calls ever overlap.
/// </summary>
[Collection(HeavySandboxCollection.Name)]
public class SlotCloseTests
{
    private const string Wat = """
        (module
          (global $busy (mut i32) (i32.const 0))
          (global $count (mut i32) (i32.const 0))
          (func (export "tick") (param $n i32) (result i32)
            (if (global.get $busy) (then unreachable))
            (global.set $busy (i32.const 1))
            (block $done (loop $spin
              (br_if $done (i32.eqz (local.get $n)))
              (local.set $n (i32.sub (local.get $n) (i32.const 1)))
              (br $spin)))
            (global.set $count (i32.add (global.get $count) (i32.const 1)))
            (global.set $busy (i32.const 0))
            (global.get $count)))
        """;

    private const string Manifest = """{"id":"closing","exports":[{"name":"tick","args":[{"name":"n","type":"i32"}],"returns":"i32"}]}""";

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private static int Tick(TypedExport<Func<int, int>> tick, int n)
    {
        using var call = tick.Enter();
        try
        {
            return call.Function(n);
        }
        catch (Exception ex)
        {
            throw call.Fail(ex);
        }
    }

    [Fact]
    public async Task A_slot_closed_before_its_first_lease_refuses_later_leases_and_a_restart_serves_again()
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
        await using var runtime = new WasmRuntime("closing", plugin.ModulePath);
        await runtime.StartAsync();
        var tick = runtime.GetTypedExport("tick", static f => f.WrapFunc<int, int>());
        var slot = Assert.IsType<SingleInstanceSlot>(runtime.Slots);
        Assert.False(slot.BiasRevoked);

        await runtime.StopAsync();

        Assert.True(slot.BiasRevoked);
        Assert.False(slot.IsOpen);
        Assert.Null(slot.Acquire(0, CancellationToken.None, out var refusal, out _));
        Assert.Equal(LeaseRefusal.Closed, refusal);
        Assert.Equal(PluginErrorKind.NotStarted, Assert.Throws<PluginCallException>(() => Tick(tick, 1)).Kind);
        Assert.Equal(PluginErrorKind.NotStarted, (await Assert.ThrowsAsync<PluginCallException>(() => runtime.CallAsync("tick").AsTask())).Kind);

        await runtime.StartAsync();
        Assert.Equal(1, Tick(tick, 1));
        Assert.Equal(2, Tick(tick, 1));
    }

    [Fact]
    public async Task Callers_racing_a_close_run_alone_are_interrupted_or_are_refused_as_not_started()
    {
        for (var round = 0; round < 20; round++)
        {
            using var plugin = TempPlugin.FromWat(Wat, Manifest);
            var runtime = new WasmRuntime("closing", plugin.ModulePath, options: new PluginRuntimeOptions { Timeout = Timeout.InfiniteTimeSpan });
            await runtime.StartAsync();
            var tick = runtime.GetTypedExport("tick", static f => f.WrapFunc<int, int>());
            using var go = new ManualResetEventSlim();
            var unexpected = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
            var ran = 0;
            var callers = Enumerable.Range(0, 3).Select(_ => Task.Factory.StartNew(() =>
            {
                go.Wait();
                while (true)
                {
                    try
                    {
                        Tick(tick, 50);
                        Interlocked.Increment(ref ran);
                    }
                    catch (PluginCallException ex) when (ex.Kind == PluginErrorKind.NotStarted)
                    {
                        return;
                    }
                    catch (PluginCallException ex) when (ex.Kind == PluginErrorKind.Cancelled)
                    {
                        // A call that was running when the stop came is interrupted; the next one is refused.
                    }
                    catch (Exception ex)
                    {
                        unexpected.Enqueue(ex);
                        return;
                    }
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();

            go.Set();
            await runtime.StopAsync().AsTask().WaitAsync(Bound); // races the callers' first leases
            await Task.WhenAll(callers).WaitAsync(Bound);
            Assert.Empty(unexpected);
            await runtime.DisposeAsync();
        }
    }
}
