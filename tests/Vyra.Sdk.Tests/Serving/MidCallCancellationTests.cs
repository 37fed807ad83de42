using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Wasmtime;
using Xunit;

namespace Vyra.Sdk.Tests.Serving;

/// <summary>
/// A caller's token cancelled while guest code runs: every SDK call path (the dictionary call, the typed sync and
/// async paths as generated proxies use them) ends as a <see cref="PluginCallException"/> of kind
/// <see cref="PluginErrorKind.Cancelled"/>, never as a raw Wasmtime exception. Deterministic: the guest's own host
/// import cancels the token, so the cancellation always lands mid-call, and the guest then spins until the epoch
/// tick interrupts it.
/// </summary>
public class MidCallCancellationTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private static async Task<(WasmRuntime Runtime, HookHost Host, TempPlugin Plugin)> Started()
    {
        var plugin = HookPlugin.Create();
        var host = new HookHost();
        // A generous timeout: only the cancellation may end the spin.
        var runtime = new WasmRuntime("hook", plugin.ModulePath, host, options: new PluginRuntimeOptions { Timeout = Bound });
        await runtime.StartAsync();
        return (runtime, host, plugin);
    }

    /// <summary>The generated proxies' shape: every exception of the call goes through <see cref="GuestCall{TDelegate}.Fail"/>.</summary>
    private static int AsGenerated(in GuestCall<Func<int, int>> call, int n)
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

    private static void AssertCancelled(PluginCallException ex)
    {
        Assert.Equal(PluginErrorKind.Cancelled, ex.Kind);
        Assert.IsAssignableFrom<OperationCanceledException>(ex.InnerException);
    }

    [Fact]
    public async Task CallAsync_cancelled_mid_call_is_Cancelled()
    {
        var (runtime, host, plugin) = await Started();
        using var _ = plugin;
        await using var __ = runtime;
        using var cts = new CancellationTokenSource();
        host.OnHook = n =>
        {
            cts.Cancel();
            return n;
        };
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () =>
            await runtime.CallAsync("hook_then_spin", HookPlugin.N(1), cts.Token).AsTask().WaitAsync(Bound));
        AssertCancelled(ex);
        host.OnHook = null;
        Assert.Equal(4, (int)(await runtime.CallAsync("double", SamplePlugins.Args(("x", 2))))["result"]!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_typed_call_cancelled_mid_call_is_Cancelled_sync_and_async(bool async)
    {
        var (runtime, host, plugin) = await Started();
        using var _ = plugin;
        await using var __ = runtime;
        var spin = runtime.GetTypedExport("hook_then_spin", static f => f.WrapFunc<int, int>());
        using var cts = new CancellationTokenSource();
        host.OnHook = n =>
        {
            cts.Cancel();
            return n;
        };
        PluginCallException ex;
        if (async)
        {
            ex = await Assert.ThrowsAsync<PluginCallException>(async () =>
                await spin.RunAsync(1, static (call, n) => AsGenerated(call, n), cts.Token).AsTask().WaitAsync(Bound));
        }
        else
        {
            ex = await Task.Run(() => Assert.Throws<PluginCallException>(() =>
            {
                using var call = spin.Enter(cts.Token);
                AsGenerated(call, 1);
            })).WaitAsync(Bound);
        }
        AssertCancelled(ex);
        host.OnHook = null;
        var @double = runtime.GetTypedExport("double", static f => f.WrapFunc<int, int>());
        using (var call = @double.Enter()) Assert.Equal(6, AsGenerated(call, 3));
    }

    [Fact]
    public async Task The_bound_delegate_itself_throws_Wasmtimes_exception_which_Fail_maps()
    {
        // Why GuestCall.Fail is part of the typed contract: the delegate is Wasmtime's own, bound once per instance, so
        // what it throws is Wasmtime's exception; the SDK's kinds come from Fail (generated proxies always call it).
        var (runtime, host, plugin) = await Started();
        using var _ = plugin;
        await using var __ = runtime;
        var spin = runtime.GetTypedExport("hook_then_spin", static f => f.WrapFunc<int, int>());
        using var cts = new CancellationTokenSource();
        host.OnHook = n =>
        {
            cts.Cancel();
            return n;
        };
        var mapped = await Task.Run(() =>
        {
            using var call = spin.Enter(cts.Token);
            var raw = Assert.ThrowsAny<WasmtimeException>(() => call.Function(1));
            return call.Fail(raw);
        }).WaitAsync(Bound);
        AssertCancelled(mapped);
    }
}
