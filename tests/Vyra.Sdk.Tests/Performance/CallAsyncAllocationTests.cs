using Vyra.Sdk;
using Vyra.Sdk.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Vyra.Sdk.Tests.Performance;

/// <summary>
/// What a <c>CallAsync</c> allocates per call, on every thread it touches (the caller's and the guest thread's): with a
/// host, only the notification's payload more than without one; no closure for the guest call itself.
/// </summary>
[Collection(ProcessWideCollection.Name)] // counts every thread's allocations: read alone, never beside other tests
public class CallAsyncAllocationTests(ITestOutputHelper output)
{
    /// <summary>A host that keeps every default: its NotifyUiAsync logs at debug level (off here) and completes.</summary>
    private sealed class DefaultHost : BaseHostFunctions;

    /// <summary>
    /// The fewest bytes one call allocated, over rounds of calls. The caller spins on the task rather than blocking on
    /// it: a blocked wait allocates its event only when the task was not done yet, which depends on the scheduler.
    /// </summary>
    private static async Task<long> BytesPerCallAsync(PluginRuntime runtime)
    {
        var args = new Dictionary<string, object?> { ["step"] = 1 };
        object? Call()
        {
            var task = runtime.CallAsync("increment", args);
            while (!task.IsCompleted) Thread.SpinWait(20);
            return task.Result["result"];
        }
        await runtime.StartAsync();
        for (var i = 0; i < 2_000; i++) Call(); // warm up: JIT, the guest thread, the lease
        const int Calls = 2_000;
        var fewest = long.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < Calls; i++) Call();
            fewest = Math.Min(fewest, (GC.GetTotalAllocatedBytes(precise: true) - before) / Calls);
        }
        return fewest;
    }

    [Fact]
    public async Task With_a_host_a_call_allocates_only_the_notifications_payload_more_than_without()
    {
        await using var bare = new WasmRuntime("counter-widget", SamplePlugins.Counter);
        await using var hosted = new WasmRuntime("counter-widget", SamplePlugins.Counter, new DefaultHost());
        var without = await BytesPerCallAsync(bare);
        var with = await BytesPerCallAsync(hosted);
        output.WriteLine($"CallAsync int f(int): {without} B without a host, {with} B with the default host");
        // The payload {plugin_id, result} is a two-entry Dictionary (about 200 B) and the after step's work item is a
        // few fields larger. Gone: the async frame the notification ran in (its state machine box and the continuation
        // through the pool), the debug log's argument array when debug is off, the event name formatted per call.
        Assert.InRange(with - without, 0, 300);
    }

    [Fact]
    public async Task A_call_without_a_host_allocates_no_closure_for_the_guest_call()
    {
        await using var bare = new WasmRuntime("counter-widget", SamplePlugins.Counter);
        var bytes = await BytesPerCallAsync(bare);
        output.WriteLine($"CallAsync int f(int), no host: {bytes} B");
        // The guest call's flowing marker takes its state as an argument (a static lambda): no closure and no delegate
        // per call, 56 B less than before (Release, blocking callers, all threads: 920 B before, 864 B after). Debug
        // builds' async methods allocate their state machines: 1,144 B there.
#if DEBUG
        const long Most = 1_150;
#else
        const long Most = 870;
#endif
        Assert.InRange(bytes, 0, Most);
    }
}
