using System.Text;
using BenchmarkDotNet.Attributes;
using Vyra.Sdk;
using Vyra.Sdk.Benchmarks.Plugins;
using Wasmtime;

namespace Vyra.Sdk.Benchmarks;

/// <summary>
/// Case 3a: a 1 KiB string through an export — text-tools' <c>echo(text: string) -&gt; string</c> — by the typed proxy
/// and by <c>CallAsync</c>, against raw Wasmtime doing the same copies by hand: <c>vyra_alloc</c> in the guest, UTF-8
/// straight into guest memory, the call, the result decoded from guest memory, both buffers freed. Target ≤ 1.5×.
/// </summary>
[MemoryDiagnoser]
public class StringExportBenchmarks
{
    private string _text = "";
    private RawWasm _raw = null!;
    private Store _store = null!;
    private Memory _memory = null!;
    private Func<int, int> _alloc = null!;
    private Action<int, int> _free = null!;
    private Func<int, int, long> _echo = null!;
    private TextToolsPlugin _proxy = null!;
    private Dictionary<string, object?> _args = null!;

    /// <summary>The string echoed: 1 KiB here; <see cref="PayloadEchoBenchmarks"/> sweeps the size.</summary>
    protected virtual string Payload() => BenchPlugins.Text1K;

    [GlobalSetup]
    public void Setup()
    {
        _text = Payload();
        _raw = new RawWasm();
        _store = _raw.NewStore();
        using var module = RawWasm.Load(_raw.Engine, BenchPlugins.TextTools);
        using var linker = new Linker(_raw.Engine);
        foreach (var import in module.Imports.OfType<FunctionImport>())
        {
            // text-tools imports host_log and host_emit_event; echo calls neither, so no-op definitions do.
            linker.DefineFunction(import.ModuleName, import.Name, (Caller _, ReadOnlySpan<ValueBox> _, Span<ValueBox> _) => { },
                import.Parameters, import.Results);
        }
        var instance = linker.Instantiate(_store, module);
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("vyra_alloc")!;
        _free = instance.GetAction<int, int>("vyra_free")!;
        _echo = instance.GetFunction<int, int, long>("echo")!;
        _proxy = BenchPlugins.Started(TextToolsPlugin.Create(BenchPlugins.TextTools), p => p.StartAsync());
        _args = new Dictionary<string, object?> { ["text"] = _text };
        if (Raw() != _text || TypedProxy() != _text || CallAsync() != _text) throw new InvalidOperationException($"echo does not echo {_text.Length} B");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _proxy.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _store.Dispose();
        _raw.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw echo, hand-written copies")]
    public string Raw()
    {
        var length = Encoding.UTF8.GetByteCount(_text);
        var pointer = _alloc(length);
        Encoding.UTF8.GetBytes(_text, _memory.GetSpan(pointer, length));
        var packed = _echo(pointer, length);
        var (resultPointer, resultLength) = ((int)(packed >> 32), (int)packed);
        var result = Utf8.Strict.GetString(_memory.GetSpan(resultPointer, resultLength));
        _free(resultPointer, resultLength);
        _free(pointer, length);
        return result;
    }

    [Benchmark(Description = "typed proxy Echo(string)")]
    public string TypedProxy() => _proxy.Echo(_text);

    [Benchmark(Description = "CallAsync, 1-arg dictionary")]
    public string CallAsync() => (string)_proxy.Runtime.CallAsync("echo", _args).GetAwaiter().GetResult()["result"]!;
}

/// <summary>
/// Case 3b: a 1 KiB string through a host import — host-echo's <c>roundtrip()</c> passes 1 KiB to
/// <c>host_echo(text: string) -&gt; string</c>, whose generated binding decodes it, calls <see cref="BenchHost.host_echo"/>
/// and copies the answer back into a <c>vyra_alloc</c> buffer. The raw version defines the import by hand with a typed
/// callback and the same copies (decode from guest memory, <c>vyra_alloc</c>, encode into guest memory). Target ≤ 1.5×.
/// </summary>
[MemoryDiagnoser]
public class StringHostImportBenchmarks
{
    private RawWasm _raw = null!;
    private Store _store = null!;
    private Memory _memory = null!;
    private Func<int, int> _alloc = null!;
    private Func<int> _roundtrip = null!;
    private HostEchoPlugin _proxy = null!;
    private HostEchoPlugin _untyped = null!;
    private Dictionary<string, object?> _noArgs = null!;

    [GlobalSetup]
    public void Setup()
    {
        _raw = new RawWasm();
        _store = _raw.NewStore();
        using var module = RawWasm.Load(_raw.Engine, BenchPlugins.HostEcho);
        using var linker = new Linker(_raw.Engine);
        linker.DefineFunction("vyra", "host_echo", (Caller caller, int pointer, int length) =>
        {
            var text = Utf8.Strict.GetString(_memory.GetSpan(pointer, length));
            var size = Encoding.UTF8.GetByteCount(text);
            var target = _alloc(size);
            Encoding.UTF8.GetBytes(text, _memory.GetSpan(target, size));
            return ((long)target << 32) | (uint)size;
        });
        var instance = linker.Instantiate(_store, module);
        _memory = instance.GetMemory("memory")!;
        _alloc = instance.GetFunction<int, int>("vyra_alloc")!;
        _roundtrip = instance.GetFunction<int>("roundtrip")!;
        _proxy = BenchPlugins.Started(HostEchoPlugin.Create(BenchPlugins.HostEcho, new BenchHost()), p => p.StartAsync());
        _untyped = BenchPlugins.Started(HostEchoPlugin.Create(BenchPlugins.HostEcho, new UntypedEchoHost()), p => p.StartAsync());
        _noArgs = new Dictionary<string, object?>();
        if (Raw() != 1024 || TypedProxy() != 1024 || UntypedBinding() != 1024 || CallAsync() != 1024) throw new InvalidOperationException("roundtrip lost bytes");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _proxy.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _untyped.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _store.Dispose();
        _raw.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw typed import, hand-written copies")]
    public int Raw() => _roundtrip();

    [Benchmark(Description = "typed proxy Roundtrip() + generated binding")]
    public int TypedProxy() => _proxy.Roundtrip();

    /// <summary>
    /// The same import registered by hand through the untyped callback (<see cref="UntypedEchoHost"/>): what every
    /// generated binding was before issue 14, measured in the same run as the typed one.
    /// </summary>
    [Benchmark(Description = "typed proxy Roundtrip() + untyped hand-registered import")]
    public int UntypedBinding() => _untyped.Roundtrip();

    [Benchmark(Description = "CallAsync + generated binding")]
    public int CallAsync() => (int)_proxy.Runtime.CallAsync("roundtrip", _noArgs).GetAwaiter().GetResult()["result"]!;
}
