using Vyra.Sdk;
using Vyra.Sdk.Tests.Sandbox;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Serving;

/// <summary>
/// The lease under churn: sync typed callers, async callers, cancelled and timed-out waiters at once. The guest counts
/// the calls that ran and flags any overlap, so exclusivity and "no turn lost, none run twice" are checked exactly.
/// </summary>
[Collection(HeavySandboxCollection.Name)]
public class LeaseStressTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Mixed_sync_async_cancelled_and_timed_out_callers_never_share_an_instance_and_every_call_is_accounted_for(int instances)
    {
        using var plugin = TempPlugin.FromWat(CountingGuest.Wat, CountingGuest.Manifest("stress"));
        // A short wait bound, so some waiters give up; the timeout itself is generous.
        await using var runtime = new WasmRuntime("stress", plugin.ModulePath, options: new PluginRuntimeOptions { Instances = instances, MaxQueueWait = TimeSpan.FromMilliseconds(2), Timeout = TimeSpan.FromSeconds(30) });
        await runtime.StartAsync();
        var tick = runtime.GetTypedExport("tick", static f => f.WrapFunc<int, int>());
        const int perCaller = 300;
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

        var sync = Enumerable.Range(0, 3).Select(t => Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < perCaller; i++)
            {
                using var cts = i % 7 == 0 ? new CancellationTokenSource(TimeSpan.FromTicks(i % 3)) : null;
                Count(() =>
                {
                    using var call = tick.Enter(cts?.Token ?? default);
                    CountingGuest.Tick(call, 200);
                });
            }
        }, TaskCreationOptions.LongRunning));
        var async = Enumerable.Range(0, 3).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < perCaller; i++)
            {
                using var cts = i % 5 == 0 ? new CancellationTokenSource() : null;
                Task call = t % 2 == 0
                    ? runtime.CallAsync("tick", SamplePlugins.Args(("n", 200)), cts?.Token ?? default).AsTask()
                    : tick.RunAsync(200, static (c, n) => CountingGuest.Tick(c, n), cts?.Token ?? default).AsTask();
                cts?.Cancel();
                try
                {
                    await call;
                    Interlocked.Increment(ref ran);
                }
                catch (PluginCallException ex) when (ex.Kind is PluginErrorKind.Overloaded or PluginErrorKind.Cancelled)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        }));
        await Task.WhenAll(sync.Concat(async)).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(6 * perCaller, ran + refused);
        Assert.True(ran > 0);
        if (instances == 1)
        {
            Assert.Equal(ran, (await runtime.CallAsync("count"))["result"]);
            Assert.Equal(0, (await runtime.CallAsync("overlaps"))["result"]);
        }
        else
        {
            // Each pooled instance counts its own calls; overlaps on any instance would show as a non-zero flag.
            // Eight at once on a pool with this runtime's tiny queue wait may be told to retry (Overloaded): they retry.
            async Task<IReadOnlyDictionary<string, object?>> Overlaps()
            {
                for (var attempt = 0; ; attempt++)
                {
                    try
                    {
                        return await runtime.CallAsync("overlaps");
                    }
                    catch (PluginCallException ex) when (ex.Kind == PluginErrorKind.Overloaded && attempt < 1000)
                    {
                        await Task.Yield();
                    }
                }
            }
            var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Overlaps()));
            Assert.All(results, r => Assert.Equal(0, r["result"]));
        }
        // Nothing is left held: a plain call still goes through on every instance.
        for (var i = 0; i < instances; i++) await runtime.CallAsync("tick", SamplePlugins.Args(("n", 1)));
    }
}
