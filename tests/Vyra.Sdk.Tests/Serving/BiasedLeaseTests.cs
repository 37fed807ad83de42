using Vyra.Sdk;
using Vyra.Sdk.Tests.Sandbox;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Serving;

/// <summary>
/// The single-instance lease is biased to the first thread that takes it (no interlocked operation while only that
/// thread calls) and revoked the first time anyone else asks. These tests drive every way the bias can end: another
/// thread arriving while the owner holds the lease or not, the owner's own asynchronous call still holding it, a waiter
/// cancelled or timed out behind it, and a stop. The guest counts its calls and flags any overlap.
/// </summary>
[Collection(HeavySandboxCollection.Name)]
public class BiasedLeaseTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private static SingleInstanceSlot Slot(WasmRuntime runtime) => Assert.IsType<SingleInstanceSlot>(runtime.Slots);

    [Fact]
    public async Task Calls_on_the_bias_then_many_threads_at_once_never_overlap_and_every_call_counts_once()
    {
        using var plugin = TempPlugin.FromWat(CountingGuest.Wat, CountingGuest.Manifest("biased"));
        await using var runtime = new WasmRuntime("biased", plugin.ModulePath, options: new PluginRuntimeOptions { MaxQueueWait = TimeSpan.FromMilliseconds(5), Timeout = TimeSpan.FromSeconds(30) });
        await runtime.StartAsync();
        var tick = runtime.GetTypedExport("tick", static f => f.WrapFunc<int, int>());
        var slot = Slot(runtime);
        var ran = 0;
        var refused = 0;

        void Count(Action call)
        {
            try
            {
                call();
                Interlocked.Increment(ref ran);
            }
            catch (PluginCallException ex) when (ex.Kind is PluginErrorKind.Overloaded or PluginErrorKind.Cancelled)
            {
                Interlocked.Increment(ref refused);
            }
        }

        using var othersMayStart = new ManualResetEventSlim();
        // The owner: the first thread to lease. Its first calls run on the bias alone; the others join part-way.
        var owner = Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < 1500; i++)
            {
                if (i == 300)
                {
                    Assert.False(slot.BiasRevoked); // only the owner has called so far
                    othersMayStart.Set();
                }
                Count(() =>
                {
                    using var call = tick.Enter();
                    CountingGuest.Tick(call, 50);
                });
            }
        }, TaskCreationOptions.LongRunning);
        var others = Enumerable.Range(0, 6).Select(t => Task.Factory.StartNew(() =>
        {
            othersMayStart.Wait();
            for (var i = 0; i < 300; i++)
            {
                using var cts = i % 9 == 0 ? new CancellationTokenSource() : null;
                if (t % 3 == 0)
                {
                    if (cts is not null) cts.CancelAfter(TimeSpan.FromTicks(i % 4));
                    Count(() =>
                    {
                        using var call = tick.Enter(cts?.Token ?? default);
                        CountingGuest.Tick(call, 50);
                    });
                }
                else
                {
                    Count(() =>
                    {
                        Task pending = t % 3 == 1
                            ? runtime.CallAsync("tick", SamplePlugins.Args(("n", 50)), cts?.Token ?? default).AsTask()
                            : tick.RunAsync(50, static (c, n) => CountingGuest.Tick(c, n), cts?.Token ?? default).AsTask();
                        cts?.Cancel();
                        pending.GetAwaiter().GetResult();
                    });
                }
            }
        }, TaskCreationOptions.LongRunning));
        await Task.WhenAll(others.Append(owner)).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(slot.BiasRevoked);
        Assert.Equal(1500 + 6 * 300, ran + refused);
        Assert.Equal(ran, (await runtime.CallAsync("count"))["result"]);
        Assert.Equal(0, (await runtime.CallAsync("overlaps"))["result"]);
    }

    [Fact]
    public async Task Another_thread_arriving_while_the_owner_holds_the_lease_waits_for_it_and_is_handed_the_instance()
    {
        using var plugin = TempPlugin.FromWat(CountingGuest.Wat, CountingGuest.Manifest("biased"));
        await using var runtime = new WasmRuntime("biased", plugin.ModulePath, options: new PluginRuntimeOptions { Timeout = Timeout.InfiniteTimeSpan });
        await runtime.StartAsync();
        var tick = runtime.GetTypedExport("tick", static f => f.WrapFunc<int, int>());
        var slot = Slot(runtime);

        Task<IReadOnlyDictionary<string, object?>> other;
        using (var call = tick.Enter()) // the first lease: this thread owns the bias, and holds the lease now
        {
            Assert.Equal(1, CountingGuest.Tick(call, 1));
            other = Task.Run(async () => await runtime.CallAsync("tick", SamplePlugins.Args(("n", 1))));
            Assert.True(SpinWait.SpinUntil(() => slot.BiasRevoked, Bound), "the other caller never revoked the bias");
            Assert.False(other.IsCompleted); // it cannot run while this lease is held
            Assert.Equal(2, CountingGuest.Tick(call, 1));
        }
        Assert.Equal(3, (await other.WaitAsync(Bound))["result"]);
        // After the revocation the owner takes the lock like everyone else.
        using (var call = tick.Enter())
        {
            Assert.Equal(4, CountingGuest.Tick(call, 1));
        }
        Assert.Equal(0, (await runtime.CallAsync("overlaps"))["result"]);
    }

    [Fact]
    public async Task The_owners_own_asynchronous_call_still_holding_the_lease_makes_its_next_call_wait()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        using var entered = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim();
        var inside = 0;
        var most = 0;
        host.OnHook = n =>
        {
            var now = Interlocked.Increment(ref inside);
            InterlockedMax(ref most, now);
            entered.Release();
            release.Wait();
            Interlocked.Decrement(ref inside);
            return n;
        };
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: new PluginRuntimeOptions { Timeout = Timeout.InfiniteTimeSpan });
        await runtime.StartAsync();
        var slot = Slot(runtime);

        // Both calls from this thread, before any await: the first takes the lease on the bias, and a guest thread
        // returns it; the second comes from the owner while that lease is still out.
        var first = runtime.CallAsync("hook", HookPlugin.N(1)).AsTask();
        Assert.True(entered.Wait(Bound), "the first call never entered");
        var second = runtime.CallAsync("hook", HookPlugin.N(2)).AsTask();
        Assert.True(slot.BiasRevoked);
        Assert.False(second.IsCompleted);
        Assert.Equal(1, Volatile.Read(ref inside));

        release.Set();
        Assert.Equal(1, (await first.WaitAsync(Bound))["result"]);
        Assert.Equal(2, (await second.WaitAsync(Bound))["result"]);
        Assert.Equal(1, most);
    }

    [Fact]
    public async Task Waiters_behind_a_lease_on_the_bias_can_be_cancelled_time_out_and_are_failed_by_a_stop()
    {
        using var plugin = TempPlugin.FromWat(CountingGuest.Wat, CountingGuest.Manifest("biased"));
        var runtime = new WasmRuntime("biased", plugin.ModulePath, options: new PluginRuntimeOptions { Timeout = Timeout.InfiniteTimeSpan });
        await runtime.StartAsync();
        var tick = runtime.GetTypedExport("tick", static f => f.WrapFunc<int, int>());
        var slot = Slot(runtime);
        Task stop;
        Task<IReadOnlyDictionary<string, object?>> queued;
        using (var call = tick.Enter()) // owner, holding
        {
            using var cts = new CancellationTokenSource();
            var cancelled = Task.Run(() =>
            {
                using var other = tick.Enter(cts.Token);
                return CountingGuest.Tick(other, 1);
            });
            Assert.True(SpinWait.SpinUntil(() => slot.BiasRevoked, Bound));
            cts.Cancel();
            var refused = await Assert.ThrowsAsync<PluginCallException>(() => cancelled.WaitAsync(Bound));
            Assert.Equal(PluginErrorKind.Cancelled, refused.Kind);

            queued = Task.Run(async () => await runtime.CallAsync("tick", SamplePlugins.Args(("n", 1))));
            // The stop fails the waiter at once and then waits for the lease this thread holds.
            stop = Task.Run(async () => await runtime.StopAsync());
            var failed = await Assert.ThrowsAsync<PluginCallException>(() => queued.WaitAsync(Bound));
            Assert.Equal(PluginErrorKind.NotStarted, failed.Kind);
            Assert.False(stop.IsCompleted); // the lease this thread holds is still out (the stop interrupts guest code, and none runs)
        }
        await stop.WaitAsync(Bound);
        var after = Assert.Throws<PluginCallException>(() => tick.Enter());
        Assert.Equal(PluginErrorKind.NotStarted, after.Kind);
        await runtime.DisposeAsync();
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var seen = Volatile.Read(ref target); seen < value; seen = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, seen) == seen) return;
        }
    }
}
