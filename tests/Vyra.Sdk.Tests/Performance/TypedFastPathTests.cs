using System.Diagnostics.Metrics;
using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Performance;

/// <summary>
/// The typed call's fast path (no exception handler, nothing written for telemetry) is taken only when nothing can
/// fail or be observed; a listener attached later, a cancelled token or an unusual delegate type still get the full
/// path, and the lease always comes back.
/// </summary>
[Collection(ProcessWideCollection.Name)] // a meter listener is process-wide
public class TypedFastPathTests
{
    private static int Increment(TypedExport<Func<int, int>> export, CancellationToken cancellationToken = default)
    {
        using var call = export.Enter(cancellationToken);
        try
        {
            return call.Function(1);
        }
        catch (Exception ex)
        {
            throw call.Fail(ex);
        }
    }

    [Fact]
    public async Task A_listener_attached_between_calls_sees_the_next_call()
    {
        var id = "fast-path-" + Guid.NewGuid().ToString("N")[..8]; // other classes' calls run meanwhile: count only ours
        await using var runtime = new WasmRuntime(id, SamplePlugins.Counter);
        await runtime.StartAsync();
        var increment = runtime.GetTypedExport("increment", static f => f.WrapFunc<int, int>());
        for (var i = 0; i < 100; i++) Increment(increment); // the fast path, unobserved
        var calls = 0;
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == VyraTelemetry.Name && instrument.Name == "vyra.plugin.calls") l.EnableMeasurementEvents(instrument);
            };
            listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == VyraTelemetry.PluginIdTag && (string?)tag.Value == id) Interlocked.Add(ref calls, (int)value);
                }
            });
            listener.Start();
            Increment(increment);
            Increment(increment);
        }
        Assert.Equal(2, calls);
        Increment(increment); // detached again: back on the fast path
        Assert.Equal(2, calls);
        Assert.Equal(103, (await runtime.CallAsync("get_count"))["result"]);
    }

    [Fact]
    public async Task A_cancelled_token_is_refused_and_the_lease_comes_back()
    {
        await using var runtime = new WasmRuntime("counter-widget", SamplePlugins.Counter);
        await runtime.StartAsync();
        var increment = runtime.GetTypedExport("increment", static f => f.WrapFunc<int, int>());
        Assert.Equal(1, Increment(increment));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var ex = Assert.Throws<PluginCallException>(() => Increment(increment, cancelled.Token));
        Assert.Equal(PluginErrorKind.Cancelled, ex.Kind);
        Assert.Equal(2, Increment(increment)); // the refused call ran no guest code and left the lease free
        using var live = new CancellationTokenSource();
        Assert.Equal(3, Increment(increment, live.Token));
        Assert.Equal(4, Increment(increment)); // a token armed for one call is not kept for the next
    }

    [Fact]
    public async Task A_typed_export_of_a_base_delegate_type_binds_once()
    {
        await using var runtime = new WasmRuntime("counter-widget", SamplePlugins.Counter);
        await runtime.StartAsync();
        var increment = runtime.GetTypedExport<Delegate>("increment", static f => f.WrapFunc<int, int>());
        Delegate First()
        {
            using var call = increment.Enter();
            Assert.Equal(1, call.Function.DynamicInvoke(1));
            return call.Function;
        }
        var first = First();
        using var again = increment.Enter();
        Assert.Same(first, again.Function);
    }
}
