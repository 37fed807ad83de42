using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging;
using Vyra.Sdk;

namespace Vyra.Sdk.Benchmarks;

/// <summary>
/// Case 8: an event published in process by host code (through a facade: permission, throttle, the in-process bus)
/// until the subscribed plugin's <c>on_event</c> has handed it back to the host, against a direct typed call into the
/// same <c>on_event</c> (the delivery's guest part alone) and a plain C# delegate doing the host's part. The difference
/// is the bus: the queue, the pump's thread hop, the lease and the guest thread's hand-off.
/// </summary>
[MemoryDiagnoser]
public class BusBenchmarks
{
    private static readonly JsonElement Data = JsonDocument.Parse("""{"celsius":21.5}""").RootElement.Clone();
    private const string DataText = """{"celsius":21.5}""";

    private BusBenchHost _host = null!;
    private WasmRuntime _subscriber = null!;
    private PluginFacade _publisher = null!;
    private TypedExport<Action<int, int, int, int>> _onEvent = null!;
    private Action<string, JsonElement> _delegate = null!;

    [GlobalSetup]
    public void Setup()
    {
        var bus = new InProcessBus();
        _host = new BusBenchHost(bus);
        // A rate limit no benchmark reaches: the loop measures the transport, not VYRA's 50 calls per 10 s.
        var options = new PluginRuntimeOptions { Bus = new PluginBusOptions { RateLimit = new RateLimitOptions { MaxCalls = 100_000, Window = TimeSpan.FromMilliseconds(1) } } };
        _subscriber = (WasmRuntime)BenchPlugins.Started(PluginRuntime.Create("bus-echo", BenchPlugins.BusEcho, _host, options: options), r => r.StartAsync());
        _subscriber.CallAsync("subscribe_bench").AsTask().GetAwaiter().GetResult();
        var publish = new PluginPermissions([new InterfacePermission("publish", "local")]);
        _publisher = new PluginFacade("bench-publisher", publish, _host, options.Bus);
        _onEvent = _subscriber.GetTypedExport("on_event", f => f.WrapAction<int, int, int, int>());
        _delegate = (_, data) => _host.Deliver(data.GetRawText());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _publisher.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _subscriber.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>
    /// Publish, then block until the guest's <c>on_event</c> has logged the event (its last instruction). The wait blocks
    /// rather than awaits: an awaited continuation of the delivery's completion would resume on a pool thread, which
    /// then wakes BenchmarkDotNet's thread blocked on the benchmark's task — a thread hop of the benchmark's own making
    /// (until 2026-12-01 it was measured as part of the bus). A blocked waiter is woken by the guest thread itself.
    /// </summary>
    [Benchmark(Baseline = true, Description = "in-process publish -> on_event round trip")]
    public void PublishToOnEvent()
    {
        var delivered = _host.Expect();
        var publishing = _publisher.PublishAsync("bench", Data);
        if (!publishing.IsCompletedSuccessfully) publishing.AsTask().GetAwaiter().GetResult();
        delivered.GetAwaiter().GetResult();
    }

    /// <summary>
    /// The same round trip with the publisher spinning until the delivery completed instead of blocking: what is left is
    /// the delivery itself (the hand-off to the subscriber's guest thread, the lease, <c>on_event</c>), without the
    /// futex wake-up of a parked publisher that the blocking row pays. Both rows are kept: a publisher that waits for a
    /// delivery in real code blocks; this row says how much of the round trip that wake-up is.
    /// </summary>
    [Benchmark(Description = "the same, the publisher spinning until delivered")]
    public void PublishToOnEventSpinning()
    {
        var delivered = _host.Expect();
        var publishing = _publisher.PublishAsync("bench", Data);
        if (!publishing.IsCompletedSuccessfully) publishing.AsTask().GetAwaiter().GetResult();
        var spin = new SpinWait();
        while (!delivered.IsCompleted) spin.SpinOnce(sleep1Threshold: -1);
    }

    [Benchmark(Description = "direct typed call into on_event")]
    public void TypedOnEvent()
    {
        using var call = _onEvent.Enter();
        try
        {
            var (namePointer, nameLength) = call.Write("bench", PluginValueType.String);
            var (dataPointer, dataLength) = call.Write(DataText, PluginValueType.Json);
            call.Function(namePointer, nameLength, dataPointer, dataLength);
        }
        catch (Exception ex)
        {
            throw call.Fail(ex);
        }
    }

    [Benchmark(Description = "C# delegate")]
    public void Delegate() => _delegate("bench", Data);
}

/// <summary>The bus benchmark's host: the guest's <c>log</c> completes the delivery the benchmark is waiting for (blocked on it, so woken by the guest thread directly).</summary>
internal sealed class BusBenchHost(IInterfaceFactory bus) : BaseHostFunctions(null, bus)
{
    private TaskCompletionSource _delivered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Expect()
    {
        _delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _delivered.Task;
    }

    public void Deliver(string data) => _delivered.TrySetResult();

    public override ValueTask LogAsync(LogLevel level, string message, CancellationToken cancellationToken = default)
    {
        Deliver(message);
        return ValueTask.CompletedTask;
    }
}
