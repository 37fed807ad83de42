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
    // The busy window is straight-line code: Wasmtime checks for an interruption only at function entry and at loop
    // back-edges, so a call cancelled while it runs is interrupted before it raised the flag, never inside the window.
    // (With a loop inside the window, a cancellation that landed mid-loop left the flag raised, and the next call counted
    // an overlap that never happened.) The window is as long as the old loop: 200 dependent additions.
    private static readonly string Wat = """
        (module
          (global $count (mut i32) (i32.const 0))
          (global $busy (mut i32) (i32.const 0))
          (global $overlaps (mut i32) (i32.const 0))
          (global $scratch (mut i32) (i32.const 0))
          (func (export "tick") (param $n i32) (result i32)
            (if (global.get $busy) (then (global.set $overlaps (i32.add (global.get $overlaps) (i32.const 1)))))
            (global.set $busy (i32.const 1))
        """ + string.Concat(Enumerable.Repeat("    (global.set $scratch (i32.add (global.get $scratch) (local.get $n)))\n", 200)) + """
            (global.set $count (i32.add (global.get $count) (i32.const 1)))
            (global.set $busy (i32.const 0))
            (global.get $count))
          (func (export "count") (result i32) (global.get $count))
          (func (export "overlaps") (result i32) (global.get $overlaps)))
        """;

    private const string Manifest = """
        {"id":"stress","exports":[
          {"name":"tick","args":[{"name":"n","type":"i32"}],"returns":"i32"},
          {"name":"count","args":[],"returns":"i32"},
          {"name":"overlaps","args":[],"returns":"i32"}]}
        """;

    /// <summary>
    /// A typed call as generated proxies make it: the bound delegate is Wasmtime's own, so a cancellation that lands
    /// while the guest runs surfaces from it as Wasmtime's exception, which <see cref="GuestCall{TDelegate}.Fail"/>
    /// turns into the call's <see cref="PluginCallException"/> (here <see cref="PluginErrorKind.Cancelled"/>).
    /// </summary>
    private static int Tick(in GuestCall<Func<int, int>> call, int n)
    {
        try
        {
            return call.Function(n);
        }
        catch (Exception ex)
        {
            throw call.Fail(ex);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Mixed_sync_async_cancelled_and_timed_out_callers_never_share_an_instance_and_every_call_is_accounted_for(int instances)
    {
        using var plugin = TempPlugin.FromWat(Wat, Manifest);
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
                    Tick(call, 200);
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
                    : tick.RunAsync(200, static (c, n) => Tick(c, n), cts?.Token ?? default).AsTask();
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
