using System.Text;
using BenchmarkDotNet.Attributes;
using Vyra.Sdk.Benchmarks.Plugins;
using Wasmtime;

namespace Vyra.Sdk.Benchmarks;

/// <summary>
/// Cost as the payload grows (issue 14): text-tools' <c>echo(text: string) -&gt; string</c> at 0 B … 1 MiB of ASCII, by the
/// typed proxy and by <c>CallAsync</c>, against the raw Wasmtime echo with hand-written copies (the baseline of case 3a,
/// which stays the 1 KiB row of <see cref="StringExportBenchmarks"/>). Run it alone:
/// <c>-- --short --filter '*PayloadEcho*'</c>.
/// </summary>
[MemoryDiagnoser]
public class PayloadEchoBenchmarks
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

    /// <summary>Payload size in bytes (ASCII, so characters = bytes).</summary>
    [Params(0, 64, 1024, 64 * 1024, 1024 * 1024)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var pattern = BenchPlugins.Text1K;
        var text = new StringBuilder(Bytes);
        while (text.Length < Bytes) text.Append(pattern, 0, Math.Min(pattern.Length, Bytes - text.Length));
        _text = text.ToString();
        _raw = new RawWasm();
        _store = _raw.NewStore();
        using var module = RawWasm.Load(_raw.Engine, BenchPlugins.TextTools);
        using var linker = new Linker(_raw.Engine);
        foreach (var import in module.Imports.OfType<FunctionImport>())
        {
            // echo calls neither of text-tools' imports, so no-op definitions do.
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
        if (Raw() != _text || TypedProxy() != _text || CallAsync() != _text) throw new InvalidOperationException($"echo does not echo {Bytes} B");
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
