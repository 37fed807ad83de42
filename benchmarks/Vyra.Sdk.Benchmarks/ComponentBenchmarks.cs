using BenchmarkDotNet.Attributes;
using Vyra.Sdk.Benchmarks.Plugins;
using Wasmtime;
using Wasmtime.Components;

namespace Vyra.Sdk.Benchmarks;

/// <summary>
/// Component calls (docs/components.md): the generated proxy's typed method over <c>ComponentRuntime</c>, against raw
/// <c>ComponentFunction.Call</c> with hand-built values on its own engine and store (component model and epochs on),
/// for a scalar (<c>add: func(u32, u32) -> u32</c>) and a record with a string and a list (<c>measure</c>).
/// </summary>
[MemoryDiagnoser]
public class ComponentCallBenchmarks
{
    private static readonly string ComponentPath = Path.Combine(AppContext.BaseDirectory, "plugins", "bench-component", "1.0.0", "logic.wat");
    private static readonly uint[] Values = [1, 2, 3, 4, 5, 6, 7, 8];

    private Engine _engine = null!;
    private Store _store = null!;
    private ComponentLinker _linker = null!;
    private Component _component = null!;
    private ComponentFunction _add = null!;
    private ComponentFunction _measure = null!;
    private BenchComponent _proxy = null!;
    private Types.Item _item = null!;

    [GlobalSetup]
    public void Setup()
    {
        using (var config = new Config().WithComponentModel(true).WithEpochInterruption(true))
        {
            _engine = new Engine(config);
        }
        _store = new Store(_engine);
        _store.SetEpochDeadline(ulong.MaxValue / 2);
        _component = Component.FromText(_engine, File.ReadAllText(ComponentPath));
        _linker = new ComponentLinker(_engine);
        var instance = _linker.Instantiate(_store, _component);
        _add = instance.GetFunction("add") ?? throw new InvalidOperationException("no add");
        _measure = instance.GetFunction("measure") ?? throw new InvalidOperationException("no measure");
        _proxy = BenchComponent.StartAsync("bench-component", ComponentPath).AsTask().GetAwaiter().GetResult();
        _item = new Types.Item("a name", Values);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _proxy.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _linker.Dispose();
        _component.Dispose();
        _store.Dispose();
        _engine.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw ComponentFunction.Call, scalar")]
    public uint RawScalar() => _add.Call(ComponentValue.U32(1), ComponentValue.U32(2))!.AsU32();

    [Benchmark(Description = "typed proxy AddAsync, scalar")]
    public uint TypedScalar() => _proxy.AddAsync(1, 2).AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "raw ComponentFunction.Call, record(string, list<u32>)")]
    public uint RawRecord()
    {
        var values = new ComponentValue[Values.Length];
        for (var i = 0; i < values.Length; i++) values[i] = ComponentValue.U32(Values[i]);
        return _measure.Call(ComponentValue.Record(
        [
            new("name", ComponentValue.String("a name")),
            new("values", ComponentValue.List(values)),
        ]))!.AsU32();
    }

    [Benchmark(Description = "typed proxy MeasureAsync, record(string, list<u32>)")]
    public uint TypedRecord() => _proxy.MeasureAsync(_item).AsTask().GetAwaiter().GetResult();
}
