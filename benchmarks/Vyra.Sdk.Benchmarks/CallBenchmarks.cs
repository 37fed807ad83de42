using BenchmarkDotNet.Attributes;
using Vyra.Sdk;
using Vyra.Sdk.Benchmarks.Plugins;
using Wasmtime;

namespace Vyra.Sdk.Benchmarks;

/// <summary>
/// Case 1: <c>int f(int)</c> — counter-widget's <c>increment</c> through the generated proxy's sync method, against
/// raw Wasmtime <c>GetFunction&lt;int, int&gt;</c> on its own engine and store (epoch interruption on), a plain C#
/// delegate, and <c>CallAsync</c> with a one-argument dictionary. Target: typed proxy ≤ 1.3× raw.
/// </summary>
[MemoryDiagnoser]
public class TypedCallBenchmarks
{
    private RawWasm _raw = null!;
    private Store _store = null!;
    private Func<int, int> _rawIncrement = null!;
    private Func<int, int> _delegate = null!;
    private CounterWidgetPlugin _proxy = null!;
    private Dictionary<string, object?> _args = null!;
    private int _count;

    [GlobalSetup]
    public void Setup()
    {
        _raw = new RawWasm();
        _store = _raw.NewStore();
        using var module = RawWasm.Load(_raw.Engine, BenchPlugins.CounterWidget);
        var instance = new Linker(_raw.Engine).Instantiate(_store, module);
        _rawIncrement = instance.GetFunction<int, int>("increment") ?? throw new InvalidOperationException("no increment");
        _delegate = step => _count += step;
        _proxy = BenchPlugins.Started(CounterWidgetPlugin.Create(BenchPlugins.CounterWidget), p => p.StartAsync());
        _args = new Dictionary<string, object?> { ["step"] = 1 };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _proxy.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _store.Dispose();
        _raw.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw GetFunction<int,int>")]
    public int Raw() => _rawIncrement(1);

    [Benchmark(Description = "typed proxy Increment(int)")]
    public int TypedProxy() => _proxy.Increment(1);

    [Benchmark(Description = "C# delegate")]
    public int Delegate() => _delegate(1);

    [Benchmark(Description = "CallAsync, 1-arg dictionary")]
    public object? CallAsync() => _proxy.Runtime.CallAsync("increment", _args).GetAwaiter().GetResult()["result"];
}

/// <summary>
/// Case 2: <c>CallAsync</c> with a one-argument dictionary against raw Wasmtime's untyped
/// <c>Function.Invoke(ValueBox)</c>. Target ≤ 2×. Also with a host (every default of <see cref="BaseHostFunctions"/>),
/// which is told each result (<c>plugin.increment.result</c>).
/// </summary>
[MemoryDiagnoser]
public class UntypedCallBenchmarks
{
    private RawWasm _raw = null!;
    private Store _store = null!;
    private Function _rawIncrement = null!;
    private PluginRuntime _runtime = null!;
    private PluginRuntime _hosted = null!;
    private PluginRuntime _inline = null!;
    private Dictionary<string, object?> _args = null!;

    [GlobalSetup]
    public void Setup()
    {
        _raw = new RawWasm();
        _store = _raw.NewStore();
        using var module = RawWasm.Load(_raw.Engine, BenchPlugins.CounterWidget);
        var instance = new Linker(_raw.Engine).Instantiate(_store, module);
        _rawIncrement = instance.GetFunction("increment") ?? throw new InvalidOperationException("no increment");
        _runtime = BenchPlugins.Started(PluginRuntime.Create("counter-widget", BenchPlugins.CounterWidget), r => r.StartAsync());
        _hosted = BenchPlugins.Started(PluginRuntime.Create("counter-widget", BenchPlugins.CounterWidget, new DefaultHost()), r => r.StartAsync());
        // GuestThreads = false: CallAsync runs the guest on the caller's thread (no hand-off either way).
        _inline = BenchPlugins.Started(new WasmRuntime("counter-widget", BenchPlugins.CounterWidget, options: new PluginRuntimeOptions { GuestThreads = false }), r => r.StartAsync());
        _args = new Dictionary<string, object?> { ["step"] = 1 };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _runtime.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _hosted.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _inline.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _store.Dispose();
        _raw.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw Function.Invoke(ValueBox)")]
    public object? RawInvoke() => _rawIncrement.Invoke(1);

    [Benchmark(Description = "CallAsync, 1-arg dictionary")]
    public object? CallAsync() => _runtime.CallAsync("increment", _args).GetAwaiter().GetResult()["result"];

    [Benchmark(Description = "CallAsync, 1-arg dictionary, default host")]
    public object? CallAsyncWithHost() => _hosted.CallAsync("increment", _args).GetAwaiter().GetResult()["result"];

    [Benchmark(Description = "CallAsync, 1-arg dictionary, GuestThreads = false")]
    public object? CallAsyncInline() => _inline.CallAsync("increment", _args).GetAwaiter().GetResult()["result"];

    /// <summary>A host with every default: its NotifyUiAsync logs at debug level (no logger here) and completes.</summary>
    private sealed class DefaultHost : BaseHostFunctions;
}
