using Vyra.Sdk;
using Xunit;

namespace Vyra.Sdk.Tests.Serving;

/// <summary>
/// The hand-off of asynchronous calls to the runtime's guest threads: a worker that just finished stays awake for the
/// next call for a bounded time, then parks (an idle runtime uses no CPU); the stop ends every worker. Observed through
/// the workers' own counters, never by time.
/// </summary>
public class GuestHandOffTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private static GuestWorkers Workers(WasmRuntime runtime) => runtime.Slots!.Workers;

    [Fact]
    public async Task An_idle_runtimes_worker_parks_after_its_bounded_spin_and_a_later_call_wakes_it()
    {
        using var plugin = HookPlugin.Create();
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, new HookHost());
        await runtime.StartAsync();
        var workers = Workers(runtime);
        Assert.Equal(0, workers.Started); // threads start on first use

        Assert.Equal(2, (await runtime.CallAsync("double", new Dictionary<string, object?> { ["x"] = 1 }))["result"]);
        Assert.Equal(1, workers.Started);
        // Nothing more to do: the worker must stop spinning and park, whatever the machine's speed.
        Assert.True(SpinWait.SpinUntil(() => workers.Parked == 1, Bound), "the idle worker never parked");
        var parks = workers.Parks;

        // A parked worker is woken by the next call, and parks again after it.
        Assert.Equal(4, (await runtime.CallAsync("double", new Dictionary<string, object?> { ["x"] = 2 }))["result"]);
        Assert.True(SpinWait.SpinUntil(() => workers.Parked == 1 && workers.Parks > parks, Bound), "the worker did not park again");
        Assert.Equal(1, workers.Started);
        Assert.Equal(1, workers.Alive);
    }

    [Fact]
    public async Task Back_to_back_calls_of_a_blocked_caller_reuse_the_awake_worker_and_run_on_one_thread()
    {
        using var plugin = HookPlugin.Create();
        var host = new HookHost();
        var threads = new HashSet<int>();
        host.OnHook = n =>
        {
            lock (threads) threads.Add(Environment.CurrentManagedThreadId);
            return n;
        };
        await using var runtime = new WasmRuntime("hook", plugin.ModulePath, host);
        await runtime.StartAsync();
        var hook = runtime.GetTypedExport("hook", static f => f.WrapFunc<int, int>());
        const int calls = 300;
        var sum = 0L;
        var caller = new Thread(() =>
        {
            // Sync over async, as a benchmark or a legacy caller does: each call is posted as soon as the last returned.
            for (var i = 0; i < calls; i++)
            {
                sum += i % 2 == 0
                    ? (int)runtime.CallAsync("hook", HookPlugin.N(i)).AsTask().GetAwaiter().GetResult()["result"]!
                    : hook.RunAsync(i, static (call, n) => call.Function(n)).AsTask().GetAwaiter().GetResult();
            }
        });
        caller.Start();
        Assert.True(caller.Join(Bound));

        Assert.Equal((long)calls * (calls - 1) / 2, sum);
        var workers = Workers(runtime);
        Assert.Equal(1, workers.Started);
        Assert.Single(threads);
        Assert.DoesNotContain(caller.ManagedThreadId, threads);
        // Some of the calls found the worker still awake (no wake-up); which ones depends on the scheduler.
        Assert.True(workers.HotHandOffs > 0, $"none of {calls} back-to-back calls found the worker awake ({workers.Parks} parks)");
    }

    [Fact]
    public async Task However_many_runtimes_go_idle_at_once_at_most_MaxSpinners_workers_spin_and_all_of_them_park()
    {
        using var plugin = HookPlugin.Create();
        var runtimes = new List<WasmRuntime>();
        try
        {
            for (var i = 0; i < 12; i++)
            {
                var runtime = new WasmRuntime("hook", plugin.ModulePath, new HookHost());
                runtimes.Add(runtime);
                await runtime.StartAsync();
            }
            var most = 0;
            using var done = new CancellationTokenSource();
            // Samples the process-wide count while bursts of calls leave all twelve workers idle at about the same time.
            var sampler = Task.Factory.StartNew(() =>
            {
                while (!done.IsCancellationRequested) most = Math.Max(most, GuestWorkers.SpinningNow);
            }, TaskCreationOptions.LongRunning);
            for (var burst = 0; burst < 20; burst++)
            {
                await Task.WhenAll(runtimes.Select((r, i) => r.CallAsync("hook", HookPlugin.N(i)).AsTask()));
            }
            await done.CancelAsync();
            await sampler.WaitAsync(Bound);

            Assert.InRange(most, 0, GuestWorkers.MaxSpinners);
            Assert.True(SpinWait.SpinUntil(() => runtimes.All(r => Workers(r).Parked == 1), Bound), "an idle worker never parked");
        }
        finally
        {
            foreach (var runtime in runtimes) await runtime.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task The_stop_ends_every_worker_parked_or_awake_and_later_starts_get_new_ones(int instances)
    {
        using var plugin = HookPlugin.Create();
        var runtime = new WasmRuntime("hook", plugin.ModulePath, new HookHost(), options: new PluginRuntimeOptions { Instances = instances });
        await runtime.StartAsync();
        var workers = Workers(runtime);
        await Task.WhenAll(Enumerable.Range(0, 4 * instances).Select(i => runtime.CallAsync("hook", HookPlugin.N(i)).AsTask()));
        // One thread per instance, and one more for a call handed over while a worker runs a result notification.
        Assert.InRange(workers.Started, 1, 2 * instances);
        await runtime.StopAsync();
        Assert.True(SpinWait.SpinUntil(() => workers.Alive == 0, Bound), $"{workers.Alive} workers still alive after the stop");

        await runtime.StartAsync();
        Assert.NotSame(workers, Workers(runtime));
        Assert.Equal(7, (await runtime.CallAsync("hook", HookPlugin.N(7)))["result"]);
        var second = Workers(runtime);
        await runtime.DisposeAsync();
        Assert.True(SpinWait.SpinUntil(() => second.Alive == 0, Bound));
    }
}
