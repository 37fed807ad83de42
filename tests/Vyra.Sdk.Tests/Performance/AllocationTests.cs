using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;

namespace Vyra.Sdk.Tests.Performance;

/// <summary>Guards the allocation-free typed path that generated proxies use.</summary>
[Collection(ProcessWideCollection.Name)] // an allocation count is read alone, never beside a listener or other load
public class AllocationTests
{
    [Fact]
    public async Task Typed_calls_allocate_nothing()
    {
        await using var runtime = new WasmRuntime("counter-widget", SamplePlugins.Counter);
        await runtime.StartAsync();
        var increment = runtime.GetTypedExport("increment", static f => f.WrapFunc<int, int>());
        int Call()
        {
            using var call = increment.Enter();
            try
            {
                return call.Function(1);
            }
            catch (Exception ex)
            {
                throw call.Fail(ex);
            }
        }
        for (var i = 0; i < 1_000; i++) Call(); // warm up: JIT, bind the delegate
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++) Call();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(11_000, (await runtime.CallAsync("get_count"))["result"]);
    }
}
